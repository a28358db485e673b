/**
 * The announced endpoints as one tree, the shape of Paz's announce watcher state:
 * `{ "demo-api": { "1": { "1": "10.0.0.2:49160" } }, "paz-orchestrator": "10.0.0.1:9000" }`. Pure.
 */
import { SERVICES_PREFIX } from './keys.js';

export type EndpointTree = Record<string, string | Record<string, Record<string, string>>>;

export function endpointTree(kvs: Array<{ key: string; value: string }>): EndpointTree {
  const tree: EndpointTree = {};
  for (const { key, value } of kvs) {
    if (!key.startsWith(SERVICES_PREFIX)) continue;
    const parts = key.slice(SERVICES_PREFIX.length).split('/');
    if (parts.length === 1) {
      tree[parts[0]] = value;
    } else if (parts.length === 3) {
      const [svc, ver, inst] = parts;
      const node = typeof tree[svc] === 'object' ? (tree[svc] as Record<string, Record<string, string>>) : (tree[svc] = {});
      (node[ver] ??= {})[inst] = value;
    }
  }
  return tree;
}
