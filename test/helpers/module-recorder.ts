/**
 * A module loader hook for `node --import HOOK`: the child appends the URL of every module it resolves to the
 * file named by its PAZ_TEST_MODULES variable. The lazy-load tests check with it what a command or role loads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes the hook into `dir` and answers its path. */
export function writeModuleRecorder(dir: string): string {
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(process.env.PAZ_TEST_MODULES, r.url + '\\\\n'); return r; }
\`));
`,
  );
  return hook;
}
