/**
 * The user the process driver runs units as (`--unit-user USER|UID[:GROUP|GID]`, default `nobody`). A unit
 * runs an API-supplied command: as root it would own the host, so root needs the host admin's explicit
 * `--unit-user root`. Pure: the passwd and group files' texts are passed in.
 */

export interface UnitUser {
  /** the name as written, or as found in passwd for a numeric uid */
  name: string;
  uid: number;
  gid: number;
}

/** Debian's `nobody` / `nogroup`, used when the host's passwd has no `nobody` line. */
export const NOBODY: UnitUser = { name: 'nobody', uid: 65534, gid: 65534 };

interface Entry {
  name: string;
  id: number;
  gid?: number;
}

/** `name:x:uid:gid:…` lines (passwd) or `name:x:gid:…` lines (group). */
function entries(text: string, withGid: boolean): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (!Number.isInteger(id) || f[2] === '') continue;
    const gid = withGid ? Number(f[3]) : undefined;
    out.push({ name: f[0], id, ...(gid !== undefined && Number.isInteger(gid) && f[3] !== '' ? { gid } : {}) });
  }
  return out;
}

const ID = /^[0-9]{1,10}$/;
const NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

/**
 * The unit user `spec` names, looked up in the host's passwd and group texts; throws with what to write
 * when the spec is malformed or names no user or group of this host.
 */
export function resolveUnitUser(spec: string, passwd: string, group: string): UnitUser {
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);
  const usage = `--unit-user must be USER, UID, USER:GROUP or UID:GID (e.g. nobody, 65534:65534), got "${spec}"`;
  if (!(ID.test(userPart) || NAME.test(userPart)) || (groupPart !== undefined && !(ID.test(groupPart) || NAME.test(groupPart)))) throw new Error(usage);
  const users = entries(passwd, true);
  let user: UnitUser;
  if (ID.test(userPart)) {
    const uid = Number(userPart);
    if (uid > 0xfffffffe) throw new Error(usage);
    const found = users.find((u) => u.id === uid);
    user = { name: found?.name ?? userPart, uid, gid: found?.gid ?? uid };
  } else {
    const found = users.find((u) => u.name === userPart);
    if (found && found.gid !== undefined) user = { name: found.name, uid: found.id, gid: found.gid };
    else if (userPart === NOBODY.name) user = { ...NOBODY };
    else throw new Error(`--unit-user: this host has no user "${userPart}" (not in /etc/passwd): create it, or give a numeric UID[:GID]`);
  }
  if (groupPart === undefined) return user;
  if (ID.test(groupPart)) return { ...user, gid: Number(groupPart) };
  const g = entries(group, false).find((e) => e.name === groupPart);
  if (!g) throw new Error(`--unit-user: this host has no group "${groupPart}" (not in /etc/group): create it, or give a numeric GID`);
  return { ...user, gid: g.id };
}

/** Root, or root's group: the admin's explicit choice to run units with the host's full power. */
export function isPrivileged(user: UnitUser): boolean {
  return user.uid === 0 || user.gid === 0;
}
