/**
 * The scheduler's routes: deploy hooks (manual, Docker Hub, Docker registry notifications), config by
 * version, history and the journal. Shared by the scheduler app (9002) and the orchestrator's docs.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PazError } from '../../core/errors.js';
import { imageRefProblem, repositoryKey, tagProblem } from '../../core/image-ref.js';
import { JOURNAL_EVENTS, type DeployRecord } from '../../core/records.js';

import type { ApiContext } from '../context.js';
import { ErrorAnswer, errorResponses } from '../schemas.js';
import { ConfigHistoryAnswer, DocOf, JournalEntryAnswer, ServiceConfigAnswer } from '../answer-schemas.js';
import { readAt, readScopes, withRevision } from '../read-at.js';
import { AnswerCache } from '../answer-cache.js';
import { requireWebhookSecret } from './hook-proof.js';

const DeployHookBody = Type.Object(
  {
    serviceName: Type.String({ minLength: 1, maxLength: 255 }),
    dockerRepository: Type.Optional(Type.String({ maxLength: 512, description: "the service's repository; a tag here is the tag deployed" })),
    pushedAt: Type.Optional(Type.Number({ description: 'when the image was pushed (unix seconds); informational' })),
  },
  { additionalProperties: false },
);

const DockerHubBody = Type.Object(
  {
    push_data: Type.Optional(Type.Object({ tag: Type.Optional(Type.String()), pushed_at: Type.Optional(Type.Number()), pusher: Type.Optional(Type.String()) }, { additionalProperties: true })),
    repository: Type.Object(
      { repo_url: Type.String({ minLength: 1 }), repo_name: Type.String({ minLength: 1 }) },
      { additionalProperties: true, description: 'Docker Hub repository; unknown keys are accepted anywhere, as Docker Hub adds them' },
    ),
  },
  { additionalProperties: true },
);

const RegistryNotification = Type.Object(
  {
    events: Type.Array(
      Type.Object(
        {
          action: Type.String(),
          target: Type.Optional(Type.Object({ repository: Type.Optional(Type.String()), tag: Type.Optional(Type.String()), mediaType: Type.Optional(Type.String()) }, { additionalProperties: true })),
          request: Type.Optional(Type.Object({ host: Type.Optional(Type.String()) }, { additionalProperties: true })),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, description: 'a Docker registry (v2) notification envelope' },
);

export function registerSchedulerRoutes(app: FastifyInstance, ctx: ApiContext, opts: { onDeploy?: (rec: DeployRecord) => void } = {}): void {
  const tags = ['scheduler'];
  const journalAnswers = new AnswerCache(ctx);
  // every /hooks/* route: the webhook secret (signature or token) when auth is on, checked before the body is looked at
  const hook = { config: { access: 'hook' as const }, preValidation: requireWebhookSecret(ctx) };
  const unproven = { 401: { description: 'with auth on: the call does not prove the webhook secret (X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>, ?token=, Authorization: Bearer or X-Paz-Webhook-Token); nothing was deployed', ...ErrorAnswer } };

  app.post<{ Body: Static<typeof DeployHookBody> }>(
    '/hooks/deploy',
    {
      ...hook,
      schema: {
        tags,
        summary: 'Deploy a service (new version = latest + 1)',
        description: 'Snapshots the service config as a new version, journals it and writes its desired units in one transaction. Answers `{"statusCode":200}` as Paz did; the `location` header names the new version.',
        body: DeployHookBody,
        response: { 200: Type.Object({ statusCode: Type.Literal(200) }), ...errorResponses, ...unproven },
      },
    },
    async (req, reply) => {
      const { serviceName, dockerRepository, pushedAt } = req.body;
      const rec = await ctx.deploys.deploy(serviceName, { repository: dockerRepository, trigger: { source: 'hook', pushedAt, actor: req.actor } });
      opts.onDeploy?.(rec);
      reply.header('location', `/config/${rec.service}/version/${rec.version}`);
      return { statusCode: 200 };
    },
  );

  app.post<{ Body: Static<typeof DockerHubBody> }>(
    '/hooks/dockerhub',
    {
      ...hook,
      schema: {
        tags,
        summary: 'Docker Hub push webhook',
        description: 'Deploys every service whose repository is `repository.repo_name`, at the pushed tag (`push_data.tag`), unless the service says `autoDeploy: "never"`. Answers HTTP 200 with `{"statusCode":201}`, as Paz did.',
        body: DockerHubBody,
        response: { 200: Type.Object({ statusCode: Type.Literal(201), deployed: Type.Array(Type.Object({ service: Type.String(), version: Type.Integer(), image: Type.String() })) }), ...errorResponses, ...unproven },
      },
    },
    async (req) => {
      const repo = req.body.repository.repo_name;
      const deployed = await deployPush(ctx, repo, req.body.push_data?.tag, 'dockerhub', req.body.push_data?.pushed_at, opts.onDeploy, false, req.actor);
      return { statusCode: 201, deployed };
    },
  );

  app.post<{ Body: Static<typeof RegistryNotification> }>(
    '/hooks/registry',
    {
      ...hook,
      schema: {
        tags,
        summary: 'Docker registry (v2) notification endpoint',
        description: 'Point a self-hosted registry\'s `notifications.endpoints` here: every `push` of a tagged manifest deploys the services using that repository (unless `autoDeploy: "never"`).',
        body: RegistryNotification,
        response: { 200: Type.Object({ statusCode: Type.Literal(200), deployed: Type.Array(Type.Object({ service: Type.String(), version: Type.Integer(), image: Type.String() })) }), ...errorResponses, ...unproven },
      },
    },
    async (req) => {
      const pushes: Array<{ repo: string; tag: string }> = [];
      for (const [i, ev] of req.body.events.entries()) {
        if (ev.action !== 'push' || !ev.target?.repository || !ev.target.tag) continue;
        const host = ev.request?.host;
        const repo = host ? `${host}/${ev.target.repository}` : ev.target.repository;
        // every event is checked before any deploys: a bad one refuses the whole notification
        checkPush(repo, ev.target.tag, `events[${i}]`);
        pushes.push({ repo, tag: ev.target.tag });
      }
      const deployed: PushDeploy[] = [];
      for (const { repo, tag } of pushes) deployed.push(...(await deployPush(ctx, repo, tag, 'registry', undefined, opts.onDeploy, true, req.actor)));
      return { statusCode: 200, deployed };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/config/:name/version/latest',
    { schema: { tags, summary: 'Config of the latest deployed version', params: Type.Object({ name: Type.String() }), response: { 200: withRevision(DocOf(ServiceConfigAnswer)), ...errorResponses } } },
    async (req, reply) => ({ doc: (await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.latest(req.params.name)).config }),
  );

  app.get<{ Params: { name: string; version: string } }>(
    '/config/:name/version/:version',
    { schema: { tags, summary: 'Config of one deployed version', params: Type.Object({ name: Type.String(), version: Type.String() }), response: { 200: withRevision(DocOf(ServiceConfigAnswer)), ...errorResponses } } },
    async (req, reply) => {
      const version = parseVersion(req.params.version);
      return { doc: (await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.version(req.params.name, version)).config };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/config/:name/history',
    {
      schema: {
        tags,
        summary: 'Config of every deployed version, keyed by version',
        description: 'An empty map for a service never deployed, as in Paz.',
        params: Type.Object({ name: Type.String() }),
        response: { 200: withRevision(DocOf(ConfigHistoryAnswer)) },
      },
    },
    async (req, reply) => ({ doc: await (await readAt(ctx, reply, readScopes.deploysOf(req.params.name))).deploys.history(req.params.name) }),
  );

  app.get<{ Querystring: { service?: string; limit?: number; events?: string; all?: boolean } }>(
    '/journal',
    {
      schema: journalAnswers.schema({
        tags,
        summary: 'Deploy journal, newest first',
        description:
          'As in Paz: deploy events only, in time order. `events=rollback,scale,...` adds other kinds (deploy, rollback, scale, deploy-succeeded, deploy-failed, service-deleted, and the audit events service-created, config-changed, token-created, token-revoked, registry-login-set, registry-login-removed, webhook-secret-rotated, host-drained, host-undrained, host-fenced, unit-killed: an instance that did not exit within its stop grace after SIGTERM, exec: a command run in an instance, with who ran it, and unit-restart: a restart of one instance asked, with who asked); `all=true` gives every kind. `actor` names who made each change (the API token name; "anonymous" with --no-auth).',
        querystring: Type.Object({
          service: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
          events: Type.Optional(Type.String({ pattern: `^(${JOURNAL_EVENTS.join('|')})(,(${JOURNAL_EVENTS.join('|')}))*$`, description: 'comma-separated event kinds' })),
          all: Type.Optional(Type.Boolean({ description: 'every kind of event' })),
        }),
        response: { 200: withRevision(DocOf(Type.Array(JournalEntryAnswer))) },
      }),
    },
    async (req, reply) =>
      journalAnswers.answer(req, reply, readScopes.journal(), async ({ deploys }) => ({
        doc: await deploys.journal({ service: req.query.service, limit: req.query.limit, events: req.query.events?.split(','), all: req.query.all }),
      })),
  );
}

export function parseVersion(text: string): number {
  const v = Number(text);
  if (!/^[1-9][0-9]{0,9}$/.test(text) || !Number.isSafeInteger(v)) {
    throw new PazError('VALIDATION', `version "${text}" is not a version number: versions are whole numbers from 1 (or "latest")`);
  }
  return v;
}

/** A pushed repository and tag must be what Docker accepts before anything is looked up or deployed. */
function checkPush(repository: string, tag: string | undefined, where: string): void {
  const why = imageRefProblem(repository);
  if (why) throw new PazError('VALIDATION', `${where}: repository "${repository}" ${why}`, { field: where });
  const tagWhy = tag === undefined || tag === '' ? undefined : tagProblem(tag);
  if (tagWhy) throw new PazError('VALIDATION', `${where}: tag ${JSON.stringify(tag)} ${tagWhy}`, { field: where });
}

