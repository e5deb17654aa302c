// Runs the plugin-authoring example's spec (examples/plugin-authoring/request-tag, shown in full in
// docs/plugins/authoring.md) with the unit tests: jest's testMatch covers apps/ and libs/ only. The
// example is not registered in BUNDLED_HANDLERS: it is documentation that must keep working.
// eslint-disable-next-line @nx/enforce-module-boundaries -- examples/ is no Nx project; this spec only runs it
import '../../../../examples/plugin-authoring/request-tag/handler.spec';
