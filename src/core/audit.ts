/**
 * Journal entries for changes that belong to no service (tokens, registry credentials, the webhook secret):
 * who did what, written in the same transaction as the change. Pure.
 */
import { keys } from './keys.js';
import type { AuditEvent, JournalEntry } from './records.js';

export interface ClusterAudit {
  event: AuditEvent;
  /** what the change was about (a token's name, a registry host); part of the key, so two events of one millisecond stay apart */
  subject: string;
  actor: string;
  message: string;
  /** extra fields of the entry, e.g. { token: name } */
  fields?: Pick<JournalEntry, 'token' | 'registry'>;
}

export function clusterAuditPut(a: ClusterAudit, now: number): { type: 'put'; key: string; value: string } {
  const entry: JournalEntry = { event: a.event, serviceName: '', version: 0, timestamp: now, message: a.message, actor: a.actor, ...a.fields };
  return { type: 'put', key: keys.journal(now, '', 0, `${a.event}-${a.subject}`), value: JSON.stringify(entry) };
}
