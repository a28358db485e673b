import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterEnd, notStartedText, planFollow, resumeAt, SkipLines, PrefixedLines, readableUnits, type Followed } from './service-logs-plan.js';

const unit = (name: string, startedAt?: number, host: string | null = 'h1') => ({ name, host, ...(startedAt !== undefined ? { startedAt } : {}) });

test('readableUnits: placed and started once, by version then instance (web-10 after web-9)', () => {
  const units = [unit('web-10-1', 5), unit('web-9-2', 3), unit('web-9-10', 4), unit('web-9-1', 2), unit('web-11-1'), unit('web-11-2', 6, null)];
  assert.deepEqual(readableUnits(units).map((u) => u.name), ['web-9-1', 'web-9-2', 'web-9-10', 'web-10-1']);
});

test('planFollow: new units from their beginning; open ones left alone; units not started yet waited for', () => {
  const followed = new Map<string, Followed>([['web-1-1', { startedAt: 1000, open: true }]]);
  assert.deepEqual(planFollow(followed, [unit('web-1-1', 1000), unit('web-2-1', 5000), unit('web-2-2')]), [{ type: 'attach', unit: 'web-2-1', why: 'new', startedAt: 5000 }]);
});

test('planFollow: a unit whose stream ended is read again only once it started again, from that second', () => {
  const ended = new Map<string, Followed>([['web-1-1', { startedAt: 1000, open: false }]]);
  assert.deepEqual(planFollow(ended, [unit('web-1-1', 1000)]), [], 'exited, not restarted yet');
  assert.deepEqual(planFollow(ended, [unit('web-1-1', 7_500)]), [{ type: 'attach', unit: 'web-1-1', why: 'restarted', startedAt: 7_500, since: 7 }]);
});

test('planFollow: a stream that broke off is read again where it broke; a restart since wins', () => {
  const broken = new Map<string, Followed>([['web-1-1', { startedAt: 1000, open: false, resume: { since: 42, skip: 7 } }]]);
  assert.deepEqual(planFollow(broken, [unit('web-1-1', 1000)]), [{ type: 'attach', unit: 'web-1-1', why: 'retry', startedAt: 1000, since: 42, skip: 7 }]);
  assert.deepEqual(planFollow(broken, [unit('web-1-1', 50_000)]), [{ type: 'attach', unit: 'web-1-1', why: 'restarted', startedAt: 50_000, since: 50 }]);
});

test('planFollow: followed units no longer listed are gone, open or not', () => {
  const followed = new Map<string, Followed>([['web-1-1', { startedAt: 1, open: true }], ['web-1-2', { startedAt: 1, open: false }]]);
  assert.deepEqual(planFollow(followed, [unit('web-2-1', 9)]), [
    { type: 'attach', unit: 'web-2-1', why: 'new', startedAt: 9 },
    { type: 'gone', unit: 'web-1-1' },
    { type: 'gone', unit: 'web-1-2' },
  ]);
});

test('PrefixedLines: whole lines behind the prefix, a cut line kept for its end, CRLF trimmed, the rest at the end', () => {
  const l = new PrefixedLines('web-1-1 | ');
  assert.deepEqual(l.push('one\ntw'), ['web-1-1 | one']);
  assert.deepEqual(l.push('o\r\nthree'), ['web-1-1 | two']);
  assert.deepEqual(l.push(''), []);
  assert.deepEqual(l.end(), ['web-1-1 | three']);
  assert.deepEqual(l.end(), []);
});

test('afterEnd: an end worth saying only for a unit still there, not retired, not started again; one still running is read on', () => {
  const followed = new Map<string, Followed>([
    ['web-1-1', { startedAt: 1, open: false, ended: true }],
    ['web-1-2', { startedAt: 1, open: false, ended: true }],
    ['web-1-3', { startedAt: 1, open: false, ended: true }],
    ['web-1-4', { startedAt: 1, open: false, ended: true }],
    ['web-1-5', { startedAt: 1, open: true }],
    ['web-1-6', { startedAt: 1, open: false, ended: true }],
  ]);
  const units = [
    { ...unit('web-1-1', 1), state: 'exited' },
    { ...unit('web-1-2', 1), state: 'healthy', drainingSince: 5 },
    { ...unit('web-1-3', 9), state: 'healthy' },
    { ...unit('web-1-5', 1), state: 'healthy' },
    { ...unit('web-1-6', 1), state: 'healthy' },
  ];
  assert.deepEqual(afterEnd(followed, units), { runs: ['web-1-6'], ended: ['web-1-1'] });
});

test('notStartedText: units that have not started say why, the same reason once; no units: nothing to say here', () => {
  const noHost = 'no host is available: start an agent';
  assert.equal(notStartedText('web', [{ ...unit('web-1-1', undefined, null), state: 'unplaced', reason: noHost }, { ...unit('web-1-2', undefined, null), state: 'unplaced', reason: noHost }, { ...unit('web-1-3'), state: 'pulling' }]), `web's units have not started yet: web-1-1 and web-1-2 unplaced: ${noHost}; web-1-3 pulling`);
  assert.equal(notStartedText('web', []), undefined);
});

test('resumeAt: a stream without a tail is read again the same way, skipping what was read; with a tail from when it broke', () => {
  assert.deepEqual(resumeAt({}, 12, 5_500), { skip: 12 });
  assert.deepEqual(resumeAt({ since: 40 }, 3, 5_500), { since: 40, skip: 3 });
  assert.deepEqual(resumeAt({ tail: '10' }, 12, 5_500), { since: 5, skip: 0 });
});

test('SkipLines: drops whole lines already shown, across chunks, then passes and counts the rest', () => {
  const s = new SkipLines(2);
  assert.equal(s.push('one\ntw'), '');
  assert.equal(s.push('o\nthree\nfou'), 'three\nfou');
  assert.equal(s.push('r\n'), 'r\n');
  assert.equal(s.passed, 2);
  const none = new SkipLines(0);
  assert.equal(none.push('a\nb'), 'a\nb');
  assert.equal(none.passed, 1);
});

test('planFollow: at most max units followed at once, the newest versions first; a unit gone makes room', () => {
  const units = [unit('web-1-1', 1), unit('web-1-2', 1), unit('web-2-1', 2), unit('web-2-2', 2)];
  assert.deepEqual(planFollow(new Map(), units, 3).map((a) => a.unit), ['web-1-2', 'web-2-1', 'web-2-2']);
  const full = new Map<string, Followed>([['web-1-2', { startedAt: 1, open: true }], ['web-2-1', { startedAt: 2, open: true }], ['web-2-2', { startedAt: 2, open: true }]]);
  assert.deepEqual(planFollow(full, units, 3), [], 'no room');
  assert.deepEqual(planFollow(full, units.filter((u) => u.name !== 'web-1-2'), 3), [{ type: 'attach', unit: 'web-1-1', why: 'new', startedAt: 1 }, { type: 'gone', unit: 'web-1-2' }]);
});
