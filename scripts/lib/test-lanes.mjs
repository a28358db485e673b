// Which test files may run at the same time. The runner runs test files in lanes (several `node --test`
// processes at once, each on one file); a file says what it needs in one comment line of its own,
//
//   // test-lane: docker heavy slow
//
// and the runner starts a file only beside files it is compatible with (canRunBeside). The CPU class is
// measured, not guessed: `node scripts/run-tests.mjs --lanes 1 FILE` prints how many of the machine's cores
// were busy while the file ran alone (with the daemons it talks to). About half a core or less is light, if
// the file also passes beside two CPU hogs (light files run beside heavy ones: a lease or deadline under
// test must hold there); a load loop counting failed requests, a browser, a big deploy or a crash loop is
// heavy whatever it measures (nothing busy may run beside it); the rest is normal. A file under
// test/ without that line runs alone: a new test is never put beside another by accident. The unit
// tests (dist/src, dist/web/src: pure functions, temp dirs, free ports) run as one batch of class normal.
import { readFileSync } from 'node:fs';

/**
 * The words a `test-lane:` line may use. Resources are held by one file at a time in each test environment;
 * the CPU class says what may run beside a file on this 2-core machine.
 */
export const LANE_WORDS = {
  // resources (at most one running file holds each in each test environment; run-tests.mjs makes two)
  docker: "a test environment's dockerd: its containers and images (paz up's close() removes every paz.managed container)",
  port80: "a test namespace's port 80 (paz up's default router port)",
  // CPU classes (one of them; none means normal)
  heavy: 'CPU-heavy (a load loop counting failed requests, a big deploy, a benchmark, a browser): runs beside light files only',
  normal: 'some CPU, no load loop: runs beside normal and light files',
  light: 'mostly waits on timers (leases, grace periods, slow starters): may run beside a heavy file',
  alone: 'runs with nothing beside it (figures or deadlines that a neighbour would distort)',
  // scheduling hint
  slow: 'takes 20 s or more: started first, so the long files do not end up last in one lane',
};
const RESOURCES = ['docker', 'port80'];
const CLASSES = ['heavy', 'normal', 'light', 'alone'];

const LINE = /^\s*\/\/\s*test-lane:(.*)$/m;

/**
 * The declaration in a test file's text: { words: Set } or { error } for an unknown word or two CPU
 * classes; undefined when the file has no `test-lane:` line.
 */
export function parseLaneLine(text) {
  const m = LINE.exec(text);
  if (!m) return undefined;
  const words = m[1].split(/[\s,]+/).filter(Boolean);
  const unknown = words.filter((w) => !(w in LANE_WORDS));
  if (unknown.length > 0) return { error: `unknown word(s) ${unknown.join(', ')} (known: ${Object.keys(LANE_WORDS).join(', ')})` };
  if (words.filter((w) => CLASSES.includes(w)).length > 1) return { error: `more than one of ${CLASSES.join(', ')}` };
  return { words: new Set(words) };
}

/** a file's lane needs: { resources: string[], cpu: 'heavy'|'light'|'normal'|'alone', slow: boolean } */
export function laneNeeds(words) {
  return {
    resources: RESOURCES.filter((r) => words.has(r)),
    cpu: CLASSES.find((c) => words.has(c)) ?? 'normal',
    slow: words.has('slow'),
  };
}

/** what a file under test/ without a `test-lane:` line gets */
export const UNDECLARED = { resources: [], cpu: 'alone', slow: false };
/** the unit-test batch */
export const UNIT_BATCH = { resources: [], cpu: 'normal', slow: false };

/** the needs declared in a compiled test file (the comment survives tsc); UNDECLARED without a line */
export function readLaneNeeds(path) {
  const parsed = parseLaneLine(readFileSync(path, 'utf8'));
  if (!parsed) return UNDECLARED;
  if (parsed.error) throw new Error(`${path}: test-lane: ${parsed.error}`);
  return laneNeeds(parsed.words);
}

/**
 * Whether two files may run at the same time: no shared resource (when they run in the same test
 * environment: each has its own dockerd and port 80), neither runs alone, and a heavy file only beside a
 * light one (two cores: a load loop and a big deploy together would starve both).
 */
