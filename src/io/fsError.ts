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
function reasonOf(err: unknown): string {
  const e = err as Partial<NodeJS.ErrnoException> | null | undefined;
  if (typeof e?.message !== 'string') return String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const withoutCode = code && e.message.startsWith(`${code}: `) ? e.message.slice(code.length + 2) : e.message;
  const syscall = typeof e.syscall === 'string' ? withoutCode.lastIndexOf(`, ${e.syscall}`) : -1;
  return syscall > 0 ? withoutCode.slice(0, syscall) : withoutCode;
}

/** `cannot ACTION PATH: reason (CODE); advice` as E_IO, with the original error as its cause. */
export function fsError(action: string, path: string, err: unknown): NmsparseError {
  if (err instanceof NmsparseError) return err;
  const code = (err as Partial<NodeJS.ErrnoException> | null | undefined)?.code;
  const known = typeof code === 'string' ? code : undefined;
  const advice = known && ADVICE[known] ? `; ${ADVICE[known]}` : '';
  return new NmsparseError('E_IO', `cannot ${action} ${path}: ${displayText(reasonOf(err))}${known ? ` (${known})` : ''}${advice}`, {
    cause: err,
  });
}
