import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { detectFormat, formatOfBytes } from '../../src/io/detectFormat.js';
import { encodeNpy, parseNpy, parseNpyMask, readNpyFile, readNpyMaskFile } from '../../src/io/npy.js';
import {
  DTYPE_SIZE,
  memorySource,
  SafetensorsReader,
  serializeHeader,
  type SafetensorsDtype,
} from '../../src/io/safetensors.js';

/**
 * Standing fuzz tests of the io API (issue 10): grammar-generated safetensors headers and mutated
 * .npy/.safetensors files. Every case either reads correctly or fails with an NmsparseError that has
 * a stable code and a one-line message of bounded length; any other error type fails the test.
 */

const CODES = ['E_FORMAT', 'E_DTYPE', 'E_SHAPE', 'E_IO'];
const MAX_MESSAGE = 600;

function expectCleanError(err: unknown): void {
  if (!(err instanceof NmsparseError)) throw err; // shows the real error and its stack
  expect(CODES).toContain(err.code);
  expect(err.message).not.toMatch(/[\n\r\u001b\u009b]/);
  expect(err.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
}

/** Opens a safetensors file in memory and reads every tensor the way the CLI does; errors must be clean. */
async function readSafetensors(bytes: Uint8Array): Promise<SafetensorsReader | undefined> {
  let reader: SafetensorsReader;
  try {
    reader = await SafetensorsReader.open(memorySource(bytes, 'fuzz.safetensors'));
  } catch (err) {
    expectCleanError(err);
    return undefined;
  }
  for (const t of reader.tensors) {
    expect((await reader.readBytes(t)).length).toBe(t.end - t.begin);
    for (const read of [() => reader.readFloats(t), () => reader.readMask(t)]) {
      try {
        await read();
      } catch (err) {
        expectCleanError(err);
        expect((err as NmsparseError).code).toBe('E_DTYPE');
      }
    }
  }
  return reader;
}

function parseNpyBoth(bytes: Uint8Array): void {
  for (const parse of [parseNpy, parseNpyMask]) {
    try {
      const arr = parse(bytes, 'fuzz.npy');
      expect(arr.data.length).toBe(arr.shape.reduce((a, b) => a * b, 1));
    } catch (err) {
      expectCleanError(err);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Grammar-based safetensors headers

/** A JSON text fragment, and whether it is the exact valid rendering. */
type Token = { text: string; valid: boolean };

const valid = (text: string): Token => ({ text, valid: true });
const invalid = (text: string): Token => ({ text, valid: false });

/** How an integer may be written: plainly (valid) or as the reference library refuses it. */
function integerToken(n: number): fc.Arbitrary<Token> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(valid(String(n))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        invalid(`${n}.0`),
        invalid(`${n}e0`),
        invalid(`${n / 100}e2`),
        invalid(`-${n}`),
        invalid(`0${n}`),
        invalid(`"${n}"`),
        invalid('9'.repeat(30)),
        invalid('18446744073709551617'),
        invalid(`${n}.5`),
      ),
    },
  );
}

/** Wraps a token in `depth` arrays: shallow depths are plain type errors, deep ones test the stack. */
const nestedToken = (inner: string) =>
  fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(3_000, 6_000, 100_000)).map((d) => invalid('['.repeat(d) + inner + ']'.repeat(d)));

function listToken(values: number[]): fc.Arbitrary<Token> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.tuple(...values.map(integerToken)).map((ts) => ({ text: `[${ts.map((t) => t.text).join(', ')}]`, valid: ts.every((t) => t.valid) })) },
    { weight: 1, arbitrary: nestedToken(values.join(',')) },
    { weight: 1, arbitrary: fc.constantFrom(invalid('null'), invalid('{}'), invalid('"[1]"'), invalid(`[${values.join(',')},]`)) },
  );
}

/** Strings as JSON text: ASCII, escapes, astral pairs, lone surrogates, controls, huge. */
const nameToken: fc.Arbitrary<Token> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z][a-z0-9._]{0,12}$/).map((s) => valid(JSON.stringify(s))) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map((s) => valid(JSON.stringify(s))) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      valid('"w\\u00e9\\ud83d\\ude00"'),
      valid('"\\u001b[31mred\\nline\\u009b"'),
      valid(`"${'n'.repeat(50_000)}"`),
      invalid('""'),
      invalid('"a\\ud800"'),
      invalid('"a\\x41"'),
      invalid('"tab\there"'),
      invalid('"unterminated'),
    ),
  },
);

const DTYPES = Object.keys(DTYPE_SIZE) as SafetensorsDtype[];
const BYTE_DTYPES = DTYPES.filter((d) => Number.isInteger(DTYPE_SIZE[d]));