export function canRunBeside(a, b, sameEnvironment = true) {
  if (a.cpu === 'alone' || b.cpu === 'alone') return false;
  if (sameEnvironment && a.resources.some((r) => b.resources.includes(r))) return false;
  if (a.cpu === 'heavy' && b.cpu !== 'light') return false;
  if (b.cpu === 'heavy' && a.cpu !== 'light') return false;
  return true;
}

/**
 * The order files are offered to lanes: those that run alone first (while nothing else has started; slow
 * ones first), then the heavy ones and every file holding a resource (the heavy files are the longest chain
 * of the run: they go first, so the light files can run beside them), then the other slow ones, then the
 * rest; by name within each. Files holding a resource keep their name order among themselves (nextToStart
 * never lets one pass another): they start in the same order in every run.
 */
export function laneOrder(items) {
  const rank = (it) => {
    if (it.needs.cpu === 'alone') return it.needs.slow ? 0 : 1;
    if (it.needs.cpu === 'heavy' || it.needs.resources.length > 0) return 2;
    return it.needs.slow ? 3 : 4;
  };
  return [...items].sort((x, y) => rank(x) - rank(y) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/**
 * What each class takes of the machine's CPU budget of two (cores): a heavy file fills it, a normal one
 * takes a core, a light one (waiting, not computing) none; files run together only within the budget. So
 * three lanes hold a heavy file and two light ones, or two normal files and a light one, never three busy ones.
 * (Four lanes, a heavy file beside three light ones, were tried: a light file's half core is not nothing, and
 * stale-leader-wakes, whose frozen leader must run a stale pass before it learns it lost the lead, failed.)
 */
const CPU_WEIGHT = { heavy: 2, normal: 1, light: 0, alone: 2 };
export const CPU_BUDGET = 2;

/**
 * Which of `environments` test environments (numbered from 0, each a namespace with its own dockerd and
 * port 80) `item` may run in beside `running` (items carrying the `environment` they run in): the first
 * where no running item holds one of its resources, or undefined. A file holding no resource runs in 0.
 */
export function environmentFor(item, running, environments = 1) {
  if (item.needs.resources.length === 0) return 0;
  for (let e = 0; e < environments; e++) {
    if (!running.some((r) => (r.environment ?? 0) === e && r.needs.resources.some((x) => item.needs.resources.includes(x)))) return e;
  }
  return undefined;
}

/** whether `item` may start now: it fits beside every running item, and all of them within the CPU budget */
export function fitsBeside(item, running, environments = 1) {
  const e = environmentFor(item, running, environments);
  if (e === undefined) return false;
  if (!running.every((r) => canRunBeside(item.needs, r.needs, (r.environment ?? 0) === e))) return false;
  return running.reduce((sum, r) => sum + CPU_WEIGHT[r.needs.cpu], CPU_WEIGHT[item.needs.cpu]) <= CPU_BUDGET;
}

/**
 * The next item of `queue` (in order) that may start beside every item of `running`, or undefined.
 * An item that cannot start yet holds its place: one that runs alone holds the whole queue (so a stream of
 * compatible pairs does not starve it), a heavy one waiting for the CPU holds the CPU (only light files start
 * until it can; one waiting for the dockerd lets other files use the CPU meanwhile, the heavy chain being the
 * run's longest), one holding a resource holds that resource for the items behind it.
 */
export function nextToStart(queue, running, environments = 1) {
  const held = new Set();
  let heavyWaiting = false;
  for (const item of queue) {
    const passable = !item.needs.resources.some((r) => held.has(r)) && (!heavyWaiting || item.needs.cpu === 'light');
    if (passable && fitsBeside(item, running, environments)) return item;
    if (item.needs.cpu === 'alone') return undefined;
    // a heavy file held back by a resource (every dockerd busy with another file) lets other files use the
    // CPU meanwhile; one held back by the CPU keeps it from files that would take it first
    const resourceTaken = item.needs.resources.some((r) => held.has(r)) || environmentFor(item, running, environments) === undefined;
    if (item.needs.cpu === 'heavy' && !resourceTaken) heavyWaiting = true;
    // whatever kept it waiting, the files behind it that need its resources wait too
    for (const r of item.needs.resources) held.add(r);
  }
  return undefined;
}
