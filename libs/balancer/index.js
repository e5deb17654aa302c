// Runtime entry of @archway/balancer: the compiled build (npm run build). Node resolves a workspace
// package's "main" against its node_modules link, so the step up to dist/ lives in this file.
module.exports = require('../../dist/libs/balancer/src/index.js');
