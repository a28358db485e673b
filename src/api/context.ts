/** What the HTTP handlers work with: the store and the records kept in it. */
import type { Store } from '../store/store.js';
import { Directory } from '../state/directory.js';
import { Deploys } from '../state/deploys.js';
import { ClusterView } from '../state/cluster.js';

export interface ApiContext {
  store: Store;
  directory: Directory;
  deploys: Deploys;
  cluster: ClusterView;
}

export function createContext(store: Store, now: () => number = Date.now): ApiContext {
  return { store, directory: new Directory(store, now), deploys: new Deploys(store, now), cluster: new ClusterView(store, now) };
}
