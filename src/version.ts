/** Paz's version (package.json's), reported in `x-api-version` and by `paz --version`. */
import { readFileSync } from 'node:fs';

// Compiled to dist/src/version.js, two levels below the package root.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const PAZ_VERSION: string = pkg.version;
