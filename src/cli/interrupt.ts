import { NmsparseError } from '../core/errors.js';

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Runs `work` with an AbortSignal that fires on the first Ctrl-C (a second Ctrl-C kills the process
 * as usual). A run stopped this way prints one line and exits 130; its outputs are already discarded.
 */
export async function withInterrupt(work: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onInterrupt = () => {
    process.removeListener('SIGINT', onInterrupt);
    controller.abort(new Error('SIGINT'));
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await work(controller.signal);
  } catch (err) {
    if (err instanceof NmsparseError && err.code === 'E_ABORTED') {
      process.stderr.write('nmsparse: interrupted; no output was written\n');
      return INTERRUPTED_EXIT_CODE;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
