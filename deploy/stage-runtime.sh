#!/bin/sh
# Copies what `node bin/archway.js` needs at run time out of a built, pruned checkout, so the image's
# runtime stage gets exactly this tree and nothing else (no sources, no dev tools, no tests).
#
#   sh deploy/stage-runtime.sh <built checkout> <destination>
#
# The workspace packages (@archway/*) resolve through node_modules/@archway/<name>, relative symlinks
# to libs/<name> and apps/<name>; each of those folders needs its package.json (for "main") and its
# index.js, which requires ../../dist/<libs|apps>/<name>/src/index.js. proto/ is read at run time
# (libs/sync finds it by walking up from dist/).
set -eu
src=$1
dest=$2

mkdir -p "$dest"
cd "$src"
for required in package.json node_modules dist bin proto; do
  [ -e "$required" ] || { echo "stage-runtime: $src/$required is missing (run npm ci and the build first)" >&2; exit 1; }
done
cp -a package.json node_modules dist bin proto "$dest/"
rm -f "$dest/dist/.tsbuildinfo"

for pkg in libs/* apps/*; do
  [ -f "$pkg/package.json" ] || continue
  mkdir -p "$dest/$pkg"
  cp "$pkg/package.json" "$dest/$pkg/"
  if [ -f "$pkg/index.js" ]; then cp "$pkg/index.js" "$dest/$pkg/"; fi
done

# every workspace link must land on a folder we copied, or a require('@archway/...') fails at run time
for link in "$dest"/node_modules/@archway/*; do
  [ -e "$link/package.json" ] || { echo "stage-runtime: $link does not resolve to a copied workspace package" >&2; exit 1; }
done
