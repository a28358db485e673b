// The runner's lane rule (scripts/lib/test-lanes.mjs), and that every test file declares what it needs: a
// file that uses the environment's shared dockerd must say `docker`, one that binds port 80 must say
// `port80`, and one running a load loop or a browser must not be `normal` or `light` (it would be put
// beside another busy file). A file without a `test-lane:` line runs alone; here that is an error, so a
// new test is declared on purpose.
// test-lane: normal
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/paz-server.js';

interface Needs {
  resources: string[];
  cpu: 'heavy' | 'light' | 'normal' | 'alone';
  slow: boolean;
}
interface Item {
  name: string;
  needs: Needs;
  /** the test environment a running item runs in (0 when not said) */
  environment?: number;
}
interface Lanes {
  parseLaneLine(text: string): { words: Set<string> } | { error: string } | undefined;
  laneNeeds(words: Set<string>): Needs;
  canRunBeside(a: Needs, b: Needs, sameEnvironment?: boolean): boolean;
  nextToStart(queue: Item[], running: Item[], environments?: number): Item | undefined;
  environmentFor(item: Item, running: Item[], environments?: number): number | undefined;
  laneOrder(items: Item[]): Item[];
  UNDECLARED: Needs;
}

const lanes = (await import(pathToFileURL(join(repoRoot, 'scripts', 'lib', 'test-lanes.mjs')).href)) as Lanes;

const needs = (line: string): Needs => {
  const parsed = lanes.parseLaneLine(`// test-lane: ${line}\n`);
  assert.ok(parsed && 'words' in parsed, `${line}: ${JSON.stringify(parsed)}`);
  return lanes.laneNeeds(parsed.words);
};
const item = (name: string, line: string): Item => ({ name, needs: needs(line) });

