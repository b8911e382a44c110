import { describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { memorySource, SafetensorsReader, serializeHeader, type TensorEntry } from '../../src/io/safetensors.js';

/** A file whose header text is given verbatim, followed by `dataLength` data bytes (0, 1, 2, ...). */
function rawFile(headerText: string, dataLength: number, prefix: number[] = []): Uint8Array {
  const text = new TextEncoder().encode(headerText);
  const json = new Uint8Array(prefix.length + text.length);
  json.set(prefix);
  json.set(text, prefix.length);
  const out = new Uint8Array(8 + json.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  for (let i = 0; i < dataLength; i++) out[8 + json.length + i] = i & 0xff;
  return out;
}

const open_ = (bytes: Uint8Array) => SafetensorsReader.open(memorySource(bytes, 'model.safetensors'));

/** The error `promise` rejects with; fails unless it is an NmsparseError with `code` and a one-line message. */
async function rejection(promise: Promise<unknown>, code: string): Promise<NmsparseError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NmsparseError);
  expect((err as NmsparseError).code).toBe(code);
  expect((err as Error).message).not.toMatch(/[\n\r]/);
  return err as NmsparseError;
}

const nested = (depth: number, inner: string) => '['.repeat(depth) + inner + ']'.repeat(depth);

describe('safetensors header: nesting never exhausts the stack (issue 10 #1)', () => {
  for (const field of ['shape', 'dtype', 'data_offsets']) {
    it(`${field} nested 5,000 and 200,000 deep is E_FORMAT`, async () => {
      for (const depth of [5_000, 200_000]) {
        const entry = { dtype: '"F32"', shape: '[1]', data_offsets: '[0, 4]' } as Record<string, string>;
        entry[field] = nested(depth, '1');
        const header = `{"w": {${Object.entries(entry).map(([k, v]) => `"${k}": ${v}`).join(', ')}}}`;
        const err = await rejection(open_(rawFile(header, 4)), 'E_FORMAT');
        expect(err.message).toMatch(/nested more than \d+ deep/);
        expect(err.message.length).toBeLessThan(200);
      }
    });
  }

  it('deep nesting in metadata or at the top is E_FORMAT too', async () => {
    await rejection(open_(rawFile(`{"__metadata__": {"a": ${nested(100_000, '"x"')}}}`, 0)), 'E_FORMAT');
    await rejection(open_(rawFile(`{"a": {"b": ${'{"c": '.repeat(50_000)}1${'}'.repeat(50_000)}}}`, 0)), 'E_FORMAT');
  });
});

describe('safetensors header: what the reference library rejects (issue 10 #18)', () => {
  const w = (shape: string, offsets: string, dtype = 'U8') => `{"w": {"dtype": "${dtype}", "shape": ${shape}, "data_offsets": ${offsets}}}`;

  it('accepts plain integers', async () => {
    const reader = await open_(rawFile(w('[2, 4]', '[0, 8]'), 8));
    expect(reader.tensors[0]).toMatchObject({ name: 'w', shape: [2, 4], begin: 0, end: 8, supported: true });
  });

  it.each([
    ['offset 0.0', w('[8]', '[0.0, 8]')],
    ['offset 2.56e2', w('[256]', '[0, 2.56e2]')],
    ['offset 8E0', w('[8]', '[0, 8E0]')],
    ['shape 8.0', w('[8.0]', '[0, 8]')],
    ['shape 8e0', w('[8e0]', '[0, 8]')],
    ['shape -0', w('[-0, 8]', '[0, 0]')],
    ['shape as a string', w('["8"]', '[0, 8]')],
    ['offsets as an object', w('[8]', '{"0": 0}')],
  ])('refuses %s', async (_name, header) => {
    const err = await rejection(open_(rawFile(header, 8)), 'E_FORMAT');
    expect(err.message).toMatch(/"w".*(shape|data_offsets)/);
  });

  it('refuses a UTF-8 byte order mark and any first byte other than {', async () => {
    const err = await rejection(open_(rawFile(w('[8]', '[0, 8]'), 8, [0xef, 0xbb, 0xbf])), 'E_FORMAT');
    expect(err.message).toMatch(/byte order mark/);
    await rejection(open_(rawFile(` ${w('[8]', '[0, 8]')}`, 8)), 'E_FORMAT');
  });

  it('refuses the empty tensor name in the header (and the writer never writes one)', async () => {
    const err = await rejection(open_(rawFile('{"": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}', 2)), 'E_FORMAT');
    expect(err.message).toMatch(/empty name/);
    expect(() => serializeHeader([{ name: '', dtype: 'U8', shape: [2] }])).toThrow(NmsparseError);
  });

  it('refuses duplicate keys, at the top and inside an entry', async () => {
    const twice = '{"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, "w": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}';
    expect((await rejection(open_(rawFile(twice, 2)), 'E_FORMAT')).message).toMatch(/duplicate key/);
    const field = '{"w": {"dtype": "U8", "dtype": "F32", "shape": [1], "data_offsets": [0, 1]}}';
    expect((await rejection(open_(rawFile(field, 1)), 'E_FORMAT')).message).toMatch(/duplicate key/);
  });

  it('reads names with escapes and astral characters, refuses lone surrogates', async () => {
    const name = await open_(rawFile('{"a\\u00e9\\ud83d\\ude00\\n": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}', 1));
    expect(name.tensors[0]?.name).toBe('aé😀\n');
    const lone = '{"a\\ud800": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}';
    expect((await rejection(open_(rawFile(lone, 1)), 'E_FORMAT')).message).toMatch(/surrogate/);
  });

  it('keeps metadata keys such as "__proto__" as plain keys', async () => {
    const reader = await open_(rawFile('{"__metadata__": {"__proto__": "x", "format": "pt"}}', 0));
    expect(Object.keys(reader.metadata).sort()).toEqual(['__proto__', 'format']);
    expect(Object.getPrototypeOf(reader.metadata)).toBe(Object.prototype);
  });

  it('refuses a dimension past 2^53 with its exact digits', async () => {
    for (const dim of ['9007199254740993', '18446744073709551616', '9'.repeat(40)]) {
      const err = await rejection(open_(rawFile(w(`[${dim}]`, '[0, 8]'), 8)), 'E_FORMAT');
      expect(err.message).toContain(dim);
      expect(err.message).toMatch(/larger than 2\^53/);
    }
  });
});