interface PushDeploy {
  service: string;
  version: number;
  image: string;
}

/** Deploys each service using the pushed repository, except those with autoDeploy "never". */
async function deployPush(
  ctx: ApiContext,
  repository: string,
  tag: string | undefined,
  source: 'dockerhub' | 'registry',
  pushedAt: number | undefined,
  onDeploy: ((rec: DeployRecord) => void) | undefined,
  quietIfNone = false,
  actor?: string,
): Promise<PushDeploy[]> {
  checkPush(repository, tag, source === 'dockerhub' ? 'repository.repo_name' : 'events');
  const services = await ctx.directory.findByRepository(repository);
  if (services.length === 0) {
    if (quietIfNone) return [];
    throw new PazError('REPOSITORY_NOT_FOUND', `no service uses the repository "${repository}" (${repositoryKey(repository)}): create one with that dockerRepository first`, { repository });
  }
  const out: PushDeploy[] = [];
  for (const svc of services) {
    if (svc.config.autoDeploy === 'never') continue;
    const rec = await ctx.deploys.deploy(svc.name, { tag, trigger: { source, tag, pushedAt, ...(actor ? { actor } : {}) } });
    onDeploy?.(rec);
    out.push({ service: rec.service, version: rec.version, image: rec.image });
  }
  return out;
}