const dtypeToken = (dtype: SafetensorsDtype): fc.Arbitrary<Token> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(valid(`"${dtype}"`)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        invalid('"F128"'),
        invalid(`"${dtype.toLowerCase()}"`),
        invalid(`"${'X'.repeat(200_000)}"`),
        invalid('"\\u001b[2J"'),
        invalid('7'),
      ),
    },
    { weight: 1, arbitrary: nestedToken(`"${dtype}"`) },
  );

interface Tensor {
  name: Token;
  dtype: SafetensorsDtype;
  shape: number[];
}

const tensorArb: fc.Arbitrary<Tensor> = fc.record({
  name: nameToken,
  dtype: fc.constantFrom(...BYTE_DTYPES),
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
});

/** One header: entries rendered field by field in any order, with optional duplicates, metadata, BOM. */
const headerArb = fc
  .record({
    tensors: fc.array(tensorArb, { maxLength: 5 }),
    fieldOrders: fc.array(fc.shuffledSubarray(['dtype', 'shape', 'data_offsets'], { minLength: 3, maxLength: 3 }), { minLength: 5, maxLength: 5 }),
    duplicateField: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('dtype', 'shape', 'data_offsets') }),
    duplicateTensor: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    metadata: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 })),
    prefix: fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('\ufeff', ' ', '\n') }),
    order: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
  })
  .chain((h) => {
    let offset = 0;
    const layout = h.tensors.map((t) => {
      const begin = offset;
      offset += t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[t.dtype];
      return { ...t, begin, end: offset };
    });
    return fc
      .tuple(...layout.map((t) => fc.tuple(dtypeToken(t.dtype), listToken(t.shape), listToken([t.begin, t.end]))))
      .map((tokens) => ({ h, layout, tokens, dataLength: offset }));
  })
  .map(({ h, layout, tokens, dataLength }) => {
    const names = new Set(layout.filter((t) => t.name.valid).map((t) => JSON.parse(t.name.text) as string));
    let ok = names.size === layout.length && !names.has('__metadata__') && h.prefix === '' && !h.duplicateTensor && h.duplicateField === null;
    const members = layout.map((t, i) => {
      const [dtype, shape, offsets] = tokens[i] as [Token, Token, Token];
      ok &&= t.name.valid && dtype.valid && shape.valid && offsets.valid;
      const fields: Record<string, string> = { dtype: dtype.text, shape: shape.text, data_offsets: offsets.text };
      const order = h.fieldOrders[i % h.fieldOrders.length] as string[];
      const body = order.map((k) => `"${k}": ${fields[k]}`);
      if (h.duplicateField && i === 0) body.push(`"${h.duplicateField}": ${fields[h.duplicateField]}`);
      return `${t.name.text}: {${body.join(', ')}}`;
    });
    if (h.duplicateTensor && members.length > 0) members.push(members[0] as string);
    if (h.metadata) members.push(`"__metadata__": ${JSON.stringify(h.metadata)}`);
    // Key order does not matter to a valid reader: rotate members by a generated amount.
    const turn = members.length > 0 ? (h.order[0] as number) % members.length : 0;
    const text = h.prefix + `{${[...members.slice(turn), ...members.slice(0, turn)].join(', ')}}`;
    return { text, layout, dataLength, expectValid: ok };
  });

function safetensorsFile(headerText: string, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + dataLength).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  for (let i = 0; i < dataLength; i++) out[8 + padded + i] = (i * 37) & 0xff;
  return out;
}

describe('grammar fuzzing of safetensors headers', () => {
  it('valid headers read exactly; every other one is a clean NmsparseError', async () => {
    let validSeen = 0;
    await fc.assert(
      fc.asyncProperty(headerArb, async ({ text, layout, dataLength, expectValid }) => {
        const reader = await readSafetensors(safetensorsFile(text, dataLength));
        if (expectValid) {
          expect(reader).toBeDefined();
          validSeen++;
          const got = [...(reader?.tensors ?? [])].sort((a, b) => a.begin - b.begin || a.end - b.end);
          const want = [...layout].sort((a, b) => a.begin - b.begin || a.end - b.end);
          expect(got.map((t) => [t.name, t.dtype, t.shape, t.end - t.begin])).toEqual(
            want.map((t) => [JSON.parse(t.name.text), t.dtype, t.shape, t.end - t.begin]),
          );
        }
      }),
      { seed: 0x5afe, numRuns: 400 },
    );
    expect(validSeen).toBeGreaterThan(40); // the generator must reach valid files, not only errors
  });
});

