/** A failure parsctl explains in one line: `parsctl: <message>` on stderr, exit status 1. */
export class CliError extends Error {}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
}

/**
 * What went wrong, in words, when `e` is a Node file-system error (it has an `E...` code); else
 * undefined. `withPath`: name the path the system call failed on.
 */
export function fileProblem(e: unknown, withPath = true): string | undefined {
  if (!(e instanceof Error)) return undefined
  const code = (e as NodeJS.ErrnoException).code
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined
  const path = (e as NodeJS.ErrnoException).path
  const why = FILE_PROBLEMS[code] ?? e.message
  return path === undefined || !withPath ? why : `${why} (${path})`
}
