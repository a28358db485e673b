/**
 * Why a file could not be read or written, in words for a person instead of Node's
 * "ENOENT: no such file or directory, open '/x'" (which repeats the path and leads with a code). Pure.
 */
export function fileErrorWords(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return (err as Error)?.message ?? String(err);
  }
}
