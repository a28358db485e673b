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
};

/** The Paz command for a word another tool uses, if it is one. */
export function pazNameOf(word: string): string | undefined {
  return Object.hasOwn(PAZ_NAME_OF, word) ? PAZ_NAME_OF[word] : undefined;
}
