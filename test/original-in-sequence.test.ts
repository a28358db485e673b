// Paz's original suites run in sequence on ONE server, as they ran against one deployment: directory, then
// orchestrator, then scheduler. Whatever the earlier suites did (creates, deletes, deploys, seeded hosts)
// must not break the later ones' checks, e.g. the scheduler's GET /journal case after services were deleted.
// test-lane: normal
import { describe, before, after } from 'node:test';
import { PazProcess } from './helpers/paz-server.js';
import { directorySuite } from './original/directory-suite.js';
import { orchestratorSuite } from './original/orchestrator-suite.js';
import { schedulerSuite } from './original/scheduler-suite.js';

describe('original suites in sequence on one server', () => {
  const paz = new PazProcess();
  before(() => paz.start());
  after(() => paz.close());
  directorySuite(paz);
  orchestratorSuite(paz);
  schedulerSuite(paz);
});
