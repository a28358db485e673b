/**
 * Secrets at rest: AES-256-GCM from node:crypto, one key per cluster (see roles/secrets-key.ts for where it
 * lives). A sealed value is one printable string, `paz:v1:<keyId>:<iv>:<tag>:<ciphertext>` (base64url), so it
 * fits in any JSON record; `keyId` names the key that sealed it, so a host with another key says which one
 * it lacks instead of failing with a bare "unable to authenticate data".
 *
 * `context` is bound to the ciphertext as additional authenticated data (for example "env:web:DB_PASSWORD"):
 * a sealed value copied into another field or service fails to open instead of leaking there.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const PREFIX = 'paz:v1:';

export class SecretKeyError extends Error {}

export interface SecretKey {
  /** the 32 raw bytes */
  readonly bytes: Buffer;
  /** a short public name of the key: the first 8 hex digits of SHA-256 over a label and the key */
  readonly id: string;
}

export function secretKeyFrom(bytes: Buffer): SecretKey {
  if (bytes.length !== SECRET_KEY_BYTES) throw new SecretKeyError(`a secrets key is ${SECRET_KEY_BYTES} bytes, got ${bytes.length}`);
  const id = createHash('sha256').update('paz-secret-key-id\0').update(bytes).digest('hex').slice(0, 8);
  return { bytes: Buffer.from(bytes), id };
}

export function newSecretKey(): SecretKey {
  return secretKeyFrom(randomBytes(SECRET_KEY_BYTES));
}

/** Reads a key written as base64 (what Paz writes) or as 64 hex digits. */
export function parseSecretKey(text: string): SecretKey {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (bytes.length !== SECRET_KEY_BYTES) {
    throw new SecretKeyError(`a secrets key is ${SECRET_KEY_BYTES} random bytes written as base64 or 64 hex digits (make one with: openssl rand -base64 32)`);
  }
  return secretKeyFrom(bytes);
}

export function formatSecretKey(key: SecretKey): string {
  return key.bytes.toString('base64');
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export function seal(key: SecretKey, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `${PREFIX}${key.id}:${iv.toString('base64url')}:${tag.toString('base64url')}:${ct.toString('base64url')}`;
}

/** The id of the key that sealed `sealed`, or undefined when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  if (!isSealed(sealed)) return undefined;
  return sealed.slice(PREFIX.length).split(':')[0];
}

export function open(key: SecretKey, sealed: string, context: string): string {
  if (!isSealed(sealed)) throw new SecretKeyError('not a sealed secret');
  const parts = sealed.slice(PREFIX.length).split(':');
  if (parts.length !== 4) throw new SecretKeyError('a sealed secret has four parts after paz:v1:');
  const [keyId, iv, tag, ct] = parts as [string, string, string, string];
  if (keyId !== key.id) {
    throw new SecretKeyError(`this secret was sealed with key ${keyId} but this host has key ${key.id}: give every server and agent the same key (PAZ_SECRETS_KEY, or copy secrets.key from the first server's data dir)`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretKeyError(`a secret sealed for "${context}" could not be opened: it was changed, or copied from another field`);
  }
}

/**
 * What may be shown of a secret: 12 hex digits of HMAC-SHA256 keyed with the secrets key, so two values can be
 * told apart (did it change?) without letting anyone without the key test guesses against it offline.
 */
export function fingerprint(key: SecretKey, plaintext: string): string {
  return createHmac('sha256', key.bytes).update('paz-secret-fingerprint\0').update(plaintext, 'utf8').digest('hex').slice(0, 12);
}
