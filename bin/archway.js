#!/usr/bin/env node
'use strict';
// The `archway` command. Runs the compiled CLI; `npm install` builds it (postinstall), `npm run build` rebuilds it.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('archway: not built yet. Run `npm run build` in ' + join(__dirname, '..') + ' first.\n');
  process.exit(1);
}
require(main).main(process.argv.slice(2));
