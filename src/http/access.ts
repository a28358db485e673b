/**
 * Who may call a route. Every route of every Paz HTTP server has an access level, declared in its options
 * (`config: { access: 'admin' }`) or, when it declares none, taken from its method: reads (GET, HEAD) need
 * `read`, everything else `deploy`. The auth hook (issue 9) enforces it.
 *
 * - public:  no token (`/health`, the dashboard's static files)
 * - read:    any valid token (roles read-only, deployer, admin)
 * - deploy:  deployer or admin (services, config, deploy, rollback, scale)
 * - admin:   admin only (tokens, registry credentials, webhook secret)
 * - hook:    a deploy hook: the webhook secret (HMAC signature or token), or a deployer/admin token
 * - cluster: the cluster token that servers and agents share (the agent API)
 */
export type Access = 'public' | 'read' | 'deploy' | 'admin' | 'hook' | 'cluster';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

export function accessOf(method: string, declared: Access | undefined): Access {
  if (declared) return declared;
  return method === 'GET' || method === 'HEAD' ? 'read' : 'deploy';
}
