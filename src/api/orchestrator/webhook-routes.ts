/**
 * The webhook secret, for admins: see it with ready-to-paste settings for each hook caller, and rotate it
 * (the old secret is refused from then on). The hooks themselves live on the scheduler (scheduler/routes.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { Doc, errorResponses } from '../schemas.js';
import { keys } from '../../core/keys.js';
import { fingerprint } from '../../core/secret-box.js';
import { webhookSetup } from '../../core/webhook-setup.js';
import { WebhookSecret, type WebhookSecretRecord } from '../../state/webhook-secret.js';

export function registerWebhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['auth'];
  const secrets = new WebhookSecret(ctx.store, ctx.secretKey);
  const description =
    '`secret` proves a hook call: sign the body (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`, GitHub style) or send it as `?token=`, ' +
    '`Authorization: Bearer` or `X-Paz-Webhook-Token`. `setup` has ready-to-paste settings for a signed call (CI), Docker Hub and registry notifications, ' +
    'against the scheduler this cluster announces. Hooks check it only when auth is on.';

  /** the scheduler as announced in the store (what other hosts reach), else this host on the default port */
  async function schedulerUrl(req: FastifyRequest): Promise<string> {
    const announced = (await ctx.store.get(keys.component('paz-scheduler')))?.value;
    return `http://${announced ?? `${req.hostname.replace(/:\d+$/, '')}:9002`}`;
  }

  async function answer(req: FastifyRequest, rec: WebhookSecretRecord) {
    return {
      doc: {
        secret: rec.secret,
        fingerprint: fingerprint(ctx.secretKey, rec.secret),
        createdAt: new Date(rec.createdAt).toISOString(),
        enforced: ctx.authMode === 'tokens',
        setup: webhookSetup(rec.secret, await schedulerUrl(req)),
      },
    };
  }

  app.get(
    '/auth/webhook-secret',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'The webhook secret that hook calls must prove, made on first use, with setup examples', description, response: { 200: Doc('{secret, fingerprint, createdAt, enforced, setup}'), ...errorResponses } },
    },
    async (req) => answer(req, await secrets.current()),
  );

  app.post(
    '/auth/webhook-secret/rotate',
    {
      config: { access: 'admin' },
      schema: { tags, summary: 'Replace the webhook secret; calls with the old one are refused from now on', description, response: { 200: Doc('{secret, fingerprint, createdAt, enforced, setup}'), ...errorResponses } },
    },
    async (req) => answer(req, await secrets.rotate(req.actor)),
  );
}
