// The broken solvers of brokenSolvers.mjs as an external command: a node script that calls runAsCommand.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Writes the script into `dir`; returns the argv template that runs solver `name` on {in} → {out}. */
export async function solverCommand(dir: string): Promise<(name: string) => string[]> {
  const script = join(dir, 'solver.mjs');
  const support = pathToFileURL(resolve(import.meta.dirname, 'brokenSolvers.mjs')).href;
  await writeFile(script, `import { runAsCommand } from '${support}';\nawait runAsCommand(process.argv.slice(2));\n`);
  return (name) => [process.execPath, script, name, '{in}', '{out}', '{n}', '{m}'];
}
