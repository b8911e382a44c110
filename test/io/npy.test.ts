import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { encodeNpy, parseNpy, readNpyFile, writeNpyFile } from '../../src/io/npy.js';

/** Builds .npy bytes by hand, the way numpy lays them out, so the parser is tested against the format. */
function npyBytes(dict: string, payload: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const headerLength = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
  const out = new Uint8Array(prefix + headerLength + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  out.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), prefix);
  out.set(payload, prefix + headerLength);
  return out;
}

const header = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

function expectCode(fn: () => unknown, codes: string[]): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NmsparseError);
    expect(codes).toContain((err as NmsparseError).code);
    return;
  }
  throw new Error('expected an NmsparseError');
}

/** f16 bits to a number by the IEEE definition, independent of the codec under test. */
function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 3 });
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

describe('npy round trips', () => {
  it('f32 keeps every bit pattern (NaN payloads, ±0, subnormals, Inf)', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 125 }), (shape, bits) => {
        const n = count(shape);
        const raw = new Uint32Array(n);
        for (let i = 0; i < n; i++) raw[i] = bits[i % Math.max(1, bits.length)] ?? 0;
        const data = new Float32Array(raw.buffer);
        const back = parseNpy(encodeNpy(data, shape, 'f32'));
        expect(back.shape).toEqual(shape);
        expect(back.dtype).toBe('f32');
        expect(new Uint32Array((back.data as Float32Array).buffer)).toEqual(raw);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('u8 and bool round trip', () => {
    fc.assert(
      fc.property(shapeArb, fc.boolean(), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 125 }), (shape, asBool, values) => {
        const n = count(shape);
        const data = new Uint8Array(n);
        for (let i = 0; i < n; i++) data[i] = asBool ? (values[i] ?? 0) & 1 : (values[i] ?? 0);
        const dtype = asBool ? 'bool' : 'u8';
        const back = parseNpy(encodeNpy(data, shape, dtype));
        expect(back).toEqual({ shape, dtype, data });
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('writes the header numpy writes', () => {
    const bytes = encodeNpy(new Float32Array(6), [2, 3], 'f32');
    const text = new TextDecoder('latin1').decode(bytes.subarray(10, 128));
    expect(text).toBe(header('<f4', '(2, 3)').padEnd(117, ' ') + '\n');
    expect(bytes.length).toBe(128 + 24);
    expect(new TextDecoder().decode(encodeNpy(new Uint8Array(5), [5], 'u8').subarray(10, 70))).toContain("'shape': (5,)");
  });
});

describe('npy decoding of other dtypes', () => {
  it('f64 rounds to the nearest f32', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 40 }), (values) => {
        const payload = new Uint8Array(new Float64Array(values).buffer);
        const arr = parseNpy(npyBytes(header('<f8', `(${values.length},)`), payload));
        expect(arr.dtype).toBe('f64');
        expect(Array.from(arr.data)).toEqual(values.map((v) => Math.fround(v)));
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('f16 decodes every bit pattern exactly, NaN as NaN', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const arr = parseNpy(npyBytes(header('<f2', '(256, 256)'), new Uint8Array(all.buffer)));
    expect(arr.shape).toEqual([256, 256]);
    for (let h = 0; h < 65536; h++) expect(arr.data[h]).toBe(f16Value(h)); // toBe treats NaN as equal to NaN
  });

  it('reads format versions 2.0 and 3.0, python 2 long ints and bool bytes as stored', () => {
    // A bool byte other than 0/1 is kept, so the mask rule reports it (it is not silently a 1).
    const payload = new Uint8Array([0, 1, 7, 0]);
    expect(parseNpy(npyBytes(header('|b1', '(2L, 2L)'), payload, 2))).toEqual({
      shape: [2, 2],
      dtype: 'bool',
      data: new Uint8Array([0, 1, 7, 0]),
    });
    expect(parseNpy(npyBytes(header('|u1', '(4,)'), payload, 3)).data).toEqual(payload);
    expect(parseNpy(npyBytes(header('<f4', '()'), new Uint8Array(4))).shape).toEqual([]);
  });
});

describe('npy rejects bad files with a clear error', () => {
  const f32 = new Uint8Array(16);
  const cases: Array<[string, Uint8Array, string]> = [
    ['bad magic', new TextEncoder().encode('PK\u0003\u0004 not numpy at all'), 'E_FORMAT'],
    ['empty', new Uint8Array(0), 'E_FORMAT'],
    ['version 9', npyBytes(header('<f4', '(4,)'), f32).map((b, i) => (i === 6 ? 9 : b)), 'E_FORMAT'],
    ['big-endian', npyBytes(header('>f4', '(4,)'), f32), 'E_DTYPE'],
    ['native order', npyBytes(header('=f4', '(4,)'), f32), 'E_DTYPE'],
    ['object array', npyBytes(header('|O', '(2,)'), f32), 'E_DTYPE'],
    ['int64', npyBytes(header('<i8', '(2,)'), f32), 'E_DTYPE'],
    ['structured', npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", f32), 'E_DTYPE'],
    ['Fortran order', npyBytes(header('<f4', '(2, 2)', 'True'), f32), 'E_FORMAT'],
    ['truncated data', npyBytes(header('<f4', '(5,)'), f32), 'E_FORMAT'],
    ['extra data', npyBytes(header('<f4', '(3,)'), f32), 'E_FORMAT'],
    ['absurd shape', npyBytes(header('<f4', '(100000000000, 100000000000, 100000000000)'), f32), 'E_FORMAT'],
    ['negative dim', npyBytes(header('<f4', '(-4,)'), f32), 'E_FORMAT'],
    ['missing shape', npyBytes("{'descr': '<f4', 'fortran_order': False}", f32), 'E_FORMAT'],
    ['not a dict', npyBytes('[1, 2]', f32), 'E_FORMAT'],
    ['__proto__ key', npyBytes("{'__proto__': 1, 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", f32), 'E_FORMAT'],
    ['deep nesting', npyBytes(`{'descr': ${'['.repeat(500)}`, f32), 'E_FORMAT'],
    ['header past the end', npyBytes(header('<f4', '(4,)'), f32).subarray(0, 40), 'E_FORMAT'],
  ];
  it.each(cases)('%s', (_name, bytes, code) => {
    expectCode(() => parseNpy(bytes, 'x.npy'), [code]);
  });

  it('error messages say what to do', () => {
    expect(() => parseNpy(npyBytes(header('>f4', '(4,)'), f32), 'w.npy')).toThrow(/w\.npy.*big-endian.*astype/);
    expect(() => parseNpy(npyBytes(header('<f4', '(2, 2)', 'True'), f32))).toThrow(/ascontiguousarray/);
  });

  it('fuzz: any mutation or truncation parses correctly or fails with E_FORMAT/E_DTYPE', () => {
    const valid = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], 'f32');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(valid.length),
        (edits, cut) => {
          const bytes = valid.slice(0, cut);
          for (const [i, b] of edits) if (i < bytes.length) bytes[i] = b;
          let arr;
          try {
            arr = parseNpy(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(NmsparseError);
            expect(['E_FORMAT', 'E_DTYPE']).toContain((err as NmsparseError).code);
            return;
          }
          expect(arr.data.length).toBe(count(arr.shape));
        },
      ),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('fuzz: random header text never crashes', () => {
    const alphabet = fc.constantFrom(...`{}()[],:' "<>|=fiubO12348LTrueFalseNonedescrshapefortran_order `.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 120 }).map((cs) => cs.join('')), (dict) => {
        try {
          parseNpy(npyBytes(dict, new Uint8Array(8)));
        } catch (err) {
          expect(err).toBeInstanceOf(NmsparseError);
        }
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('encodeNpy rejects mismatched data', () => {
    expectCode(() => encodeNpy(new Float32Array(5), [2, 3], 'f32'), ['E_SHAPE']);
    expectCode(() => encodeNpy(new Uint8Array(6), [2, 3], 'f32'), ['E_DTYPE']);
    expectCode(() => encodeNpy(new Uint8Array([0, 2]), [2], 'bool'), ['E_MASK']);
    expectCode(() => encodeNpy(new Uint8Array(2), [2], 'f64' as 'f32'), ['E_DTYPE']);
  });
});

describe('npy files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nmsparse-npy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically, refuses to overwrite without force or to write an input', async () => {
    const path = join(dir, 'm.npy');
    await writeNpyFile(path, new Uint8Array([1, 0, 0, 1]), [2, 2], 'u8');
    expect((await readNpyFile(path)).data).toEqual(new Uint8Array([1, 0, 0, 1]));
    await expect(writeNpyFile(path, new Uint8Array(4), [2, 2], 'u8')).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringMatching(/--force/),
    });
    await writeNpyFile(path, new Uint8Array([0, 1, 1, 0]), [2, 2], 'u8', { force: true });
    expect((await readNpyFile(path)).data).toEqual(new Uint8Array([0, 1, 1, 0]));
    await expect(
      writeNpyFile(path, new Uint8Array(4), [2, 2], 'u8', { force: true, inputs: [join(dir, '.', 'm.npy')] }),
    ).rejects.toMatchObject({ code: 'E_IO' });
    // A failed encode leaves neither the output nor a temporary file.
    await expect(writeNpyFile(join(dir, 'bad.npy'), new Uint8Array(3), [2, 2], 'u8')).rejects.toMatchObject({
      code: 'E_SHAPE',
    });
    expect(await readdir(dir)).toEqual(['m.npy']);
  });

  it('reports a missing or malformed file with its path', async () => {
    const missing = join(dir, 'nope.npy');
    await expect(readNpyFile(missing)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining(missing) });
    const junk = join(dir, 'junk.npy');
    await writeFile(junk, 'hello');
    await expect(readNpyFile(junk)).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringContaining(junk) });
    await rm(junk);
    expect(await readFile(join(dir, 'm.npy'))).toBeTruthy();
  });
});
