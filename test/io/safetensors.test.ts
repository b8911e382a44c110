import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import {
  DTYPE_SIZE,
  encodeTensorData,
  memorySource,
  openSafetensorsFile,
  SafetensorsReader,
  SafetensorsWriter,
  serializeHeader,
  writeSafetensorsFile,
  type SafetensorsDtype,
  type TensorEntry,
} from '../../src/io/safetensors.js';

/** A whole safetensors file in memory: header, then each tensor's raw bytes in order. */
function fileBytes(tensors: Array<TensorEntry & { raw: Uint8Array }>, metadata = {}): Uint8Array {
  const header = serializeHeader(tensors, metadata);
  const total = header.length + tensors.reduce((s, t) => s + t.raw.length, 0);
  const out = new Uint8Array(total);
  out.set(header);
  let at = header.length;
  for (const t of tensors) {
    out.set(t.raw, at);
    at += t.raw.length;
  }
  return out;
}

/** A file whose JSON header is given verbatim (for malformed headers). */
function rawFile(headerJson: string, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(headerJson);
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const open_ = (bytes: Uint8Array) => SafetensorsReader.open(memorySource(bytes, 'model.safetensors'));

async function expectError(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(NmsparseError);
    expect((err as NmsparseError).code).toBe(code);
    if (pattern) expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected an NmsparseError');
}

/** Reads every tensor; the result must either fully succeed or be a clean NmsparseError. */
async function readAllOrCleanError(bytes: Uint8Array): Promise<void> {
  let reader: SafetensorsReader;
  try {
    reader = await open_(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(NmsparseError);
    return;
  }
  let covered = 0;
  for (const t of reader.tensors) {
    expect(t.begin).toBe(covered);
    covered = t.end;
    const raw = await reader.readBytes(t);
    expect(raw.length).toBe(t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[t.dtype]);
    if (t.dtype in { F16: 1, BF16: 1, F32: 1, F64: 1 }) expect((await reader.readFloats(t)).length * DTYPE_SIZE[t.dtype]).toBe(raw.length);
  }
}

const ROUND_TRIP_DTYPES: SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64', 'U8', 'BOOL'];

/** Random raw bytes that are a valid encoding in `dtype` (any bit pattern for floats; F64 values f32 can hold). */
function rawArb(dtype: SafetensorsDtype, count: number): fc.Arbitrary<Uint8Array> {
  if (dtype === 'F64') {
    return fc
      .array(fc.float({ noDefaultInfinity: false }), { minLength: count, maxLength: count })
      .map((xs) => new Uint8Array(new Float64Array(xs).buffer));
  }
  if (dtype === 'BOOL') return fc.uint8Array({ minLength: count, maxLength: count, max: 1 });
  const size = DTYPE_SIZE[dtype];
  return fc.uint8Array({ minLength: count * size, maxLength: count * size });
}

const tensorArb = fc
  .tuple(fc.constantFrom(...ROUND_TRIP_DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, shape]) =>
    rawArb(dtype, shape.reduce((a, b) => a * b, 1)).map((raw) => ({ dtype, shape, raw })),
  );

const tensorsArb = fc
  .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), tensorArb), {
    selector: ([name]) => name,
    maxLength: 5,
  })
  .filter((xs) => xs.every(([name]) => name !== '__metadata__'))
  .map((xs) => xs.map(([name, t]) => ({ name, ...t })));

const metadataArb = fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 });

