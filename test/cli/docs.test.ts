// docs/cli.md's command reference is generated from the flag spec: it must be up to date.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { updateCliDocs } from '../../src/cli/docs.js';

describe('docs/cli.md', () => {
  it("matches the spec (run 'npm run docs:cli' after changing a command or flag)", async () => {
    const text = await readFile(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    expect(updateCliDocs(text, COMMANDS)).toBe(text);
    for (const command of COMMANDS) {
      expect(text).toContain(`### \`nmsparse ${command.name}\``);
      for (const flag of command.flags) expect(text).toMatch(new RegExp(`\\| \`(-${flag.short}, )?--${flag.name}[ \`]`));
    }
    for (const code of ['0', '1', '2', '3', '128+n']) expect(text).toMatch(new RegExp(`^\\| ${code.replace('+', '\\+')} \\|`, 'm'));
  });
});
