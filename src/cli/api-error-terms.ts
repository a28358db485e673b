/**
 * The API's errors say what to do in API terms ("create it with POST /services"); the CLI says it in its
 * own ("create it with `paz create FILE`"). By the error's catalogue code (core/errors.ts) and its details;
 * an error this does not know keeps the API's message. Pure.
 */

export interface ApiErrorLike {
  code: string;
  message: string;
  body?: unknown;
}

export function cliTerms(err: ApiErrorLike): string {
  const details = ((err.body as { details?: Record<string, unknown> } | undefined)?.details ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof details[k] === 'string' ? (details[k] as string) : undefined);
  switch (err.code.replace(/^PAZ_/, '')) {
    case 'SERVICE_NOT_FOUND': {
      const name = str('name');
      if (name) return `no service named ${name}; create it with \`paz create FILE\` (\`paz services\` lists them)`;
      break;
    }
    case 'SERVICE_EXISTS': {
      const name = str('name');
      if (name) return `a service named ${name} already exists: change it with \`paz config set ${name} KEY=VALUE\` or \`paz config edit ${name}\`, or delete it first (\`paz delete ${name}\`)`;
      break;
    }
    case 'NOT_DEPLOYED': {
      const name = str('name');
      // deployed, but no version serves (its first deploy failed): `latest` names the version that did not
      if (name && typeof details.latest === 'number') return `no version of ${name} serves (version ${details.latest} failed, \`paz rollout ${name}\` says why): deploy one that starts with \`paz deploy ${name}\``;
      if (name) return `${name} has not been deployed yet: deploy it with \`paz deploy ${name}\``;
      break;
    }
    case 'CONFLICT': {
      // a restart while a deploy runs
      const name = str('name');
      if (name && typeof details.deploying === 'number') return `${name} is deploying version ${details.deploying} right now: restart it once that rollout ends (\`paz rollout ${name}\` shows it)`;
      break;
    }
    case 'HOST_NOT_FOUND': {
      const id = str('id');
      // the health of a down host: `paz health` lists those
      if (id) return /no down host/.test(err.message) ? `no down host with id "${id}" (\`paz health\` lists hosts that are down)` : `no host with id "${id}" (\`paz hosts\` lists them)`;
      break;
    }
    case 'UNIT_NOT_FOUND': {
      const unit = str('unit') ?? str('name');
      const service = str('service');
      if (unit && service) return `${service} has no unit "${unit}" (\`paz units ${service}\` lists them)`;
      if (unit) return `no unit named "${unit}": units are named <service>-<version>-<instance>, or <service>-<instance> for the newest version's (\`paz units\` lists them)`;
      break;
    }
    case 'VERSION_NOT_FOUND': {
      // a rollback with no good version to go to: the versions it would not pick, and how to pick one anyway
      const name = str('name');
      const earlier = Array.isArray(details.earlier) ? (details.earlier as unknown[]).filter((v): v is number => typeof v === 'number') : [];
      if (name && earlier.length > 0) return err.message.replace(/: to deploy one of them again, name it \(\{"version": \d+\}\)$/, `: to deploy one of them again, name it (\`paz rollback ${name} --version ${earlier[0]}\`)`);
      break;
    }
    case 'TOKEN_NOT_FOUND': {
      const token = str('token');
      if (token) return `no token with the id or name "${token}" (\`paz token ls\` lists them)`;
      break;
    }
  }
  // the request validator's words (http/validation.ts) are about HTTP requests
  return err.message.replace(/\bthe request body\b/g, 'the document').replace(/ \(see \/docs for the fields this endpoint takes\)/, ' (every field is in the API reference: /docs on the orchestrator)');
}
