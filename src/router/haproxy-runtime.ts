/**
 * Client of HAProxy's runtime API (the `stats socket ... level admin` of the running worker).
 * Commands that change state check HAProxy's answer and fail with the command and the answer,
 * because HAProxy reports errors as plain text on a connection that otherwise succeeded.
 */
import { isIP } from 'node:net';
import { MAX_WEIGHT } from './route-table.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, sendSocketCommand } from './haproxy-socket.js';
import {
  parseServersState,
  parseShowInfo,
  parseShowStat,
  type ServerStateRow,
  type StatRow,
} from './parse-runtime-output.js';
import type { SlotAction } from './plan-changes.js';

export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** HAProxy answered a command with an error message. */
export class HaproxyCommandError extends Error {
  readonly code = 'ROUTER_HAPROXY_COMMAND';
  constructor(
    readonly command: string,
    readonly answer: string,
  ) {
    super(`HAProxy refused "${command}": ${answer.trim() || '(empty answer)'}`);
    this.name = 'HaproxyCommandError';
  }
}

/** Proxy and server names go into command lines: accept only what HAProxy names are made of. */
const NAME = /^[A-Za-z0-9_.:-]+$/;

function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) throw new Error(`invalid HAProxy ${kind} name ${JSON.stringify(name)}`);
}

export class HaproxyRuntime {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS,
  ) {}

  /** Sends one command and returns HAProxy's raw answer (no error detection). */
  command(command: string): Promise<string> {
    return sendSocketCommand(this.socketPath, command, this.timeoutMs);
  }

  /** Sends a command whose success is an empty answer (`set server ... state|weight`). */
  private async commandExpectingSilence(command: string): Promise<void> {
    const answer = await this.command(command);
    if (answer.trim() !== '') throw new HaproxyCommandError(command, answer);
  }

  async showStat(): Promise<StatRow[]> {
    const command = 'show stat';
    const answer = await this.command(command);
    if (!answer.startsWith('# pxname')) throw new HaproxyCommandError(command, answer);
    return parseShowStat(answer);
  }

  async showServersState(backend?: string): Promise<ServerStateRow[]> {
    if (backend !== undefined) checkName('backend', backend);
    const command = backend === undefined ? 'show servers state' : `show servers state ${backend}`;
    const answer = await this.command(command);
    if (!/^\d+\n/.test(answer)) throw new HaproxyCommandError(command, answer);
    return parseServersState(answer);
  }

  async showInfo(): Promise<Record<string, string>> {
    const command = 'show info';
    const answer = await this.command(command);
    const info = parseShowInfo(answer);
    if (!info.Pid) throw new HaproxyCommandError(command, answer);
    return info;
  }

  /** PID of the worker process answering this socket. */
  async workerPid(): Promise<number> {
    return Number((await this.showInfo()).Pid);
  }

  async setServerAddr(backend: string, server: string, address: string, port: number): Promise<void> {
    checkName('backend', backend);
    checkName('server', server);
    if (isIP(address) === 0) throw new Error(`invalid server address ${JSON.stringify(address)}: not an IP literal`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid server port ${port}`);
    const command = `set server ${backend}/${server} addr ${address} port ${port}`;
    const answer = await this.command(command);
    // Success reads "IP changed from ... port changed ..." or "no need to change the addr, ...".
    if (!/^(IP changed|no need to change)/i.test(answer.trim())) throw new HaproxyCommandError(command, answer);
  }

  async setServerState(backend: string, server: string, state: ServerAdminState): Promise<void> {
    checkName('backend', backend);
    checkName('server', server);
    if (state !== 'ready' && state !== 'drain' && state !== 'maint') throw new Error(`invalid server state ${JSON.stringify(state)}`);
    await this.commandExpectingSilence(`set server ${backend}/${server} state ${state}`);
  }

  async setServerWeight(backend: string, server: string, weight: number): Promise<void> {
    checkName('backend', backend);
    checkName('server', server);
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) throw new Error(`invalid server weight ${weight}`);
    await this.commandExpectingSilence(`set server ${backend}/${server} weight ${weight}`);
  }

  /** Runs one planned slot change. */
  async run(action: SlotAction): Promise<void> {
    switch (action.kind) {
      case 'set-addr':
        return this.setServerAddr(action.backend, action.server, action.address, action.port);
      case 'set-weight':
        return this.setServerWeight(action.backend, action.server, action.weight);
      case 'set-state':
        return this.setServerState(action.backend, action.server, action.state);
    }
  }
}
