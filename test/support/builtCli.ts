// The CLI as users run it, for tests that need a real process (signals, exit codes, concurrent runs).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Path of dist/cli/bin.js. Refuses a missing or stale build (older than a file under src/) rather than
 * test old code; it does not build itself, since other test files run the same dist/ concurrently.
 */
export function builtCli(): string {
  const bin = join(ROOT, 'dist/cli/bin.js');
  if (!existsSync(bin) || statSync(bin).mtimeMs < newestSource(join(ROOT, 'src'))) {
    throw new Error(`${bin} is missing or older than src/: run 'npm run build' before these tests`);
  }
  return bin;
}
