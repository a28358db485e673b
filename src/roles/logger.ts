/** Structured logs (pino, JSON lines on stdout) for every long-running role. */
import { pino, type Logger } from 'pino';

export function createLogger(level: string, name = 'paz'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
