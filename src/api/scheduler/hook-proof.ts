/**
 * The check in front of every deploy hook (`access: 'hook'`): with authentication on, a call must prove the
 * cluster's webhook secret (core/webhook-proof.ts) or it gets 401 and nothing is deployed. It runs before
 * validation, so a caller without the secret learns nothing about what the hook would accept. With
 * authentication off (the loopback-only --no-auth switch) hooks are open, as in Paz. A deployer or admin API
 * token also deploys through a hook (the same right as POST /services/:name/deploy); the journal then names
 * the token, and a call proven by the webhook secret is recorded as "webhook".
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { PazError } from '../../core/errors.js';
import { proofsOf, provesSecret, unprovenMessage } from '../../core/webhook-proof.js';
import { WebhookSecret } from '../../state/webhook-secret.js';
import { roleAllows } from '../../core/tokens.js';

/** the actor a call proven by the webhook secret is journalled as */
export const WEBHOOK_ACTOR = 'webhook';

export function requireWebhookSecret(ctx: ApiContext): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const secrets = new WebhookSecret(ctx.store, ctx.secretKey);
  return async (req, reply) => {
    if (ctx.authMode !== 'tokens') return;
    // set by the API token check (http/auth.ts) when a valid token came with the call
    if (req.auth && roleAllows(req.auth.role, 'deploy')) return;
    if (req.auth) throw new PazError('FORBIDDEN', `token "${req.auth.name}" has the role ${req.auth.role}; a deploy hook needs a deployer or admin token, or the webhook secret (paz webhook secret)`, { role: req.auth.role, needs: ['deployer', 'admin'] });
    const proofs = proofsOf(req.headers, req.query as Record<string, unknown> | undefined);
    // none yet: nobody can know it, so nothing proves it (and a refused call must not write one)
    const current = await secrets.read();
    // rawBody is the body decoded as UTF-8; HMAC over it re-encoded is the HMAC of the bytes sent, except for
    // invalid UTF-8, which then fails to verify (a refusal, never a pass)
    if (current && provesSecret(current.secret, proofs, req.rawBody ?? '')) {
      req.actor = WEBHOOK_ACTOR;
      return;
    }
    reply.header('www-authenticate', 'Bearer realm="paz-webhook"');
    throw new PazError('UNAUTHENTICATED', unprovenMessage(proofs, current !== undefined));
  };
}
