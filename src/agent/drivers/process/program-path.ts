/**
 * Finds the executable a process unit runs: the process driver's counterpart of "is the image on this host".
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { DriverError } from '../driver.js';

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `program`: a name with a slash is taken as a path, a bare name is looked up in
 * `pathVar` like a shell does. Undefined when nothing executable is found.
 */
export function resolveProgram(program: string, pathVar: string): string | undefined {
  if (program === '') return undefined;
  if (program.includes('/')) {
    const path = isAbsolute(program) ? program : resolve(program);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    if (isExecutableFile(candidate)) return isAbsolute(candidate) ? candidate : resolve(candidate);
  }
  return undefined;
}

/** resolveProgram, or the driver's "image not found" error a deploy reports. */
export function requireProgram(program: string, pathVar: string): string {
  const path = resolveProgram(program, pathVar);
  if (!path) {
    throw new DriverError('IMAGE_NOT_FOUND', `program ${JSON.stringify(program)} is not an executable file on this host`);
  }
  return path;
}
