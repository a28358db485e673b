/**
 * `paz docs --out FILE` writes the orchestrator's OpenAPI document (plus the directory's and scheduler's
 * beside it); `paz docs --serve [--port N]` serves the reference page of all three APIs, as the seed's
 * `npm run docs-server`.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { openStore } from '../store/index.js';
import { createContext } from '../api/context.js';
import { createOrchestratorApp } from '../api/orchestrator/app.js';
import { createDirectoryApp } from '../api/directory/app.js';
import { createSchedulerApp } from '../api/scheduler/app.js';
import { parse, portOption } from './options.js';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

async function openApiOf(app: FastifyInstance): Promise<unknown> {
  await app.ready();
  return app.swagger();
}

export async function docsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help || (!values.out && !values.serve)) {
    console.log('usage: paz docs --out FILE | paz docs --serve [--port N]\nexample: paz docs --out docs/openapi.json');
    return values.help ? 0 : 2;
  }
  // The documents describe routes only; an in-memory store keeps this command from touching real data.
  const store = await openStore('sqlite::memory:');
  const ctx = createContext(store);
  const port = portOption(values, 'port', 'PAZ_DOCS_PORT', 9002);
  const orchestrator = await createOrchestratorApp(ctx, { port: values.serve ? port : 9000 });
  if (values.out) {
    const directory = await createDirectoryApp(ctx);
    const scheduler = await createSchedulerApp(ctx);
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, JSON.stringify(await openApiOf(orchestrator), null, 2));
    const stem = basename(values.out, '.json');
    writeFileSync(join(dirname(values.out), `${stem}-directory.json`), JSON.stringify(await openApiOf(directory), null, 2));
    writeFileSync(join(dirname(values.out), `${stem}-scheduler.json`), JSON.stringify(await openApiOf(scheduler), null, 2));
    console.log(`wrote ${values.out} (+ ${stem}-directory.json, ${stem}-scheduler.json)`);
    await Promise.all([orchestrator.close(), directory.close(), scheduler.close()]);
    await store.close();
    return 0;
  }
  try {
    await orchestrator.listen({ host: '127.0.0.1', port });
  } catch (err) {
    // beside a running Paz, 9002 (the seed's docs port) is its scheduler: serve anyway, on a free port
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    await orchestrator.listen({ host: '127.0.0.1', port: 0 });
    console.log(`port ${port} is in use (a running Paz's scheduler listens on 9002): serving on a free port instead`);
  }
  // the port listened on (--port 0 or the fallback: a free one)
  const at = (orchestrator.server.address() as AddressInfo).port;
  console.log(`API reference at http://localhost:${at}/docs (Ctrl-C to stop)`);
  await new Promise<void>((r) => process.once('SIGINT', () => r()));
  await orchestrator.close();
  await store.close();
  return 0;
}
