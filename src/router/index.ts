/** The router's public surface, for the agent and the CLI. */
export { Router, type ApplyResult, type RouterOptions } from './router.js';
export {
  assertValidRouteTable,
  InvalidRouteTableError,
  validateRouteTable,
  type RouteServer,
  type RouteService,
  type RouteTable,
} from './route-table.js';
export type { RouterTlsOptions } from './render-config.js';
export type { RouterStats, ServiceStats, ServerStats, ServerStatus, TrafficCounters } from './router-stats.js';
export { HaproxyCommandError } from './haproxy-runtime.js';
export { HaproxyUnavailableError } from './haproxy-socket.js';
export { HaproxyConfigError, HaproxyReloadError, HaproxyStartError, RouterPortTakenError } from './haproxy-process.js';
