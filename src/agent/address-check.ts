/** The agent's heartbeat check of the host name given as --address. */

/**
 * Whether --address NAME still resolves to the IP this agent announces its instances at (fixed at start:
 * Docker's port bindings use it). A moved name is a problem of the host until the agent restarts.
 */
export async function addressMoved(name: string, announced: string, resolve: (name: string) => Promise<string>, timeoutMs = 2000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  // bounded: the heartbeat waits for this check, and a hung resolver must not let the agent's lease expire
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
  });
  try {
    const now = await Promise.race([resolve(name), late]);
    return now === announced ? undefined : `--address ${name} now resolves to ${now}, but instances are announced at ${announced}: restart the agent to move them`;
  } catch (err) {
    return `--address ${name} no longer resolves (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); instances stay announced at ${announced}`;
  } finally {
    clearTimeout(timer);
  }
}
