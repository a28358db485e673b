// One prefix for everything the test scripts print, on stderr so node's test output on stdout stays clean.
export function log(message) {
  process.stderr.write(`[paz-test] ${message}\n`);
}
