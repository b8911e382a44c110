// A tiny file system for "disk full" tests: a tmpfs where this machine lets the tests mount one (CI runs
// as root), otherwise nothing, and the test says why it is skipped.
import { execFileSync } from 'node:child_process';

/** Mounts a tmpfs of `size` (such as '64k') on the empty folder `path`; returns why not, or undefined. */
export function mountSmallTmpfs(path: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a small tmpfs here (${String((err as Error).message).split('\n')[0]})`;
  }
}

export function unmount(path: string): void {
  execFileSync('umount', [path]);
}
