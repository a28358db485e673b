/**
 * Commands people type from the tools they know (Heroku, Fly, Dokku, kubectl, Nomad) that Paz names otherwise:
 * an unknown command suggests the Paz one, where spelling alone would suggest a wrong one (`paz versions` was
 * "did you mean paz version?", which prints the CLI's version). Pure.
 */
const PAZ_NAME_OF: Record<string, string> = {
  versions: 'history',
  releases: 'history',
  apps: 'services',
  ls: 'services',
  list: 'services',
  status: 'health',
  destroy: 'delete',
  rm: 'delete',
  reboot: 'restart',
  // heroku run, fly ssh console, dokku enter
  run: 'exec',
  ssh: 'exec',
  enter: 'exec',
};

/**
 * Words for which Paz has no command and the closest spelling would be a wrong, even harmful, suggestion:
 * `paz reset` would suggest `paz restart` or `paz restore`, neither of which is what a reset means.
 */
const NO_PAZ_NAME = new Set(['reset']);

/** The Paz command for a word another tool uses; null when Paz has none and nothing should be suggested. */
export function pazNameOf(word: string): string | null | undefined {
  if (NO_PAZ_NAME.has(word)) return null;
  return Object.hasOwn(PAZ_NAME_OF, word) ? PAZ_NAME_OF[word] : undefined;
}
