import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { encodeNpy, parseNpy, parseNpyMask, readNpyFile, readNpyMaskFile } from '../../src/io/npy.js';

/** .npy bytes laid out the way numpy writes them (version 1.0): magic, length, padded dict, payload. */
function npyBytes(dict: string, payload: Uint8Array): Uint8Array {
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + headerLength + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, headerLength, true);
  out.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), 10);
  out.set(payload, 10 + headerLength);
  return out;
}

const dict = (descr: string, shape: string) => `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;

function thrown(fn: () => unknown): NmsparseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NmsparseError);
    expect((err as Error).message).not.toMatch(/[\n\r]/);
    return err as NmsparseError;
  }
  throw new Error('expected an NmsparseError');
}

async function rejected(promise: Promise<unknown>): Promise<NmsparseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NmsparseError);
  expect((err as Error).message).not.toMatch(/[\n\r]/);
  return err as NmsparseError;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-npyfiles-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('.npy byte counts and shapes are reported exactly (issue 10 #15)', () => {
  it('a truncated file names the bytes its shape needs and the bytes it has', () => {
    const whole = npyBytes(dict('<f4', '(1000,)'), new Uint8Array(4000));
    const err = thrown(() => parseNpy(whole.subarray(0, 128 + 100)));
    expect(err.code).toBe('E_FORMAT');
    expect(err.message).toMatch(/truncated: shape \(1000,\) of f32 needs 4000 bytes of data after the 128-byte header, the file has 100 \(it should be 4128 bytes, it is 228\)/);
  });

  it('a truncated header names where it ends and the file size', () => {
    const whole = npyBytes(dict('<f4', '(2,)'), new Uint8Array(8));
    const err = thrown(() => parseNpy(whole.subarray(0, 40)));
    expect(err.message).toMatch(/118-byte header ends at byte 128 but the file has 40 bytes/);
  });

  it('shapes past 2^53 are refused with their exact digits', () => {
    for (const dim of ['9007199254740992', '9007199254740993', '18446744073709551617', '9'.repeat(60)]) {
      const err = thrown(() => parseNpy(npyBytes(dict('<f4', `(${dim}, 2)`), new Uint8Array(8))));
      expect(err.code).toBe('E_SHAPE');
      expect(err.message).toContain(dim);
    }
    const err = thrown(() => parseNpy(npyBytes(dict('<f4', '(4294967296, 4294967296, 4294967296)'), new Uint8Array(8))));
    expect(err.message).toMatch(/shape \(4294967296, 4294967296, 4294967296\) of f32 has more than 2\^64 elements/);
    const exact = thrown(() => parseNpy(npyBytes(dict('<f8', '(4294967296, 4294967295)'), new Uint8Array(8))));
    expect(exact.message).toContain('needs 147573952555316674560 bytes');
  });
});

describe('.npy files of any size are read by ranges (issue 10 #15)', () => {
  it('a file over 2 GiB whose header disagrees is refused from its size alone, not ERR_FS_FILE_TOO_LARGE', async () => {
    const path = join(dir, 'big-wrong.npy');
    const head = npyBytes(dict('<f4', '(4,)'), new Uint8Array(0));
    await writeFile(path, head);
    const handle = await open(path, 'r+');
    await handle.truncate(2 ** 31 + 4096); // sparse: no disk space used
    await handle.close();
    const err = await rejected(readNpyFile(path));
    expect(err.code).toBe('E_FORMAT');
    expect(err.message).toContain(`longer than its header says: shape (4,) of f32 needs 16 bytes of data, the file has ${2 ** 31 + 4096 - head.length}`);
    await rm(path);
  });

  // Reading 2 GiB takes seconds to tens of seconds on a busy machine: run with NMSPARSE_LARGE_FILE_TESTS=1.
  it.skipIf(process.env.NMSPARSE_LARGE_FILE_TESTS !== '1')('reads a file over 2 GiB (sparse, u8)', async () => {
    const path = join(dir, 'big.npy');
    const count = 2 ** 31 + 8;
    const head = npyBytes(dict('|u1', `(${count},)`), new Uint8Array(0));
    await writeFile(path, head);
    const handle = await open(path, 'r+');
    await handle.truncate(head.length + count);
    await handle.write(new Uint8Array([7]), 0, 1, head.length + count - 1);
    await handle.close();
    const arr = await readNpyFile(path);
    expect(arr.shape).toEqual([count]);
    expect(arr.data.length).toBe(count);
    expect(arr.data[count - 1]).toBe(7);
    expect(arr.data[count - 2]).toBe(0);
    await rm(path);
  });

  it('converted dtypes are decoded in chunks with the same values as in memory', async () => {
    const count = (1 << 22) + 3; // just past one conversion chunk
    const bits = new Uint16Array(count);
    for (let i = 0; i < count; i++) bits[i] = (i * 2654435761) >>> 16;
    const bytes = npyBytes(dict('<f2', `(${count},)`), new Uint8Array(bits.buffer));
    const path = join(dir, 'half.npy');
    await writeFile(path, bytes);
    const fromFile = await readNpyFile(path);
    const inMemory = parseNpy(bytes);
    // Compared as bytes: a deep equality over millions of elements would take longer than the read.
    expect(Buffer.from(fromFile.data.buffer).equals(Buffer.from(inMemory.data.buffer))).toBe(true);
    expect(fromFile.data[count - 1]).toBe(inMemory.data[count - 1]);
    await rm(path);
  });
});

describe('.npy file errors are one plain message (issue 10 #15)', () => {
  it('a missing file: reason, code once, advice', async () => {
    const path = join(dir, 'nope.npy');
    const err = await rejected(readNpyFile(path));
    expect(err.code).toBe('E_IO');
    expect(err.message).toBe(`cannot read ${path}: no such file or directory (ENOENT); check the path`);
  });

  it('a directory is E_IO, not a crash', async () => {
    const sub = join(dir, 'sub.npy');
    await mkdir(sub);
    const err = await rejected(readNpyFile(sub));
    expect(err.code).toBe('E_IO');
    expect(err.message.match(/EISDIR/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('descr and keys from the file are escaped and bounded', () => {
    const hostile = thrown(() => parseNpy(npyBytes(dict(`<f4\u001b[31m${'x'.repeat(5000)}`, '(1,)'), new Uint8Array(4))));
    expect(hostile.message).not.toMatch(/[\u0000-\u001f]/);
    expect(hostile.message.length).toBeLessThan(300);
    const keys = thrown(() => parseNpy(npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'a\u001b\u0007': 1, }`, new Uint8Array(4))));
    expect(keys.message).toContain('a\\x1b\\x07');
  });
});

