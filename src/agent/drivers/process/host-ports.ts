/**
 * Host ports for a unit's port mappings. A process shares the host's network, so "publishing" a port means
 * choosing the host port the process will listen on: a fixed one is checked to be free (a clear PORT_IN_USE
 * beats a unit that crashes on EADDRINUSE), a missing one is picked by binding port 0 on 127.0.0.1 and
 * reading back what the kernel chose. All probe sockets of one unit stay open until every port is chosen,
 * so two mappings never get the same port.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { DriverError, type PortMapping } from '../driver.js';
import type { BoundPort } from './unit-launch.js';

type Probe = { port: number; close: () => Promise<void> };

function probeTcp(host: string, port: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer();
    server.once('error', reject);
    server.listen({ host, port }, () => {
      const addr = server.address();
      const chosen = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ port: chosen, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

function probeUdp(host: string, port: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket: UdpSocket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      resolve({ port: socket.address().port, close: () => new Promise<void>((r) => socket.close(() => r())) });
    });
  });
}

/**
 * Chooses the host port of each mapping. `preferred` (e.g. the ports of the unit's previous run) are tried
 * first for mappings without a fixed host port, so a restarted unit keeps its endpoint when it can.
 */
export async function chooseHostPorts(
  mappings: PortMapping[],
  preferred: BoundPort[] = [],
): Promise<BoundPort[]> {
  const probes: Probe[] = [];
  const bound: BoundPort[] = [];
  try {
    for (const m of mappings) {
      const protocol = m.protocol ?? 'tcp';
      const probe = protocol === 'udp' ? probeUdp : probeTcp;
      if (m.host !== undefined) {
        // 0.0.0.0 collides with a listener on any address, so a free answer here is free for the process too
        try {
          probes.push(await probe('0.0.0.0', m.host));
        } catch (err) {
          throw new DriverError('PORT_IN_USE', `host port ${m.host}/${protocol} is already in use`, err);
        }
        bound.push({ container: m.container, host: m.host, protocol });
        continue;
      }
      const previous = preferred.find((p) => p.container === m.container && p.protocol === protocol);
      let chosen: Probe | undefined;
      if (previous) chosen = await probe('127.0.0.1', previous.host).catch(() => undefined);
      chosen ??= await probe('127.0.0.1', 0);
      probes.push(chosen);
      bound.push({ container: m.container, host: chosen.port, protocol });
    }
    return bound;
  } finally {
    await Promise.all(probes.map((p) => p.close()));
  }
}
