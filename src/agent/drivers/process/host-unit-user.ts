/** Looks the process driver's unit user up in this host's /etc/passwd and /etc/group (core/unit-user.ts decides). */
import { readFileSync } from 'node:fs';
import { resolveUnitUser, type UnitUser } from '../../../core/unit-user.js';

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function hostUnitUser(spec: string): UnitUser {
  return resolveUnitUser(spec, readOrEmpty('/etc/passwd'), readOrEmpty('/etc/group'));
}
