/**
 * `paz kv get KEY` and `paz kv ls [PREFIX]`: read the store the way `etcdctl get` / `etcdctl ls` did, e.g.
 * `paz kv get /paz/services/paz-service-directory` prints `127.0.0.1:9001`.
 */
import { openCheckedStore } from '../roles/open-store.js';
import { parse, storeTlsOf, storeUrlOf } from './options.js';
import { UsageError } from './usage-error.js';

const usage = `usage: paz kv get KEY | paz kv ls [PREFIX] [--values] [--recursive]   (--store URL [--store-ca/--store-cert/--store-key FILE] | --data-dir DIR)
example: paz kv ls /paz/services --recursive`;

export async function kvCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { store: { type: 'string' }, 'store-ca': { type: 'string' }, 'store-cert': { type: 'string' }, 'store-key': { type: 'string' }, 'data-dir': { type: 'string' }, values: { type: 'boolean' }, recursive: { type: 'boolean', short: 'r' }, help: { type: 'boolean', short: 'h' } }, true);
  const [verb, key] = positionals;
  if (values.help || !verb) {
    console.log(usage);
    return verb ? 0 : 2;
  }
  const store = await openCheckedStore(storeUrlOf(values), storeTlsOf(values));
  try {
    if (verb === 'get') {
      if (!key) throw new UsageError('paz kv get needs a KEY, e.g. /paz/services/paz-scheduler');
      const kv = await store.get(key);
      if (!kv) {
        console.error(`Error: key not found: ${key}`);
        return 4;
      }
      console.log(kv.value);
      return 0;
    }
    if (verb === 'ls') {
      const prefix = key ? (key.endsWith('/') ? key : `${key}/`) : '/';
      const { kvs } = await store.range(prefix);
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
    }
    throw new UsageError(`unknown kv verb "${verb}"`);
  } finally {
    await store.close();
  }
}
