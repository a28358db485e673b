/**
 * Which etcd member a call goes to next. Pure (the clock is passed in): the store client asks `order()`
 * for every call and reports back how each attempt went.
 *
 * Only a member that did not answer at all (no connection, or no reply within the attempt's deadline) is
 * held "unreachable", and that only moves it to the back of the line: it is never skipped when nothing
 * else is left. A member that answered with an error (etcd's "no leader", "leader changed" during an
 * election) is as good as any other: an election ends within a second or two, and it must not cost the
 * member its place (etcd3's own per-member circuit breakers counted those answers, so during an election
 * every member's breaker opened and every call failed for seconds).
 */

export interface MemberChoiceOptions {
  /**
   * how long a member that did not answer stays at the back of the line before calls that are safe to
   * repeat try it in its turn again (writes keep it at the back until it answers)
   */
  unreachableForMs: number;
}

export type CallKind = 'read' | 'write';

export class MemberChoice {
  /** member -> when it last failed to answer (absent: it answered, or was never tried) */
  private readonly unreachableAt = new Map<string, number>();
  private next = 0;

  constructor(
    readonly members: readonly string[],
    private readonly opts: MemberChoiceOptions,
  ) {
    if (members.length === 0) throw new Error('no etcd members to choose from');
  }

  /**
   * The members in the order one call should try them: those that answered (or whose time at the back is
   * over, for a call safe to repeat) first, taking turns so the load spreads; then the unreachable ones,
   * the longest unreachable first (the likeliest to be back).
   */
  order(kind: CallKind, now: number): string[] {
    const start = this.next++ % this.members.length;
    const rotated = [...this.members.slice(start), ...this.members.slice(0, start)];
    const good: string[] = [];
    const held: string[] = [];
    for (const m of rotated) {
      const at = this.unreachableAt.get(m);
      if (at === undefined || (kind === 'read' && now - at >= this.opts.unreachableForMs)) good.push(m);
      else held.push(m);
    }
    held.sort((a, b) => this.unreachableAt.get(a)! - this.unreachableAt.get(b)!);
    return [...good, ...held];
  }

  /** the member answered (with a result or with an error of etcd's own) */
  answered(member: string): void {
    this.unreachableAt.delete(member);
  }

  /** the member did not answer: no connection, or nothing within the deadline */
  unreachable(member: string, now: number): void {
    this.unreachableAt.set(member, now);
  }

  isUnreachable(member: string): boolean {
    return this.unreachableAt.has(member);
  }
}
