import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { fileSource } from '../../src/io/byteSource.js';
import { fsError } from '../../src/io/fsError.js';
import { writeNpyFile } from '../../src/io/npy.js';

/** An fs error as Node builds them: "CODE: reason, syscall 'path'". */
function nodeError(code: string, reason: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${reason}, ${syscall} '${path}'`), { code, syscall, path });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-fserror-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fsError: one line, the code once (issue 10 #15)', () => {
  it('keeps the reason, names the code once and advises where it helps', () => {
    const e = fsError('read', '/m/w.npy', nodeError('EACCES', 'permission denied', 'open', '/m/w.npy'));
    expect(e).toBeInstanceOf(NmsparseError);
    expect(e.code).toBe('E_IO');
    expect(e.message).toBe('cannot read /m/w.npy: permission denied (EACCES); check the permissions');
    expect(fsError('write', '/full/x', nodeError('ENOSPC', 'no space left on device', 'write', '/full/x')).message).toBe(
      'cannot write /full/x: no space left on device (ENOSPC); free some space',
    );
    expect(fsError('read', 'x', nodeError('EIO', 'i/o error', 'read', 'x')).message).toBe('cannot read x: i/o error (EIO)');
  });

  it('handles errors that are not errno errors, and passes NmsparseErrors through', () => {
    expect(fsError('read', 'x', 'boom').message).toBe('cannot read x: boom');
    expect(fsError('read', 'x', undefined).message).toBe('cannot read x: undefined');
    const own = new NmsparseError('E_FORMAT', 'x: bad');
    expect(fsError('read', 'x', own)).toBe(own);
  });

  it('writing into a missing folder names ENOENT once', async () => {
    const path = join(dir, 'no', 'such', 'folder', 'out.npy');
    const err = await writeNpyFile(path, new Float32Array(1), [1], 'f32').then(
      () => undefined,
      (e: unknown) => e as NmsparseError,
    );
    expect(err).toBeInstanceOf(NmsparseError);
    expect(err?.message.match(/ENOENT/g)).toHaveLength(1);
  });

  it('a FIFO is refused at once instead of blocking the open', async () => {
    const fifo = join(dir, 'pipe.npy');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here: nothing to test
    }
    const err = await fileSource(fifo).then(
      () => undefined,
      (e: unknown) => e as NmsparseError,
    );
    expect(err?.code).toBe('E_IO');
    expect(err?.message).toMatch(/not a regular file/);
  });
});
