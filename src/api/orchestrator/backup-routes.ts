/**
 * GET /cluster/backup (admin): the file `paz backup` writes, made on the server, so a cluster is backed up
 * from anywhere with an admin token (`paz backup FILE --url URL`) without reaching its store. There is no
 * restore route: a restore is offline, with no control plane running on the target store (state/backup.ts).
 */
import type { FastifyInstance } from 'fastify';
import { formatBackup } from '../../core/backup-format.js';
import { takeBackup } from '../../state/backup.js';
import { PAZ_VERSION } from '../../version.js';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';

export function registerBackupRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/cluster/backup',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cluster'],
        summary: 'The whole state as a paz backup file (admin): what `paz backup FILE` writes',
        description:
          'Every lasting key under /paz/ read at one store revision (`x-paz-revision`), as JSON Lines (`application/x-ndjson`): a header line, one JSON line per key, an end line with a SHA-256. ' +
          'Secrets stay sealed and tokens hashed; the secrets key is not in it. Restore it with `paz restore FILE`, offline, into an empty store.',
        response: { ...errorResponses },
      },
    },
    async (_req, reply) => {
      const backup = await takeBackup(ctx.store, PAZ_VERSION);
      const day = backup.header.createdAt.slice(0, 10);
      return reply
        // one JSON document a line (JSON Lines): clients that parse application/json must not parse it whole
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="paz-backup-${day}-r${backup.header.revision}.jsonl"`)
        .header('x-paz-revision', String(backup.header.revision))
        .header('cache-control', 'no-store')
        .send(formatBackup(backup));
    },
  );
}
