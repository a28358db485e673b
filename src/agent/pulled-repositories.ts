/**
 * The repositories this host pulled images of for Paz, written down in a file of the agent's data dir. The image
 * collector removes references only of repositories it knows to be Paz's: those services deploy from, and these.
 * Without them, a deleted service's images stayed on its hosts for good: no service names its repository any
 * more, and an image of a repository nobody names is never touched (it may be anyone's).
 *
 * A repository is written down before its pull starts, so an agent killed in between leaves a name and never an
 * image nobody knows of; it is forgotten once a pass of the collector finds no reference of it left on the host
 * (image-gc-plan.ts). Writes happen only for a repository not known yet: a handful per host, not one per pull.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { dirname } from 'node:path';
import { imageRefProblem, repositoryKey } from '../core/image-ref.js';

export class PulledRepositories {
  /** repository (repositoryKey form) → when it was written down (ms since the epoch) */
  private readonly notedAt = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // none yet, or unreadable (a half-written file cannot be: it is renamed into place): start afresh
      return;
    }
    const repos = (saved as { repositories?: unknown })?.repositories;
    if (repos && typeof repos === 'object') {
      for (const [repo, at] of Object.entries(repos)) if (typeof at === 'number') this.notedAt.set(repo, at);
    }
  }

  /** Before pulling `image`: its repository is written down (synchronously) unless it is already. */
  note(image: string): void {
    if (imageRefProblem(image)) return; // not an image reference (the process driver's programs)
    const repo = repositoryKey(image);
    if (this.notedAt.has(repo)) return;
    this.notedAt.set(repo, this.now());
    try {
      this.save();
    } catch (err) {
      this.notedAt.delete(repo); // the next pull tries again
      throw err;
    }
  }

  /** What is written down: repository → when. */
  known(): ReadonlyMap<string, number> {
    return this.notedAt;
  }

  forget(repositories: readonly string[]): void {
    let changed = false;
    for (const r of repositories) changed = this.notedAt.delete(r) || changed;
    if (changed) this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, JSON.stringify({ repositories: Object.fromEntries(this.notedAt) }) + '\n', { durable: true });
  }
}
