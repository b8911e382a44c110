import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { detectFormat, formatOfBytes } from '../../src/io/detectFormat.js';
import { encodeNpy } from '../../src/io/npy.js';
import { serializeHeader } from '../../src/io/safetensors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nmsparse-detect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const npy = encodeNpy(new Float32Array(4), [2, 2], 'f32');
const safetensors = serializeHeader([{ name: 'w', dtype: 'F32', shape: [0] }]);

async function detectError(path: string): Promise<NmsparseError> {
  const err = await detectFormat(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NmsparseError);
  return err as NmsparseError;
}

describe('detectFormat reads the magic bytes, not the name (issue 10 #15)', () => {
  it('finds each format under any name and case', async () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['W.SAFETENSORS', safetensors, 'safetensors'],
      ['model.npy', safetensors, 'safetensors'],
      ['scores.NPY', npy, 'npy'],
      ['weights.safetensors', npy, 'npy'],
      ['no-extension', npy, 'npy'],
    ];
    for (const [name, bytes, format] of cases) {
      await writeFile(join(dir, name), bytes);
      expect(await detectFormat(join(dir, name))).toBe(format);
    }
  });

  it('anything else is E_FORMAT; a missing file or a directory is E_IO', async () => {
    const other: Array<[string, Uint8Array]> = [
      ['empty.npy', new Uint8Array(0)],
      ['short.npy', npy.subarray(0, 5)],
      ['zip.safetensors', new TextEncoder().encode('PK\u0003\u0004 a zip file')],
      ['bom.safetensors', new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0xef, 0xbb, 0xbf])],
      ['zero-length-header.safetensors', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0x7b])],
    ];
    for (const [name, bytes] of other) {
      await writeFile(join(dir, name), bytes);
      const err = await detectError(join(dir, name));
      expect(err.code).toBe('E_FORMAT');
      expect(err.message).toMatch(/neither a \.npy file .* nor a safetensors file/);
    }
    expect((await detectError(join(dir, 'missing.npy'))).code).toBe('E_IO');
    expect((await detectError(dir)).code).toBe('E_IO');
  });

  it('every file the writers produce is recognised', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        fc.constantFrom('f32', 'u8', 'bool'),
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), {
          maxLength: 4,
        }),
        (shape, dtype, names) => {
          const count = shape.reduce((a, b) => a * b, 1);
          const data = dtype === 'f32' ? new Float32Array(count) : new Uint8Array(count);
          expect(formatOfBytes(encodeNpy(data, shape, dtype as 'f32').subarray(0, 9))).toBe('npy');
          const header = serializeHeader(names.map((name) => ({ name, dtype: 'U8', shape })));
          expect(formatOfBytes(header.subarray(0, 9))).toBe('safetensors');
        },
      ),
      { seed: 0xde7ec7, numRuns: 200 },
    );
  });
});
