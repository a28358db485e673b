/**
 * Whether a Content-Type is one JSON document: application/json or a structured `+json` type
 * (application/problem+json). Not JSON Lines (application/x-ndjson, application/jsonl: one document a
 * line, as GET /cluster/backup sends), nor text that merely mentions json. Pure.
 */
export function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const media = contentType.split(';')[0].trim().toLowerCase();
  return media === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(media);
}
