/**
 * Editing a service's next config as JSON: what PATCH …/config/next must be sent. PATCH is a shallow
 * merge, so only the top-level fields that changed are sent (sending an unchanged numInstances would
 * be a scale request). Secrets stay as GET shows them ({"secret": true, "fingerprint"}), which the API
 * reads as "keep this one". Pure.
 */
import { sortedKeys } from '../ui/diff.js';

export type ParsedEdit = { ok: true; patch: Record<string, unknown>; removed: string[] } | { ok: false; message: string };

const same = (a: unknown, b: unknown) => JSON.stringify(sortedKeys(a)) === JSON.stringify(sortedKeys(b));

/** The patch that turns `current` into the edited text, or why the text is not a config object. */
export function configPatch(current: Record<string, unknown>, text: string): ParsedEdit {
  let edited: unknown;
  try {
    edited = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `not valid JSON: ${(e as Error).message}` };
  }
  if (!edited || typeof edited !== 'object' || Array.isArray(edited)) return { ok: false, message: 'the config must be a JSON object ({ … })' };
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(edited)) if (!same(current[k], v)) patch[k] = v;
  // a shallow merge cannot remove a field: say so rather than silently keep it
  const removed = Object.keys(current).filter((k) => !(k in (edited as object)));
  return { ok: true, patch, removed };
}

export interface SecretShown {
  key: string;
  fingerprint: string;
}

/** The env entries that are secrets, as the API shows them: set, with a fingerprint, never a value. */
export function secretsOf(config: { env?: Record<string, unknown> } | undefined): SecretShown[] {
  return Object.entries(config?.env ?? {})
    .filter(([, v]) => v !== null && typeof v === 'object' && (v as { secret?: unknown }).secret === true)
    .map(([key, v]) => ({ key, fingerprint: String((v as { fingerprint?: unknown }).fingerprint ?? '') }))
    .sort((a, b) => a.key.localeCompare(b.key));
}