// ---------------------------------------------------------------------------------------------
// Mutation fuzzing of whole files

type Mutation = (bytes: Uint8Array) => Uint8Array;

const FRAGMENTS = ['[[[[[[[[', '8.0', '2.56e2', '\ufeff', '\u001b[2J', '"":', '}', ',', '-1', '1e999', 'True', "'", '\\u', 'é'];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, value]): Mutation => (b) => {
    const out = b.slice();
    if (out.length > 0) out[at % out.length] = value;
    return out;
  }),
  fc.nat().map((at): Mutation => (b) => b.slice(0, at % (b.length + 1))),
  fc.tuple(fc.nat(), fc.nat({ max: 16 })).map(([at, length]): Mutation => (b) => {
    const i = at % (b.length + 1);
    return new Uint8Array([...b.subarray(0, i), ...b.subarray(i + length)]);
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS)).map(([at, text]): Mutation => (b) => {
    const i = at % (b.length + 1);
    return new Uint8Array([...b.subarray(0, i), ...new TextEncoder().encode(text), ...b.subarray(i)]);
  }),
  // The length fields: .npy's at byte 8, safetensors' first 8 bytes.
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 255 })).map(([at, value]): Mutation => (b) => {
    const out = b.slice();
    if (out.length > 8 + at) out[at < 2 ? 8 + at : at] = value;
    return out;
  }),
);

const npyArb = fc
  .record({ shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), dtype: fc.constantFrom('f32', 'u8', 'bool'), seed: fc.nat() })
  .map(({ shape, dtype, seed }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'f32' ? Float32Array.from({ length: count }, (_, i) => Math.sin(seed + i)) : Uint8Array.from({ length: count }, (_, i) => (seed + i) & 1);
    return encodeNpy(data, shape, dtype as 'f32');
  });

const safetensorsArb = fc.array(tensorArb, { maxLength: 3 }).map((tensors) => {
  const seen = new Set<string>();
  const entries = tensors
    .map((t, i) => ({ name: `t${i}`, dtype: t.dtype, shape: t.shape }))
    .filter((t) => !seen.has(t.name) && seen.add(t.name));
  const header = serializeHeader(entries);
  const dataLength = entries.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[t.dtype], 0);
  const out = new Uint8Array(header.length + dataLength);
  out.set(header);
  return out;
});

describe('mutation fuzzing of .npy and .safetensors files', () => {
  it('mutated .npy bytes parse or fail cleanly', () => {
    fc.assert(
      fc.property(npyArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (bytes, mutations) => {
        parseNpyBoth(mutations.reduce<Uint8Array>((b, m) => m(b), bytes));
      }),
      { seed: 0x4e9, numRuns: 1500 },
    );
  });

  it('mutated safetensors bytes open and read, or fail cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(safetensorsArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (bytes, mutations) => {
        await readSafetensors(mutations.reduce<Uint8Array>((b, m) => m(b), bytes));
      }),
      { seed: 0x5a7e, numRuns: 1500 },
    );
  });

  describe('through files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nmsparse-fuzz-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('detectFormat and the file readers agree with the in-memory ones', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(npyArb, safetensorsArb), fc.array(mutationArb, { maxLength: 3 }), async (bytes, mutations) => {
          const mutated = mutations.reduce<Uint8Array>((b, m) => m(b), bytes);
          const path = join(dir, `case${run++}.bin`);
          await writeFile(path, mutated);
          // In memory: the binary signatures, else JSON text is a sharded checkpoint's index.
          const expected =
            formatOfBytes(mutated.subarray(0, 9)) ??
            (new TextDecoder().decode(mutated.subarray(0, 64)).trimStart().startsWith('{') ? 'safetensors-index' : undefined);
          let format: string | undefined;
          try {
            format = await detectFormat(path);
            expect(format).toBe(expected);
          } catch (err) {
            expectCleanError(err);
            expect(expected).toBeUndefined();
          }
          for (const [fromFile, inMemory] of [
            [readNpyFile, parseNpy],
            [readNpyMaskFile, parseNpyMask],
          ] as const) {
            const viaFile = await fromFile(path).then(
              (a) => ({ a }),
              (e: unknown) => ({ e }),
            );
            let viaMemory: { a: unknown } | { e: unknown };
            try {
              viaMemory = { a: inMemory(mutated, path) };
            } catch (e) {
              viaMemory = { e };
            }
            if ('e' in viaFile) expectCleanError(viaFile.e);
            expect(viaFile).toEqual(viaMemory);
          }
          await rm(path);
        }),
        { seed: 0xf11e, numRuns: 120 },
      );
    });
  });
});
