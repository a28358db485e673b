// Paz's original directory suite, each describe on a fresh `paz server` of its own.
// test-lane: normal
import { directorySuite } from './original/directory-suite.js';

directorySuite('own');
