#!/usr/bin/env node
// The `paz` command. The TypeScript sources are compiled to dist/ by `npm run build` (the set-up script runs it).
import { main } from '../dist/src/cli/main.js';

// A finished command exits even if a library left a handle open (a driver's event stream, a socket):
// roles have stopped everything they own by the time main() resolves.
main(process.argv.slice(2)).then(
  (code) => process.exit(typeof code === 'number' ? code : 0),
  (err) => {
    console.error(`paz: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
