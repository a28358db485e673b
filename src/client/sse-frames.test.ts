import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseFrames } from './sse-frames.js';

test('frames split across chunks come out whole; comments are dropped', () => {
  const f = new SseFrames();
  assert.deepEqual(f.push(': paz events since revision 3\n\nid: 4\nevent: jour'), []);
  assert.deepEqual(f.push('nal\ndata: {"a":"b: c"}\n\n: keep-alive\n\nid: 5\n'), [{ id: '4', event: 'journal', data: '{"a":"b: c"}' }]);
  assert.deepEqual(f.push('event: x\ndata: 1\n\n'), [{ id: '5', event: 'x', data: '1' }]);
});

test('comments go to onComment when asked', () => {
  const comments: string[] = [];
  const f = new SseFrames((c) => comments.push(c));
  assert.deepEqual(f.push(': paz events since revision 3\n\n: keep-alive\n\nid: 4\nevent: x\ndata: 1\n\n'), [{ id: '4', event: 'x', data: '1' }]);
  assert.deepEqual(comments, ['paz events since revision 3', 'keep-alive']);
});
