#!/usr/bin/env node
// The `paz` command. The TypeScript sources are compiled to dist/ by `npm run build` (the set-up script runs it).

// a lone agent trades peak speed for memory (small young generation, no TurboFan), set before anything else
// loads (src/roles/agent-heap.ts); imported only then, so other commands load nothing of the roles
if (process.argv[2] === 'agent') (await import('../dist/src/roles/agent-heap.js')).leanAgentHeap();
// a server holds its young generation small only while it starts (src/roles/startup-heap.ts)
else if (process.argv[2] === 'server' || process.argv[2] === 'up') (await import('../dist/src/roles/startup-heap.js')).holdYoungGenerationWhileStarting();
const { main, terminalSafe } = await import('../dist/src/cli/main.js');

// A finished command exits even if a library left a handle open (a driver's event stream, a socket):
// roles have stopped everything they own by the time main() resolves.
main(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (err) => {
    // its message may quote what came from elsewhere (an API's answer, a file's bytes): no raw escape sequences
    console.error(terminalSafe(`paz: ${err && err.message ? err.message : err}`));
    process.exit(1);
  },
);
