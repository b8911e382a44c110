// The package version, read at run time from package.json two folders up: that is the repository root
// from src/cli/ and the package root from dist/cli/, so it works from the sources and once installed.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    cached = String((JSON.parse(text) as { version?: unknown }).version);
  }
  return cached;
}
