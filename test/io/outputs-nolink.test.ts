// The output set on a file system without hard links (FAT, some network mounts): link() fails with
// EPERM there, and the commit falls back to claiming the name with an exclusive create.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputSet, writeOutputs } from '../../src/io/outputSet.js';

const linkSync = vi.hoisted(() =>
  vi.fn(() => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  }),
);
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, default: { ...fs, linkSync }, linkSync };
});

let dir: string;
beforeEach(async () => {
  linkSync.mockClear();
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-nolink-'));
});
afterEach(async () => {
  expect(linkSync).toHaveBeenCalled(); // the fallback was taken, not the usual path
  await rm(dir, { recursive: true, force: true });
});

const at = (name: string) => join(dir, name);
const bytes = (text: string) => new TextEncoder().encode(text);

describe('commit without hard links', () => {
  it('writes new outputs, replaces existing ones with force and leaves no temporary file', async () => {
    await writeFile(at('old'), 'old');
    await writeFile(at('elsewhere'), 'kept');
    await symlink(at('elsewhere'), at('link'));
    await writeOutputs([{ path: at('new') }, { path: at('old') }, { path: at('link') }], { force: true }, async (set) => {
      for (const name of ['new', 'old', 'link']) await set.file(at(name)).write(bytes(`${name} content`));
    });
    for (const name of ['new', 'old', 'link']) expect((await readFile(at(name))).toString()).toBe(`${name} content`);
    expect((await readFile(at('elsewhere'))).toString()).toBe('kept');
    expect(readdirSync(dir).sort()).toEqual(['elsewhere', 'link', 'new', 'old']);
  });

  it('still never replaces an output that appeared meanwhile, and rolls back the others', async () => {
    const err = await writeOutputs([{ path: at('a') }, { path: at('b') }], {}, async (set) => {
      await set.file(at('a')).write(bytes('a'));
      await set.file(at('b')).write(bytes('b'));
      await writeFile(at('b'), 'other run');
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_IO', message: expect.stringMatching(/b appeared while this run was writing it/) });
    expect(readdirSync(dir)).toEqual(['b']);
    expect((await readFile(at('b'))).toString()).toBe('other run');
  });

  it('of two sets writing the same output, exactly one commits', async () => {
    const first = await OutputSet.create([{ path: at('out') }]);
    const second = await OutputSet.create([{ path: at('out') }]);
    await first.file(at('out')).write(bytes('first'));
    await second.file(at('out')).write(bytes('second'));
    await first.commit();
    await expect(second.commit()).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/appeared/) });
    expect((await readFile(at('out'))).toString()).toBe('first');
    expect(readdirSync(dir)).toEqual(['out']);
  });
});
