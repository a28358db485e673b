/** The agent's heartbeat check of the host name given as --address. */

/**
 * Whether --address NAME still resolves to the IP this agent announces its instances at (fixed at start:
 * Docker's port bindings use it). A moved name is a problem of the host until the agent restarts. When it
 * moved to an address this host does not have (`isLocal`), a restart would be refused (core/routable-address.ts
 * foreignAddressProblem): the advice is then to point the name back, not to restart.
 */
export async function addressMoved(name: string, announced: string, resolve: (name: string) => Promise<string>, timeoutMs = 2000, isLocal?: (ip: string) => boolean): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  // bounded: the heartbeat waits for this check, and a hung resolver must not let the agent's lease expire
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
  });
  try {
    const now = await Promise.race([resolve(name), late]);
    if (now === announced) return undefined;
    if (isLocal && !isLocal(now)) return `--address ${name} now resolves to ${now}, which is not an address of this host; instances stay announced at ${announced}: point ${name} back at this host`;
    return `--address ${name} now resolves to ${now}, but instances are announced at ${announced}: restart the agent to move them`;
  } catch (err) {
    return `--address ${name} no longer resolves (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); instances stay announced at ${announced}`;
  } finally {
    clearTimeout(timer);
  }
}
