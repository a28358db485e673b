/**
 * A small service for process-driver tests: a node HTTP server run as the unit's command, which says
 * "listening on <port>" on stdout (for log tests) and answers "hello from <service> <instance>".
 * Units outlive their agent on purpose (the next agent adopts them), so tests retire them before stopping it.
 */
import { request } from './paz-server.js';
import { waitFor } from './wait.js';

const server = `
const http = require('node:http');
http.createServer((req, res) => res.end('hello from ' + process.env.PAZ_SERVICE + ' ' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

export interface RunningUnit {
  name: string;
  instance: number;
  endpoint: string;
  host: string;
}

/** Creates and deploys `name` (one instance), and resolves with its unit once it is healthy. */
export async function deployEchoService(orchestrator: string, name: string): Promise<RunningUnit> {
  const created = await request('POST', `${orchestrator}/services`, {
    name,
    dockerRepository: `local/${name}`,
    command: [process.execPath, '-e', server],
    ports: [{ container: 9000 }],
    numInstances: 1,
    healthCheck: { path: '/', intervalSeconds: 0.5 },
  });
  if (created.status !== 201) throw new Error(`creating ${name} answered ${created.status}: ${JSON.stringify(created.body)}`);
  const deployed = await request('POST', `${orchestrator}/services/${name}/deploy`, {});
  if (deployed.status !== 201) throw new Error(`deploying ${name} answered ${deployed.status}: ${JSON.stringify(deployed.body)}`);
  return waitFor(`${name}'s unit healthy`, async () => {
    const units = (await request('GET', `${orchestrator}/services/${name}/units`)).body as Array<RunningUnit & { healthy: boolean }>;
    return units.length === 1 && units[0].healthy ? units[0] : undefined;
  });
}

/** Deletes the service and waits until the agent whose /metrics is given runs no unit. */
export async function retireService(orchestrator: string, name: string, agentMetrics: string, headers: Record<string, string> = {}): Promise<void> {
  await request('DELETE', `${orchestrator}/services/${name}`).catch(() => undefined);
  await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(agentMetrics, { headers })).text()));
}