describe('.npy masks keep their stored values (issue 10 #14)', () => {
  it('f64 keeps 1 + 1e-12; bool and u8 keep bytes other than 0/1', async () => {
    const f64 = new Float64Array([1, 0, 1 + 1e-12, Number.NaN]);
    const bytes = npyBytes(dict('<f8', '(2, 2)'), new Uint8Array(f64.buffer));
    expect(Array.from(parseNpyMask(bytes).data)).toEqual(Array.from(f64));
    expect(parseNpy(bytes).data[2]).toBe(1); // as a matrix, f64 rounds to f32
    const path = join(dir, 'mask64.npy');
    await writeFile(path, bytes);
    expect((await readNpyMaskFile(path)).data).toEqual(f64);
    const bools = npyBytes(dict('|b1', '(4,)'), new Uint8Array([0, 1, 2, 255]));
    expect(parseNpyMask(bools).data).toEqual(new Uint8Array([0, 1, 2, 255]));
  });

  it('a bool array with a value other than 0/1 is not written', () => {
    expect(thrown(() => encodeNpy(new Uint8Array([0, 1, 2]), [3], 'bool')).code).toBe('E_MASK');
  });
});

describe('.npy dimensions are read by value, not by digit count', () => {
  it('leading zeros do not make a small dimension huge', () => {
    expect(parseNpy(npyBytes(dict('|u1', '(00000000000000000002,)'), new Uint8Array(2))).shape).toEqual([2]);
  });
});