describe('safetensors round trips', () => {
  it('read then write in the same dtype gives back the same bytes (every bit pattern, NaN payloads kept)', async () => {
    await fc.assert(
      fc.asyncProperty(tensorsArb, metadataArb, async (tensors, metadata) => {
        const reader = await open_(fileBytes(tensors, metadata));
        expect(reader.metadata).toEqual(metadata);
        expect(new Set(reader.tensors.map((t) => t.name))).toEqual(new Set(tensors.map((t) => t.name)));
        for (const t of tensors) {
          const info = reader.tensor(t.name);
          expect(info.shape).toEqual(t.shape);
          const values = t.dtype === 'U8' || t.dtype === 'BOOL' ? ((await reader.readMask(info)) as Uint8Array) : await reader.readFloats(info);
          expect(encodeTensorData(values, t.dtype)).toEqual(t.raw);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('f16 and bf16 edge values: subnormals, ±0, ±Inf, NaN stay what they are', async () => {
    const f16 = new Uint16Array([0x0000, 0x8000, 0x0001, 0x03ff, 0x8001, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfd55]);
    const bf16 = new Uint16Array([0x0000, 0x8000, 0x0001, 0x007f, 0x8001, 0x0080, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffaa]);
    const reader = await open_(
      fileBytes([
        { name: 'h', dtype: 'F16', shape: [12], raw: new Uint8Array(f16.buffer) },
        { name: 'b', dtype: 'BF16', shape: [3, 4], raw: new Uint8Array(bf16.buffer) },
      ]),
    );
    const h = await reader.readFloats(reader.tensor('h'));
    expect(Array.from(h.subarray(0, 10))).toEqual([0, -0, 2 ** -24, 1023 * 2 ** -24, -(2 ** -24), 2 ** -14, 65504, Infinity, -Infinity, NaN]);
    expect(Number.isNaN(h[10]) && Number.isNaN(h[11])).toBe(true);
    const b = await reader.readFloats(reader.tensor('b'));
    expect(b[2]).toBe(2 ** -133);
    expect(b[5]).toBe(2 ** -126);
    expect(Array.from(b.subarray(6, 10))).toEqual([3.3895313892515355e38, Infinity, -Infinity, NaN]);
    expect(new Uint16Array(encodeTensorData(h, 'F16').buffer)).toEqual(f16);
    expect(new Uint16Array(encodeTensorData(b, 'BF16').buffer)).toEqual(bf16);
  });

  it('f32 → F16/BF16 rounds to the nearest value, ties to even, overflow to Inf', () => {
    const f16Value = (h: number) => {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >>> 10) & 0x1f;
      const m = h & 0x3ff;
      return e === 0x1f ? (m ? NaN : s * Infinity) : e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
    };
    const bf16Value = (h: number) => new Float32Array(new Uint32Array([h << 16]).buffer)[0] as number;
    const nearest = (x: number, h: number, value: (h: number) => number, maxFinite: number) => {
      const v = value(h);
      if (Math.abs(x) >= maxFinite) return Math.abs(v) === Infinity || Math.abs(x - v) <= Math.abs(x - value(h - 1));
      for (const other of [h - 1, h + 1]) {
        const o = value(other & 0xffff);
        if (!Number.isFinite(o)) continue;
        if (Math.abs(x - o) < Math.abs(x - v)) return false;
        if (Math.abs(x - o) === Math.abs(x - v) && o !== v && (h & 1) === 1) return false;
      }
      return true;
    };
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        const h = new Uint16Array(encodeTensorData(new Float32Array([x]), 'F16').buffer)[0] as number;
        const b = new Uint16Array(encodeTensorData(new Float32Array([x]), 'BF16').buffer)[0] as number;
        expect(nearest(x, h, f16Value, 65520)).toBe(true);
        expect(nearest(x, b, bf16Value, 3.3961514e38)).toBe(true);
        const signBit = (new Uint32Array(new Float32Array([x]).buffer)[0] as number) >>> 31;
        expect(h >>> 15).toBe(signBit);
        expect(b >>> 15).toBe(signBit);
      }),
      { seed: 42, numRuns: 5000 },
    );
    const enc = (x: number) => new Uint16Array(encodeTensorData(new Float32Array([x]), 'F16').buffer)[0];
    expect(enc(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next f16: ties to even (down)
    expect(enc(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, rounds up to even
    expect(enc(65520)).toBe(0x7c00);
    expect(enc(2 ** -25)).toBe(0); // half the smallest subnormal: ties to even, 0
    expect(enc(2 ** -25 * 1.5)).toBe(1);
  });

  it('writes a file atomically that reads back, with metadata; refuses to overwrite without force', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nmsparse-st-'));
    try {
      const path = join(dir, 'w.safetensors');
      const w = new Float32Array([1.5, -2, 0, 3.25, 2 ** -7, 7]);
      await writeSafetensorsFile(
        path,
        [
          { name: 'w', dtype: 'BF16', shape: [2, 3], data: w },
          { name: 'mask', dtype: 'BOOL', shape: [6], data: new Uint8Array([1, 0, 1, 0, 1, 0]) },
        ],
        { metadata: { format: 'pt' } },
      );
      const reader = await openSafetensorsFile(path);
      expect(reader.metadata).toEqual({ format: 'pt' });
      expect(Array.from(await reader.readFloats(reader.tensor('w')))).toEqual([1.5, -2, 0, 3.25, 2 ** -7, 7]);
      expect(await reader.readMask(reader.tensor('mask'))).toEqual(new Uint8Array([1, 0, 1, 0, 1, 0]));
      await reader.close();
      await expectError(writeSafetensorsFile(path, []), 'E_IO', /--force/);
      await writeSafetensorsFile(path, [], { force: true });
      const empty = await openSafetensorsFile(path);
      expect(empty.tensors).toEqual([]);
      await empty.close();
      expect(await readdir(dir)).toEqual(['w.safetensors']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('safetensors streaming', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nmsparse-st-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads only the header and the requested tensor', async () => {
    const big = new Uint8Array(1 << 20);
    const bytes = fileBytes([
      { name: 'big', dtype: 'U8', shape: [1 << 20], raw: big },
      { name: 'small', dtype: 'F32', shape: [2], raw: new Uint8Array(new Float32Array([4, 5]).buffer) },
    ]);
    const source = memorySource(bytes);
    let bytesRead = 0;
    const counting = { ...source, read: (p: number, n: number) => ((bytesRead += n), source.read(p, n)) };
    const reader = await SafetensorsReader.open(counting);
    expect(Array.from(await reader.readFloats(reader.tensor('small')))).toEqual([4, 5]);
    expect(bytesRead).toBeLessThan(1000);
  });

  it('reads tensors that lie past 4 GiB (sparse file)', async () => {
    const path = join(dir, 'huge.safetensors');
    const hugeCount = 2 ** 32 + 8;
    const header = serializeHeader([
      { name: 'huge', dtype: 'U8', shape: [hugeCount] },
      { name: 'tail', dtype: 'F32', shape: [2] },
    ]);
    const handle = await open(path, 'w');
    try {
      await handle.write(header, 0, header.length, 0);
      await handle.write(new Uint8Array(new Float32Array([1.25, -3]).buffer), 0, 8, header.length + hugeCount);
    } finally {
      await handle.close();
    }
    const reader = await openSafetensorsFile(path);
    expect(Array.from(await reader.readFloats(reader.tensor('tail')))).toEqual([1.25, -3]);
    await reader.close();
    await rm(path);
  });

  it('a writer that fails or is left unfinished leaves no file', async () => {
    const path = join(dir, 'partial.safetensors');
    const entries: TensorEntry[] = [
      { name: 'a', dtype: 'F32', shape: [2] },
      { name: 'b', dtype: 'U8', shape: [3] },
    ];
    const w1 = await SafetensorsWriter.create(path, entries);
    await w1.writeTensor(new Uint8Array(8));
    await expectError(w1.writeTensor(new Uint8Array(4)), 'E_SHAPE', /"b" needs 3 bytes/);
    const w2 = await SafetensorsWriter.create(path, entries);
    await w2.writeTensor(new Uint8Array(8));
    await expectError(w2.commit(), 'E_SHAPE', /only 1 of 2/);
    const w3 = await SafetensorsWriter.create(path, entries);
    await w3.discard();
    expect(await readdir(dir)).toEqual([]);
    await expectError(SafetensorsWriter.create(path, [{ name: 'x', dtype: 'Q7' as SafetensorsDtype, shape: [1] }]), 'E_DTYPE');
    await expectError(SafetensorsWriter.create(path, [entries[0]!, entries[0]!]), 'E_OPTION', /repeated/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a missing file is E_IO naming the path', async () => {
    await expectError(openSafetensorsFile(join(dir, 'none.safetensors')), 'E_IO', /none\.safetensors/);
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'abc');
    await expectError(openSafetensorsFile(junk), 'E_FORMAT', /junk\.safetensors.*too short/);
    await rm(junk);
  });
});

describe('safetensors header validation', () => {
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const cases: Array<[string, unknown, number, string, RegExp]> = [
    ['overlap', { a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12, 'E_FORMAT', /"b".*overlap.*"a"/],
    ['gap', { a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, 12, 'E_FORMAT', /"b".*\[4, 8\).*gap/],
    ['leading gap', { a: entry('U8', [2], [2, 4]) }, 4, 'E_FORMAT', /"a".*gap/],
    ['trailing bytes', { a: entry('U8', [2], [0, 2]) }, 5, 'E_FORMAT', /3 bytes after the last tensor/],
    ['shape mismatch', { w: entry('F16', [2, 3], [0, 8]) }, 12, 'E_FORMAT', /"w".*needs 12 bytes/],
    ['absurd shape', { w: entry('F16', [1e15, 1e15, 1e15], [0, 8]) }, 8, 'E_FORMAT', /"w".*needs more than/],
    ['offsets past the end', { w: entry('U8', [9], [0, 9]) }, 8, 'E_FORMAT', /"w".*outside the data section/],
    ['reversed offsets', { w: entry('U8', [0], [4, 0]) }, 4, 'E_FORMAT', /"w"/],
    ['huge offsets', { w: entry('U8', [1], [1e300, 1e300]) }, 4, 'E_FORMAT', /"w".*data_offsets/],
    ['negative dim', { w: entry('U8', [-1], [0, 0]) }, 0, 'E_FORMAT', /"w".*shape/],
    ['fractional dim', { w: entry('U8', [1.5], [0, 0]) }, 0, 'E_FORMAT', /"w".*shape/],
    ['unknown dtype', { w: entry('F17', [1], [0, 4]) }, 4, 'E_DTYPE', /"w".*unknown dtype "F17"/],
    ['missing offsets', { w: { dtype: 'F32', shape: [1] } }, 4, 'E_FORMAT', /"w".*data_offsets/],
    ['extra field', { w: { ...entry('F32', [1], [0, 4]), extra: 1 } }, 4, 'E_FORMAT', /"w".*unknown field/],
    ['entry not an object', { w: [1, 2] }, 0, 'E_FORMAT', /"w"/],
    ['bad metadata', { __metadata__: { a: 1 } }, 0, 'E_FORMAT', /__metadata__/],
    ['header is an array', [], 0, 'E_FORMAT', /does not start with '\{'/],
  ];
  it.each(cases)('%s', async (_name, header, dataLength, code, pattern) => {
    await expectError(open_(rawFile(JSON.stringify(header), dataLength)), code, pattern);
  });

  it('rejects bad JSON, bad UTF-8 and absurd header lengths without allocating', async () => {
    await expectError(open_(rawFile('{"a": ', 0)), 'E_FORMAT', /not valid JSON/);
    const badUtf8 = rawFile('{"\u00ff": 1}', 0).map((b) => (b === 0xc3 ? 0xff : b));
    await expectError(open_(badUtf8), 'E_FORMAT', /UTF-8/);
    const absurd = rawFile('{}', 0);
    new DataView(absurd.buffer).setBigUint64(0, 2n ** 63n, true);
    await expectError(open_(absurd), 'E_FORMAT', /exceeds the limit/);
    new DataView(absurd.buffer).setBigUint64(0, 50n, true);
    await expectError(open_(absurd), 'E_FORMAT', /exceeds the file/);
    await expectError(open_(new Uint8Array(5)), 'E_FORMAT', /too short/);
  });

  it('accepts an empty file with no tensors, zero-size tensors, and padded headers', async () => {
    expect((await open_(rawFile('{}', 0))).tensors).toEqual([]);
    const r = await open_(rawFile(JSON.stringify({ e: entry('F32', [0, 3], [0, 0]), a: entry('U8', [1], [0, 1]) }) + '    ', 1));
    expect(r.tensors.map((t) => t.name)).toEqual(['e', 'a']);
    expect(await r.readFloats(r.tensor('e'))).toEqual(new Float32Array(0));
  });

  it('names the tensor when a float or mask read gets the wrong dtype', async () => {
    const r = await open_(rawFile(JSON.stringify({ ids: entry('I64', [1], [0, 8]) }), 8));
    await expectError(r.readFloats(r.tensor('ids')), 'E_DTYPE', /"ids" is I64/);
    await expectError(r.readMask(r.tensor('ids')), 'E_DTYPE', /"ids" is I64/);
    expect(() => r.tensor('nope')).toThrow(/no tensor "nope"/);
  });
});

describe('safetensors fuzzing', () => {
  it('mutated and truncated files: a correct result or a clean NmsparseError', async () => {
    const valid = fileBytes(
      [
        { name: 'w', dtype: 'F16', shape: [2, 4], raw: new Uint8Array(16).fill(0x3c) },
        { name: 'm', dtype: 'U8', shape: [8], raw: new Uint8Array(8).fill(1) },
      ],
      { k: 'v' },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(valid.length),
        async (edits, cut) => {
          const bytes = valid.slice(0, Math.max(cut, valid.length - 20 * (cut % 2)));
          for (const [i, b] of edits) if (i < bytes.length) bytes[i] = b;
          await readAllOrCleanError(bytes);
        },
      ),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('random headers (wrong dtypes, absurd numbers, overlaps, gaps): a correct result or a clean error', async () => {
    const numberArb = fc.oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.constantFrom(-1, 1.5, 2 ** 53, 1e300, Number.MAX_SAFE_INTEGER),
    );
    const entryArb = fc.record({
      dtype: fc.oneof(fc.constantFrom(...(Object.keys(DTYPE_SIZE) as string[])), fc.string({ maxLength: 4 })),
      shape: fc.oneof(fc.array(numberArb, { maxLength: 3 }), fc.constant('x')),
      data_offsets: fc.oneof(fc.tuple(numberArb, numberArb), fc.array(numberArb, { maxLength: 3 })),
    });
    const headerArb = fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constant('__metadata__')), entryArb, {
      maxKeys: 4,
    });
    await fc.assert(
      fc.asyncProperty(headerArb, fc.integer({ min: 0, max: 64 }), async (header, dataLength) => {
        await readAllOrCleanError(rawFile(JSON.stringify(header), dataLength));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });
});
