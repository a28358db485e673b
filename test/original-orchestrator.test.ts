// Paz's original orchestrator suite, each describe on a fresh `paz server` of its own.
// test-lane: normal
import { orchestratorSuite } from './original/orchestrator-suite.js';

orchestratorSuite('own');
