/**
 * CLI: `paz exec NAME [--unit UNIT] [--timeout S] -- COMMAND [ARG...]` runs a command in a running instance of a
 * service (POST /services/NAME/exec), printing its output as it comes (stdout to stdout, stderr to stderr) and
 * exiting with its exit code, as `kubectl exec` and `ssh HOST CMD` do. No terminal and no stdin: a migration, a
 * one-off script, a look at the environment; not an interactive console.
 */
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { UsageError } from './usage-error.js';
import { requireService } from './known-service.js';
import { openApiStream } from './unit-log-stream.js';
import { writeOrWait } from '../core/write-or-wait.js';
import { LineSplitter } from '../agent/drivers/docker/line-splitter.js';
import { EXEC_DEFAULT_TIMEOUT_SECONDS, EXEC_MAX_TIMEOUT_SECONDS, type ExecFrame } from '../core/exec-command.js';
import { printError } from './print.js';

/** its options beyond the connection ones */
export const EXEC_OPTIONS = { unit: { type: 'string' }, timeout: { type: 'string' } } as const;

const USAGE = 'usage: paz exec NAME [--unit UNIT] [--timeout SECONDS] -- COMMAND [ARG...]   (the command after --, e.g. paz exec web -- rake db:migrate)';

export async function execCommand(_cmd: string, args: string[]): Promise<number> {
  const dashes = args.indexOf('--');
  if (dashes < 0) throw new UsageError(`paz exec needs the command after --: ${USAGE}`);
  const command = args.slice(dashes + 1);
  const { values, positionals } = parse(args.slice(0, dashes), { ...connectionOptions, ...EXEC_OPTIONS }, true);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? `paz exec needs a service NAME: ${USAGE}` : `paz exec takes one service NAME before --, got ${positionals.join(' ')}: ${USAGE}`);
  if (command.length === 0 || command[0] === '') throw new UsageError(`paz exec needs a command after --: ${USAGE}`);
  const timeout = values.timeout;
  if (timeout !== undefined && (!/^[1-9][0-9]{0,5}$/.test(timeout) || Number(timeout) > EXEC_MAX_TIMEOUT_SECONDS)) throw new UsageError(`--timeout takes whole seconds from 1 to ${EXEC_MAX_TIMEOUT_SECONDS}, got "${timeout}"`);
  const name = positionals[0];
  const client = clientOf(values);
  await requireService(client, name);
  const url = `${client.url}/services/${encodeURIComponent(name)}/exec`;
  const body = { command, ...(values.unit !== undefined ? { unit: values.unit } : {}), ...(timeout !== undefined ? { timeoutSeconds: Number(timeout) } : {}) };
  const res = await openApiStream(client, url, { json: body });
  // Ctrl-C ends the request, which kills the command where it runs
  let wasInterrupted = false;
  const interrupted = () => {
    wasInterrupted = true;
    res.destroy();
  };
  process.once('SIGINT', interrupted);
  const frames = new LineSplitter();
  let last: ExecFrame | undefined;
  /** one frame shown; a promise while stdout or stderr is full (`paz exec db -- pg_dump | slow-consumer`) */
  const show = (line: string): Promise<void> | undefined => {
    if (line.trim() === '') return undefined;
    const frame = JSON.parse(line) as ExecFrame;
    last = frame;
    if (frame.type !== 'output') return undefined;
    const out = frame.stream === 'stderr' ? process.stderr : process.stdout;
    return writeOrWait(out, `${frame.line}\n`);
  };
  // a reader that went away (`paz exec … | head -1`): the command is ended as a shell pipeline's is, by its pipe
  let pipeClosed = false;
  const closedPipe = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    pipeClosed = true;
    res.destroy();
  };
  process.stdout.on('error', closedPipe);
  try {
    // reading waits for what is shown to be taken, and with it the command's output all the way back
    for await (const chunk of res) for (const line of frames.push(chunk as Buffer)) await show(line);
    for (const line of frames.end()) await show(line);
  } catch (err) {
    if (!wasInterrupted && !pipeClosed && !(err as { code?: string }).code?.startsWith('ECONN') && (err as Error).message !== 'aborted') throw err;
  } finally {
    process.off('SIGINT', interrupted);
    process.stdout.off('error', closedPipe);
  }
  const unit = res.headers['x-paz-unit'];
  // as a shell says of a pipeline whose reader left: 128 + SIGPIPE, quietly
  if (pipeClosed) return 141;
  if (wasInterrupted) {
    printError(`paz exec: interrupted: ${command[0]} in ${String(unit)} was killed`);
    return 130;
  }
  const frame = last as ExecFrame | undefined;
  if (frame?.type === 'exit') {
    if (frame.timedOut) printError(`paz exec: ${command[0]} in ${String(unit)} was killed after ${timeout ?? EXEC_DEFAULT_TIMEOUT_SECONDS} s (--timeout)`);
    if (frame.unitStopped) printError(`paz exec: ${String(unit)} stopped while ${command[0]} ran (it crashed, was stopped or was replaced), and the command ended with it: see \`paz units ${name}\` and \`paz logs ${name}\``);
    return frame.exitCode;
  }
  printError(frame?.type === 'error' ? `paz exec: ${frame.message}` : `paz exec: the connection to Paz ended before ${command[0]} in ${String(unit)} did: it was killed, or runs on unseen`);
  return 1;
}
