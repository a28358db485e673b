import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberChoice } from './member-choice.js';

describe('MemberChoice', () => {
  const members = ['a:2379', 'b:2379', 'c:2379'];

  it('takes turns over the members, so the load spreads, and offers every member each call', () => {
    const choice = new MemberChoice(members, { unreachableForMs: 10_000 });
    const firsts = [0, 1, 2, 3].map(() => choice.order('read', 0));
    assert.deepEqual(firsts.map((o) => o[0]), ['a:2379', 'b:2379', 'c:2379', 'a:2379']);
    for (const o of firsts) assert.deepEqual([...o].sort(), members);
  });

  it('puts a member that did not answer last, but never leaves it out', () => {
    const choice = new MemberChoice(members, { unreachableForMs: 10_000 });
    choice.unreachable('a:2379', 1_000);
    for (let i = 0; i < 3; i++) {
      assert.equal(choice.order('read', 2_000).at(-1), 'a:2379');
      assert.equal(choice.order('write', 2_000).at(-1), 'a:2379');
    }
    assert.equal(choice.order('read', 2_000).length, 3);
  });

  it('the longest unreachable comes first among the unreachable ones', () => {
    const choice = new MemberChoice(members, { unreachableForMs: 10_000 });
    choice.unreachable('c:2379', 1_000);
    choice.unreachable('a:2379', 2_000);
    assert.deepEqual(choice.order('write', 3_000).slice(1), ['c:2379', 'a:2379']);
  });

  it('reads try an unreachable member in its turn again after a while; writes wait until it answers', () => {
    const choice = new MemberChoice(members, { unreachableForMs: 10_000 });
    choice.unreachable('a:2379', 0);
    const reads = [0, 1, 2].map(() => choice.order('read', 10_000)[0]);
    assert.ok(reads.includes('a:2379'), reads.join(' '));
    for (let i = 0; i < 3; i++) assert.equal(choice.order('write', 10_000).at(-1), 'a:2379');
    choice.answered('a:2379');
    assert.equal(choice.isUnreachable('a:2379'), false);
    const writes = [0, 1, 2].map(() => choice.order('write', 10_000)[0]);
    assert.deepEqual([...writes].sort(), members);
  });

  it('an election costs no member its place: only the absence of an answer moves one back', () => {
    // (the store client reports "no leader" / "leader changed" answers as answered)
    const choice = new MemberChoice(members, { unreachableForMs: 10_000 });
    for (const m of members) choice.answered(m);
    assert.deepEqual([...choice.order('write', 0)].sort(), members);
    assert.ok(members.every((m) => !choice.isUnreachable(m)));
  });

  it('needs at least one member', () => {
    assert.throws(() => new MemberChoice([], { unreachableForMs: 1 }), /no etcd members/);
  });
});
