/**
 * `paz kv get KEY` and `paz kv ls [PREFIX]`: read the store the way `etcdctl get` / `etcdctl ls` did, e.g.
 * `paz kv get /paz/services/paz-service-directory` prints `127.0.0.1:9001`.
 */
import { openCheckedStore } from '../roles/open-store.js';
import { parse, storeTlsOf, storeUrlOf } from './options.js';
import { UsageError } from './usage-error.js';
import { closest } from './closest.js';
import { redactStoreUrl } from '../store/index.js';
import { printError } from './print.js';

const usage = `usage: paz kv get KEY | paz kv ls [PREFIX] [--values] [--recursive] [--json]   (--store URL [--store-ca/--store-cert/--store-key FILE] | --data-dir DIR)
  Reads the store directly, read-only (a SQLite file is never written, so this works beside a running Paz).
  get KEY          the key's value (exit 1 when there is no such key)
  ls [PREFIX]      the keys under PREFIX, one level (--recursive: all; --values: with their values)
  --json           get: {key, value, createRevision, modRevision, version}; ls: every key under PREFIX as such
examples:
  paz kv get /paz/services/paz-scheduler
  paz kv ls /paz/services --recursive`;

const VERBS = ['get', 'ls'];

export async function kvCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { store: { type: 'string' }, 'store-ca': { type: 'string' }, 'store-cert': { type: 'string' }, 'store-key': { type: 'string' }, 'data-dir': { type: 'string' }, values: { type: 'boolean' }, recursive: { type: 'boolean', short: 'r' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  const [verb, key] = positionals;
  if (values.help) return console.log(usage), 0;
  if (!verb) throw new UsageError('name what to do: paz kv get KEY or paz kv ls [PREFIX]');
  if (!VERBS.includes(verb)) {
    const near = closest(verb, VERBS);
    throw new UsageError(`unknown kv command "${verb}"${near ? ` (did you mean paz kv ${near}?)` : ''}: paz kv get KEY or paz kv ls [PREFIX]`);
  }
  if (verb === 'get' && !key) throw new UsageError('paz kv get needs a KEY, e.g. /paz/services/paz-scheduler');
  if (positionals.length > 2) throw new UsageError(`unexpected argument ${positionals[2]}`);
  const store = await openCheckedStore(storeUrlOf(values), storeTlsOf(values), { readOnly: true });
  try {
    if (verb === 'get') {
      const kv = await store.get(key);
      if (!kv) {
        printError(`paz: no key ${key} in ${redactStoreUrl(store.name)} (paz kv ls lists the keys)`);
        return 1;
      }
      console.log(values.json ? JSON.stringify(kv, null, 2) : kv.value);
      return 0;
    }
    // ls
    const prefix = key ? (key.endsWith('/') ? key : `${key}/`) : '/';
    const { kvs } = await store.range(prefix);
    if (values.json) return console.log(JSON.stringify(kvs, null, 2)), 0;
    const lines = new Set<string>();
    for (const kv of kvs) {
      if (values.recursive || values.values) {
        lines.add(values.values ? `${kv.key} = ${kv.value}` : kv.key);
      } else {
        // like `etcdctl ls`: the direct children of the prefix
        const rest = kv.key.slice(prefix.length);
        const slash = rest.indexOf('/');
        lines.add(prefix + (slash === -1 ? rest : rest.slice(0, slash)));
      }
    }
    for (const l of lines) console.log(l);
    return 0;
  } finally {
    await store.close();
  }
}
