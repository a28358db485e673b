// Paz's original scheduler suite, each describe on a fresh `paz server` of its own.
// test-lane: normal
import { schedulerSuite } from './original/scheduler-suite.js';

schedulerSuite('own');
