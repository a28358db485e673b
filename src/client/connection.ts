/**
 * Which server the CLI talks to and which token it sends, from flags, environment and named profiles.
 * Pure: the caller reads the profile file and the admin-token file.
 *
 * Each of URL and token is taken from the first of: the flag (--url, --token), a profile named with
 * --profile (what is typed on the command line beats what the shell happens to export), the environment
 * (PAZ_URL, PAZ_TOKEN), the profile named by PAZ_PROFILE, the current profile, and finally the default
 * (http://127.0.0.1:9000 and DATA_DIR/admin-token). A profile's token is sent only to that profile's own
 * URL: `--url other` with the current profile must not hand its token to another server.
 */
import { closest } from '../cli/closest.js';

export const DEFAULT_URL = 'http://127.0.0.1:9000';

export interface Profile {
  url: string;
  token?: string;
}

/** The profile file: named profiles and the one used when none is named. */
export interface ProfileConfig {
  current?: string;
  profiles: Record<string, Profile>;
}

export interface ConnectionInputs {
  flags: { url?: string; token?: string; profile?: string };
  env: { PAZ_URL?: string; PAZ_TOKEN?: string; PAZ_PROFILE?: string };
  config: ProfileConfig;
  /** where the profile file is, for messages */
  configPath: string;
}

export interface Connection {
  url: string;
  /** undefined: fall back to the data dir's admin token */
  token?: string;
  /** where the token came from, for the message of a 401 */
  tokenSource?: string;
  /** the profile the URL or token came from */
  profile?: string;
}

export function withScheme(u: string): string {
  // another scheme (ftp://h) is kept, for urlProblem to refuse, rather than read as a host named ftp
  return (/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `http://${u}`).replace(/\/+$/, '');
}

/** What is wrong with a server URL (after withScheme), in words for a person; undefined when it is fine. */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url.replace(/^http:\/\//, '')}" is not a URL (e.g. https://paz.example.com:9000 or 127.0.0.1:9000)`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${url} is not an http:// or https:// URL (e.g. https://paz.example.com:9000)`;
  return undefined;
}

/** A name for profiles: what a shell and a file name take without quoting. */
export function profileNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) return `profile name "${name}" may hold only letters, digits, ".", "_" and "-" (up to 63, starting with a letter or digit)`;
  return undefined;
}

export function resolveConnection(i: ConnectionInputs): Connection {
  // an empty variable (PAZ_URL= paz …) is an unset one
  const env = { PAZ_URL: i.env.PAZ_URL || undefined, PAZ_TOKEN: i.env.PAZ_TOKEN || undefined, PAZ_PROFILE: i.env.PAZ_PROFILE || undefined };
  if (i.flags.profile !== undefined) {
    // `--profile prod` with PAZ_URL exported for another server means prod
    env.PAZ_URL = undefined;
    env.PAZ_TOKEN = undefined;
  }
  const named = i.flags.profile ?? env.PAZ_PROFILE;
  let profileName: string | undefined;
  if (named !== undefined) {
    if (!i.config.profiles[named]) {
      const near = closest(named, Object.keys(i.config.profiles));
      throw new Error(`no profile named ${named}${near ? ` (did you mean ${near}?)` : ''} in ${i.configPath}; make it with \`paz login URL --profile ${named}\``);
    }
    profileName = named;
  } else if (i.config.current && i.config.profiles[i.config.current]) {
    profileName = i.config.current;
  }
  const profile = profileName ? i.config.profiles[profileName] : undefined;
  const explicitUrl = i.flags.url ?? env.PAZ_URL;
  const url = withScheme(explicitUrl ?? profile?.url ?? DEFAULT_URL);
  const fromProfile = profile !== undefined && withScheme(profile.url) === url;
  if (i.flags.token !== undefined) return { url, token: i.flags.token.trim(), tokenSource: 'the token given with --token', profile: fromProfile ? profileName : undefined };
  if (env.PAZ_TOKEN) return { url, token: env.PAZ_TOKEN.trim(), tokenSource: 'the token in PAZ_TOKEN', profile: fromProfile ? profileName : undefined };
  if (fromProfile && profile.token) return { url, token: profile.token, tokenSource: `the token of profile ${profileName} (${i.configPath}): log in again with \`paz login ${profile.url} --profile ${profileName}\``, profile: profileName };
  return { url, profile: fromProfile ? profileName : undefined };
}

/** Parses the profile file's text, or says what is wrong with it (naming the file). */
export function parseProfileConfig(text: string, path: string): ProfileConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message}); fix or remove it`);
  }
  const bad = (why: string) => new Error(`${path}: ${why}; fix or remove it`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('expected an object {"current": NAME, "profiles": {NAME: {"url": URL, "token": TOKEN}}}');
  const r = raw as { current?: unknown; profiles?: unknown };
  if (r.current !== undefined && typeof r.current !== 'string') throw bad('"current" must be a profile name');
  const profiles: Record<string, Profile> = {};
  if (r.profiles !== undefined) {
    if (typeof r.profiles !== 'object' || r.profiles === null || Array.isArray(r.profiles)) throw bad('"profiles" must be an object of NAME: {"url", "token"}');
    for (const [name, p] of Object.entries(r.profiles as Record<string, unknown>)) {
      const q = p as { url?: unknown; token?: unknown } | null;
      if (typeof q !== 'object' || q === null || typeof q.url !== 'string') throw bad(`profile ${name} needs a "url"`);
      if (q.token !== undefined && typeof q.token !== 'string') throw bad(`profile ${name}'s "token" must be a string`);
      profiles[name] = { url: q.url, ...(q.token !== undefined ? { token: q.token } : {}) };
    }
  }
  return { ...(r.current !== undefined ? { current: r.current as string } : {}), profiles };
}
