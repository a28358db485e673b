import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MirrorState, bucketOf } from './mirror-state.js';
import type { KeyValue, WatchEvent } from './store.js';

const kv = (key: string, value: string, rev: number): KeyValue => ({ key, value, createRevision: rev, modRevision: rev, version: 1, lease: 0 });
const put = (key: string, value: string, revision: number): WatchEvent => ({ type: 'put', key, value, revision });
const del = (key: string, revision: number): WatchEvent => ({ type: 'delete', key, value: '', revision });
const keysOf = (kvs: KeyValue[]) => kvs.map((k) => k.key);

/** a random model check: the mirror answers every range as a plain sorted map does */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('bucketOf', () => {
  it('cuts a key at its 4th slash, or its last when it has fewer', () => {
    assert.equal(bucketOf('/paz/units/status/web-1-1'), '/paz/units/status/');
    assert.equal(bucketOf('/paz/units/desired/web/web-1-1'), '/paz/units/desired/');
    assert.equal(bucketOf('/paz/hosts/h1'), '/paz/hosts/');
    assert.equal(bucketOf('/paz/services/web/1/2'), '/paz/services/web/');
    assert.equal(bucketOf('/paz/x'), '/paz/');
    assert.equal(bucketOf('plain'), '');
  });
});

describe('MirrorState', () => {
  it('loads ranges, then moves forward with watch events; ranges come in key order across buckets', () => {
    const state = new MirrorState({ ranges: [[kv('/paz/hosts/h2', 'b', 3), kv('/paz/hosts/h1', 'a', 2)], [kv('/paz/services/web/1/1', 'e', 4)]], revision: 5 });
    assert.equal(state.revision, 5);
    const v5 = state.view();
    assert.deepEqual(keysOf(v5.range('/paz/hosts/')), ['/paz/hosts/h1', '/paz/hosts/h2']);
    state.apply([put('/paz/hosts/h0', 'z', 6), put('/paz/services/paz-orchestrator', 'o', 6)]);
    state.apply([put('/paz/hosts/h1', 'a2', 7)]);
    state.apply([del('/paz/hosts/h2', 8)]);
    const v8 = state.view();
    assert.equal(v8.revision, 8);
    assert.deepEqual(keysOf(v8.range('/paz/hosts/')), ['/paz/hosts/h0', '/paz/hosts/h1']);
    assert.equal(v8.get('/paz/hosts/h1')?.value, 'a2');
    assert.deepEqual({ ...v8.get('/paz/hosts/h1')!, value: '' }, { key: '/paz/hosts/h1', value: '', createRevision: 2, modRevision: 7, version: 2, lease: 0 });
    // '/paz/services/' spans the components' bucket and each service's endpoints bucket
    assert.deepEqual(keysOf(v8.range('/paz/services/')), ['/paz/services/paz-orchestrator', '/paz/services/web/1/1']);
    assert.deepEqual(keysOf(v8.range('/paz/services/web/')), ['/paz/services/web/1/1']);
  });

  it('a view keeps answering its revision while the state moves on', () => {
    const state = new MirrorState({ ranges: [[kv('/paz/units/status/a', '1', 1)]], revision: 1 });
    const v1 = state.view();
    state.apply([put('/paz/units/status/a', '2', 2), put('/paz/units/status/b', '1', 2)]);
    const v2 = state.view();
    state.apply([del('/paz/units/status/a', 3)]);
    state.apply([put('/paz/units/status/c', '1', 4)]);
    assert.deepEqual(v1.range('/paz/units/').map((k) => k.value), ['1']);
    assert.deepEqual(v2.range('/paz/units/').map((k) => [k.key, k.value]), [['/paz/units/status/a', '2'], ['/paz/units/status/b', '1']]);
    assert.deepEqual(keysOf(state.view().range('/paz/')), ['/paz/units/status/b', '/paz/units/status/c']);
    assert.equal(v1.get('/paz/units/status/b'), undefined);
  });

  it('ignores events at or below its revision (a watch that restarted from an older point)', () => {
    const state = new MirrorState({ ranges: [[kv('/paz/hosts/h1', 'a', 3)]], revision: 3 });
    state.apply([put('/paz/hosts/h1', 'old', 3)]);
    assert.equal(state.view().get('/paz/hosts/h1')?.value, 'a');
  });

  it('says when anything under some prefixes last changed', () => {
    const state = new MirrorState({ ranges: [[kv('/paz/hosts/h1', 'a', 1), kv('/paz/directory/services/web', '{}', 2)]], revision: 10 });
    assert.equal(state.view().changedAt(['/paz/directory/']), 10, 'at load: the load revision');
    state.apply([put('/paz/units/status/x', '1', 11)]);
    state.apply([put('/paz/hosts/h2', '1', 12)]);
    const v = state.view();
    assert.equal(v.changedAt(['/paz/directory/']), 10);
    assert.equal(v.changedAt(['/paz/directory/services/web']), 10);
    assert.equal(v.changedAt(['/paz/units/status/']), 11);
    assert.equal(v.changedAt(['/paz/units/', '/paz/hosts/']), 12);
    assert.equal(v.changedAt(['/paz/known-hosts/']), 10, 'nothing there ever: the load revision');
    state.apply([del('/paz/hosts/h2', 13)]);
    assert.equal(state.view().changedAt(['/paz/hosts/']), 13, 'a delete is a change');
    assert.equal(v.changedAt(['/paz/hosts/']), 12, 'the earlier view still says what it saw');
  });

  it('answers every range as a plain map of the same events does, views included', () => {
    const rnd = lcg(42);
    const names = ['/paz/hosts/', '/paz/units/status/', '/paz/units/desired/a/', '/paz/units/desired/b/', '/paz/services/a/1/', '/paz/services/', '/paz/x'];
    const model = new Map<string, string>();
    const state = new MirrorState({ ranges: [], revision: 0 });
    const views: Array<{ view: ReturnType<MirrorState['view']>; model: Map<string, string> }> = [];
    for (let rev = 1; rev <= 2000; rev++) {
      const batch: WatchEvent[] = [];
      const touched = new Set<string>();
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
        const key = names[Math.floor(rnd() * names.length)] + String(Math.floor(rnd() * 20));
        if (touched.has(key)) continue;
        touched.add(key);
        if (rnd() < 0.3) {
          if (model.delete(key)) batch.push(del(key, rev));
        } else {
          model.set(key, String(rev));
          batch.push(put(key, String(rev), rev));
        }
      }
      state.apply(batch);
      if (rnd() < 0.2) views.push({ view: state.view(), model: new Map(model) });
    }
    const sorted = (m: Map<string, string>, prefix: string) => [...m].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
    for (const { view, model: then } of [...views, { view: state.view(), model }]) {
      for (const prefix of ['/paz/', '/paz/units/', '/paz/units/desired/', '/paz/services/', '/paz/services/a', '/paz/x1', '/nothing/']) {
        assert.deepEqual(view.range(prefix).map((k) => [k.key, k.value]), sorted(then, prefix), `${prefix} at ${view.revision}`);
      }
    }
  });
});
