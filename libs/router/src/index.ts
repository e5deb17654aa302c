// @archway/router: compiles routes into a matcher with Kong 3.x `traditional_compatible` semantics.
// Pure: no I/O, no logger. See docs/routing.md for the rules as a user reads them.
export { compileRouter, compileRouterSteps, RouteMatcherCache, type RouteChangesSince, type RouteMatch, type Router, type RouterRequest } from './router';
export { normalizePath } from './normalize-path';
