// npm run docs:cli — regenerates the command reference in docs/cli.md from the CLI's flag spec
// (src/cli/commands, compiled to dist/ by the build step that runs first).
import { readFile, writeFile } from 'node:fs/promises';
import { COMMANDS } from '../dist/cli/commands/index.js';
import { updateCliDocs } from '../dist/cli/docs.js';

const path = new URL('../docs/cli.md', import.meta.url);
const before = await readFile(path, 'utf8');
const after = updateCliDocs(before, COMMANDS);
if (after !== before) await writeFile(path, after);
console.log(after === before ? 'docs/cli.md is up to date' : 'docs/cli.md updated');
