/**
 * One place that turns a failed file-system call into an NmsparseError (E_IO) with a one-line message:
 * `cannot read PATH: no such file or directory (ENOENT)`. Node's own messages repeat the code and the
 * path ("ENOENT: no such file or directory, open 'PATH'"); only the reason in between is kept, so no
 * message names the code twice.
 */
import { NmsparseError } from '../core/errors.js';
import { displayText } from '../core/text.js';

/** What to tell the user for codes whose reason alone does not say what to do. */
const ADVICE: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'check the permissions',
  EPERM: 'check the permissions',
  ENOSPC: 'free some space',
  EROFS: 'write to a writable file system',
};

/** The reason part of a Node fs error message, without the leading code and trailing syscall/path. */
function reasonOf(err: NodeJS.ErrnoException): string {
  const message = typeof err.message === 'string' ? err.message : String(err);
  const withoutCode = err.code && message.startsWith(`${err.code}: `) ? message.slice(err.code.length + 2) : message;
  const syscall = err.syscall ? withoutCode.lastIndexOf(`, ${err.syscall}`) : -1;
  return syscall > 0 ? withoutCode.slice(0, syscall) : withoutCode;
}

/** `cannot ACTION PATH: reason (CODE); advice` as E_IO, with the original error as its cause. */
export function fsError(action: string, path: string, err: unknown): NmsparseError {
  if (err instanceof NmsparseError) return err;
  const e = (err ?? {}) as NodeJS.ErrnoException;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reason = displayText(reasonOf(e));
  const advice = code && ADVICE[code] ? `; ${ADVICE[code]}` : '';
  return new NmsparseError('E_IO', `cannot ${action} ${path}: ${reason}${code ? ` (${code})` : ''}${advice}`, { cause: err });
}
