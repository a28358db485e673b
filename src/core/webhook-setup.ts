/**
 * Ready-to-paste settings for the callers of Paz's deploy hooks, given the webhook secret and the
 * scheduler's URL: what `GET /auth/webhook-secret` and `paz webhook secret` show.
 */

export interface WebhookSetup {
  /** a signed call, GitHub style: what a CI job (e.g. a GitHub Actions step after the image push) runs */
  signed: { url: string; header: string; shell: string };
  /** Docker Hub cannot sign: the secret rides in the webhook URL */
  dockerhub: { url: string };
  /** a registry's `notifications.endpoints` entry: the secret as a bearer token header */
  registry: { url: string; headers: Record<string, string[]>; config: string };
}

/** Single quotes for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function webhookSetup(secret: string, schedulerUrl: string, exampleService = 'my-service'): WebhookSetup {
  const base = schedulerUrl.replace(/\/+$/, '');
  const body = JSON.stringify({ serviceName: exampleService });
  const shell = [
    `PAZ_WEBHOOK_SECRET=${shellQuote(secret)}`,
    `body=${shellQuote(body)}`,
    `sig="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$PAZ_WEBHOOK_SECRET" | sed 's/^.* //')"`,
    `curl -fsS -X POST -H "X-Hub-Signature-256: $sig" -H 'Content-Type: application/json' --data-binary "$body" ${shellQuote(`${base}/hooks/deploy`)}`,
  ].join('\n');
  const registryUrl = `${base}/hooks/registry`;
  const config = [
    'notifications:',
    '  endpoints:',
    '    - name: paz',
    `      url: ${registryUrl}`,
    '      headers:',
    `        Authorization: [Bearer ${secret}]`,
    '      timeout: 5s',
    '      threshold: 5',
    '      backoff: 10s',
  ].join('\n');
  return {
    signed: { url: `${base}/hooks/deploy`, header: 'X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the exact body, keyed with the secret>', shell },
    dockerhub: { url: `${base}/hooks/dockerhub?token=${encodeURIComponent(secret)}` },
    registry: { url: registryUrl, headers: { Authorization: [`Bearer ${secret}`] }, config },
  };
}