describe('safetensors: tensors of dtypes nmsparse does not compute with (issue 10 #18)', () => {
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    z: { dtype: 'C64', shape: [1], data_offsets: [0, 8] },
    e: { dtype: 'F8_E8M0', shape: [2], data_offsets: [8, 10] },
    q: { dtype: 'F4', shape: [2, 3], data_offsets: [10, 13] },
    i: { dtype: 'I32', shape: [1], data_offsets: [13, 17] },
    w: { dtype: 'F32', shape: [1, 2], data_offsets: [17, 25] },
    m: { dtype: 'BOOL', shape: [1, 2], data_offsets: [25, 27] },
  });

  it('lists them with supported: false and a reason; the others read normally', async () => {
    const reader = await open_(rawFile(header, 27));
    const byName = new Map(reader.tensors.map((t) => [t.name, t]));
    for (const name of ['z', 'e', 'q', 'i']) {
      const t = byName.get(name);
      expect(t?.supported).toBe(false);
      expect(t?.unsupportedReason).toMatch(new RegExp(`not ${t?.dtype}$`));
    }
    expect(byName.get('w')).toMatchObject({ supported: true, begin: 17, end: 25 });
    expect((await reader.readFloats(reader.tensor('w'))).length).toBe(2);
    expect(await reader.readMask(reader.tensor('m'))).toEqual(new Uint8Array([25, 26]));
    expect(await reader.readBytes(reader.tensor('z'))).toEqual(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]));
  });

  it('refuses only that tensor when its values are asked for', async () => {
    const reader = await open_(rawFile(header, 27));
    for (const name of ['z', 'e', 'q', 'i']) {
      const err = await rejection(reader.readFloats(reader.tensor(name)), 'E_DTYPE');
      expect(err.message).toContain(`"${name}"`);
      await rejection(reader.readMask(reader.tensor(name)), 'E_DTYPE');
    }
  });

  it('still checks their byte ranges, sub-byte types included', async () => {
    const odd = '{"q": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}';
    expect((await rejection(open_(rawFile(odd, 2)), 'E_FORMAT')).message).toMatch(/fraction of a byte/);
    const short = '{"z": {"dtype": "C64", "shape": [2], "data_offsets": [0, 8]}}';
    expect((await rejection(open_(rawFile(short, 8)), 'E_FORMAT')).message).toMatch(/needs 16 bytes/);
  });

  it('an unknown dtype string still makes the header invalid, as in the reference library', async () => {
    await rejection(open_(rawFile('{"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}', 16)), 'E_DTYPE');
  });

  it('writes and reads back every dtype of the format', async () => {
    const entries: TensorEntry[] = [
      { name: 'c', dtype: 'C64', shape: [1] },
      { name: 'f4', dtype: 'F4', shape: [4] },
      { name: 'f6', dtype: 'F6_E2M3', shape: [4] },
    ];
    const head = serializeHeader(entries);
    const bytes = new Uint8Array(head.length + 8 + 2 + 3);
    bytes.set(head);
    const reader = await open_(bytes);
    expect(reader.tensors.map((t) => [t.name, t.end - t.begin, t.supported])).toEqual([
      ['c', 8, false],
      ['f4', 2, false],
      ['f6', 3, false],
    ]);
    expect(() => serializeHeader([{ name: 'x', dtype: 'F4', shape: [3] }])).toThrow(/whole number of bytes/);
  });
});

describe('safetensors: file text in messages is escaped and bounded (issue 10 #16)', () => {
  it('a 10 MB dtype string gives a short error line', async () => {
    const err = await rejection(open_(rawFile(`{"w": {"dtype": "${'X'.repeat(10_000_000)}", "shape": [1], "data_offsets": [0, 1]}}`, 1)), 'E_DTYPE');
    expect(err.message.length).toBeLessThan(600);
    expect(err.message).toMatch(/10000000 characters/);
  });

  it('tensor names with ANSI escapes and newlines are escaped', async () => {
    const name = '\\u001b[2J\\u001b]0;pwned\\u0007\\nfake line\\u009b';
    const err = await rejection(open_(rawFile(`{"${name}": {"dtype": "U8", "shape": [2], "data_offsets": [0, 1]}}`, 1)), 'E_FORMAT');
    expect(err.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(err.message).toContain('\\x1b[2J\\x1b]0;pwned\\x07\\nfake line\\x9b');
  });

  it('a long name is cut in messages', async () => {
    const err = await rejection(open_(rawFile(`{"${'n'.repeat(100_000)}": {"dtype": "U8", "shape": [2], "data_offsets": [0, 1]}}`, 1)), 'E_FORMAT');
    expect(err.message.length).toBeLessThan(400);
  });
});