describe('the lane rule', () => {
  it('one shared resource at a time', () => {
    assert.equal(lanes.canRunBeside(needs('docker'), needs('docker light')), false);
    assert.equal(lanes.canRunBeside(needs('port80'), needs('port80')), false);
    assert.equal(lanes.canRunBeside(needs('docker'), needs('port80')), true);
    assert.equal(lanes.canRunBeside(needs('docker'), needs('')), true);
  });

  it('a heavy file only beside a light one; nothing beside a file that runs alone', () => {
    assert.equal(lanes.canRunBeside(needs('heavy'), needs('light')), true);
    assert.equal(lanes.canRunBeside(needs('light'), needs('heavy')), true);
    assert.equal(lanes.canRunBeside(needs('heavy'), needs('')), false);
    assert.equal(lanes.canRunBeside(needs(''), needs('heavy')), false);
    assert.equal(lanes.canRunBeside(needs('heavy'), needs('heavy')), false);
    assert.equal(lanes.canRunBeside(needs(''), needs('')), true);
    assert.equal(lanes.canRunBeside(needs('alone'), needs('light')), false);
    assert.equal(lanes.canRunBeside(lanes.UNDECLARED, needs('light')), false);
  });

  it('unknown words and two CPU classes are refused; no line is undefined', () => {
    assert.match((lanes.parseLaneLine('// test-lane: dokcer\n') as { error: string }).error, /unknown word\(s\) dokcer/);
    assert.match((lanes.parseLaneLine('// test-lane: heavy light\n') as { error: string }).error, /more than one/);
    assert.equal(lanes.parseLaneLine('// nothing here\n'), undefined);
  });

  it('the next file is the first one that fits; one that runs alone holds the queue', () => {
    const heavyDocker = item('a', 'docker heavy');
    const docker = item('b', 'docker light');
    const normal = item('c', '');
    const light = item('d', 'light');
    assert.equal(lanes.nextToStart([docker, normal, light], [heavyDocker]), light);
    assert.equal(lanes.nextToStart([docker, normal], [heavyDocker]), undefined);
    assert.equal(lanes.nextToStart([item('e', 'alone'), light], [normal]), undefined, 'waits for the lanes to empty');
    assert.equal(lanes.nextToStart([item('e', 'alone'), light], [])?.name, 'e');
  });

  it('a file holding a resource is never passed by a later one holding it: the dockerds see their files in name order', () => {
    const heavyDocker = item('f', 'docker heavy');
    const lightDocker = item('g', 'docker light');
    assert.equal(lanes.nextToStart([heavyDocker, lightDocker], [item('c', '')]), undefined);
    assert.equal(lanes.nextToStart([heavyDocker, lightDocker, item('d', 'light')], [item('c', '')])?.name, 'd');
    assert.equal(lanes.nextToStart([heavyDocker, lightDocker], [item('d', 'light')])?.name, 'f');
  });

  it('within the CPU budget of two cores: a heavy file and two light ones, never three busy ones', () => {
    assert.equal(lanes.nextToStart([item('l', 'light')], [item('h', 'heavy'), item('l2', 'light')])?.name, 'l');
    assert.equal(lanes.nextToStart([item('n', '')], [item('n1', ''), item('n2', '')]), undefined);
    assert.equal(lanes.nextToStart([item('l', 'light')], [item('n1', ''), item('n2', '')])?.name, 'l');
  });

  it('files that run alone go first, then heavy ones and those holding a resource, then slow ones, then the rest', () => {
    const order = lanes.laneOrder([
      item('z', ''), item('y', 'slow'), item('x', 'alone'), item('w', 'alone slow'), item('v', 'docker light'), item('u', 'heavy'), item('t', 'light slow'),
    ]).map((i) => i.name);
    assert.deepEqual(order, ['w', 'x', 'u', 'v', 't', 'y', 'z']);
  });

  it('a heavy file waiting for the CPU lets only light files pass it, so it is not starved by normal ones', () => {
    const waiting = item('h', 'heavy');
    assert.equal(lanes.nextToStart([waiting, item('n', ''), item('l', 'light')], [item('n0', '')])?.name, 'l');
    assert.equal(lanes.nextToStart([waiting, item('n', '')], [item('n0', '')]), undefined);
    assert.equal(lanes.nextToStart([waiting, item('n', '')], [])?.name, 'h');
    // a docker file held back behind the heavy one still holds the dockerd: a later light docker file waits too
    assert.equal(lanes.nextToStart([waiting, item('nd', 'docker'), item('ld', 'docker light')], [item('n0', '')]), undefined);
  });

  it('a heavy file waiting for a resource, not the CPU, lets other files use the CPU meanwhile', () => {
    const heavyDocker = item('hd', 'docker heavy');
    const lightDocker = item('ld', 'docker light');
    // the dockerd is busy with a light file: another heavy file (or a normal one) may start; a docker one may not
    assert.equal(lanes.nextToStart([heavyDocker, item('h', 'heavy')], [lightDocker])?.name, 'h');
    assert.equal(lanes.nextToStart([heavyDocker, item('n', '')], [lightDocker])?.name, 'n');
    assert.equal(lanes.nextToStart([heavyDocker, item('nd', 'docker')], [lightDocker]), undefined);
    // once the dockerd is free but the CPU is not, it holds the CPU again: only light files pass it
    assert.equal(lanes.nextToStart([heavyDocker, item('n', ''), item('l', 'light')], [item('n0', '')])?.name, 'l');
    // waiting behind an earlier file for the dockerd counts as waiting for a resource too
    assert.equal(lanes.nextToStart([item('d0', 'docker light'), heavyDocker, item('h', 'heavy')], [lightDocker])?.name, 'h');
  });

  it('two environments: a file holding a resource runs in the one where it is free, within the same CPU budget', () => {
    const at = (name: string, line: string, environment: number): Item => ({ ...item(name, line), environment });
    const heavyDocker = item('hd', 'docker heavy');
    const lightDocker = item('ld', 'docker light slow');
    // each environment has its own dockerd and port 80: a second docker file starts in the other one
    assert.equal(lanes.canRunBeside(needs('docker'), needs('docker light'), false), true);
    assert.equal(lanes.canRunBeside(needs('docker heavy'), needs('docker'), false), false, 'the CPU rule holds across environments');
    assert.equal(lanes.environmentFor(lightDocker, [at('hd', 'docker heavy', 0)], 2), 1);
    assert.equal(lanes.nextToStart([lightDocker], [at('hd', 'docker heavy', 0)], 2), lightDocker);
    assert.equal(lanes.environmentFor(heavyDocker, [at('ld', 'docker light', 1)], 2), 0);
    assert.equal(lanes.environmentFor(item('p', 'docker port80 light'), [at('d', 'docker', 0)], 2), 1);
    // with one environment, or both dockerds busy, it waits, and so do the docker files behind it
    assert.equal(lanes.nextToStart([lightDocker], [at('hd', 'docker heavy', 0)], 1), undefined);
    assert.equal(lanes.environmentFor(lightDocker, [at('d0', 'docker', 0), at('d1', 'docker light', 1)], 2), undefined);
    assert.equal(lanes.nextToStart([lightDocker, item('l2', 'docker light'), item('l', 'light')], [at('d0', 'docker', 0), at('d1', 'docker light', 1)], 2)?.name, 'l');
    // the CPU budget is the machine's: two heavy docker files never run together, whatever their environments
    assert.equal(lanes.nextToStart([heavyDocker], [at('hd0', 'docker heavy', 0)], 2), undefined);
    assert.equal(lanes.nextToStart([item('n', 'docker')], [at('n0', 'docker', 0), at('l', 'light', 0)], 2)?.name, 'n');
    assert.equal(lanes.nextToStart([item('n', 'docker')], [at('n0', 'docker', 0), at('n1', '', 0)], 2), undefined);
    // a file holding nothing runs in the first environment
    assert.equal(lanes.environmentFor(item('n', ''), [at('d0', 'docker', 0)], 2), 0);
  });
});

describe('every test file declares its lane needs', () => {
  const dir = join(repoRoot, 'test');
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort();

  it('has a valid test-lane line', () => {
    const problems: string[] = [];
    for (const f of files) {
      const parsed = lanes.parseLaneLine(readFileSync(join(dir, f), 'utf8'));
      if (!parsed) problems.push(`${f}: no \`// test-lane:\` line (it would run alone)`);
      else if ('error' in parsed) problems.push(`${f}: ${parsed.error}`);
    }
    assert.deepEqual(problems, []);
  });

  it('says what it shares: the dockerd, port 80, a busy CPU', () => {
    const problems: string[] = [];
    for (const f of files.filter((name) => name !== 'test-lanes.test.ts')) { // this file names the patterns
      const text = readFileSync(join(dir, f), 'utf8');
      const parsed = lanes.parseLaneLine(text);
      if (!parsed || 'error' in parsed) continue;
      const n = lanes.laneNeeds(parsed.words);
      // the shared dockerd: paz up with the Docker driver, the environment's socket, or a driver on it
      if (/startPazUp|dockerTestEnv|skipUnlessDocker|process\.env\.DOCKER_HOST/.test(text) && !n.resources.includes('docker')) {
        problems.push(`${f}: uses the test environment's dockerd but does not declare docker`);
      }
      if (/127\.0\.0\.1:80\b(?!\d)/.test(text) && !n.resources.includes('port80')) problems.push(`${f}: uses port 80 but does not declare port80`);
      if (/new Load\(|helpers\/browser\.js/.test(text) && (n.cpu === 'normal' || n.cpu === 'light')) {
        problems.push(`${f}: runs a load loop or a browser but is ${n.cpu}: declare heavy (or alone)`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
