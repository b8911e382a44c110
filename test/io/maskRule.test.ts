import { describe, expect, it } from 'vitest';
import { parseNpyMask } from '../../src/io/npy.js';
import { encodeTensorData, memorySource, SafetensorsReader, serializeHeader, type SafetensorsDtype } from '../../src/io/safetensors.js';
import { certify } from '../../src/verify/certify.js';
import { checkStandard } from '../../src/verify/validity.js';

/**
 * One rule for mask values in every format (issue 10 #14, docs/formats.md): exactly 1 keeps, exactly 0
 * drops, anything else is a value violation reported with the stored value. Each case writes the
 * mask [v, 0, 0, 0] in a format, reads it back through the io readers and checks it as a 1:4 mask.
 */

/** The stored value of v in a format, or undefined when the format cannot hold v exactly. */
function stored(v: number, dtype: string): number | undefined {
  if (dtype === 'u8' || dtype === 'bool' || dtype === 'U8' || dtype === 'BOOL') {
    return Number.isInteger(v) && v >= 0 && v <= 255 && !Object.is(v, -0) ? v : undefined;
  }
  if (dtype === 'f64' || dtype === 'F64') return v;
  const f32 = Math.fround(v);
  if (dtype === 'f32' || dtype === 'F32') return Object.is(f32, v) || Number.isNaN(v) ? v : undefined;
  // f16/bf16 cases below use values they hold exactly.
  return [0, 1, 2, 0.5, -1, -0, Infinity].some((x) => Object.is(x, v)) || Number.isNaN(v) ? v : undefined;
}

function npyMask(values: number[], dtype: string): Uint8Array {
  const descr = { f32: '<f4', f64: '<f8', f16: '<f2', u8: '|u1', bool: '|b1' }[dtype] as string;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (1, ${values.length}), }`;
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const payload =
    dtype === 'f64'
      ? new Uint8Array(new Float64Array(values).buffer)
      : dtype === 'f32'
        ? new Uint8Array(new Float32Array(values).buffer)
        : dtype === 'f16'
          ? encodeTensorData(new Float32Array(values), 'F16')
          : new Uint8Array(values);
  const out = new Uint8Array(10 + headerLength + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, headerLength, true);
  out.set(new TextEncoder().encode(dict.padEnd(headerLength - 1, ' ') + '\n'), 10);
  out.set(payload, 10 + headerLength);
  return out;
}

async function safetensorsMask(values: number[], dtype: SafetensorsDtype): Promise<ArrayLike<number>> {
  const raw =
    dtype === 'F64'
      ? new Uint8Array(new Float64Array(values).buffer)
      : dtype === 'U8' || dtype === 'BOOL'
        ? new Uint8Array(values)
        : encodeTensorData(new Float32Array(values), dtype);
  // The bytes are laid out by hand: the writer refuses a BOOL byte that is not 0/1, the reader must judge it.
  const header = serializeHeader([{ name: 'm', dtype, shape: [1, values.length] }]);
  const bytes = new Uint8Array(header.length + raw.length);
  bytes.set(header);
  bytes.set(raw, header.length);
  const reader = await SafetensorsReader.open(memorySource(bytes, 'masks.safetensors'));
  return reader.readMask(reader.tensor('m'));
}

const VALUES = [0, 1, -0, 2, 0.5, -1, Number.NaN, Infinity, 1 + 1e-12, 255];
const NPY = ['f32', 'f64', 'f16', 'u8', 'bool'];
const SAFETENSORS: SafetensorsDtype[] = ['U8', 'BOOL', 'F32', 'F16', 'BF16', 'F64'];

describe('one mask rule for every format', () => {
  const cases: Array<[string, string, number]> = [];
  for (const v of VALUES) {
    for (const d of NPY) if (stored(v, d) !== undefined) cases.push(['npy', d, v]);
    for (const d of SAFETENSORS) if (stored(v, d) !== undefined) cases.push(['safetensors', d, v]);
  }

  it.each(cases)('%s %s holding %d', async (format, dtype, v) => {
    const values = [v, 0, 0, 0];
    const mask = format === 'npy' ? parseNpyMask(npyMask(values, dtype)).data : await safetensorsMask(values, dtype as SafetensorsDtype);
    const report = checkStandard(mask, 1, 4, 1, 4, 'atMost');
    if (v === 0 || v === 1) {
      expect(report.valid).toBe(true);
    } else {
      expect(report.valid).toBe(false);
      expect(report.violations[0]).toEqual({ kind: 'value', row: 0, col: 0, value: v });
    }
  });

  it('covers 1 + 1e-12 only where it is stored exactly (f64), and every format holds 2', () => {
    expect(cases.filter(([, , v]) => v === 1 + 1e-12).map(([, d]) => d)).toEqual(['f64', 'F64']);
    expect(cases.filter(([, , v]) => v === 2)).toHaveLength(NPY.length + SAFETENSORS.length);
  });

  it('certify judges {rows, cols, data} masks by the same rule: NaN and 1 + 1e-12 are violations, not errors', async () => {
    const scores = { rows: 1, cols: 4, data: new Float32Array([4, 3, 2, 1]) };
    for (const v of [Number.NaN, 1 + 1e-12, 0.5]) {
      const c = await certify(scores, { rows: 1, cols: 4, data: new Float64Array([v, 0, 0, 0]) }, { n: 1, m: 4, fill: 'atMost', backend: 'reference' });
      expect(c.valid).toBe(false);
      expect(c.violations[0]).toEqual({ kind: 'value', row: 0, col: 0, value: v });
      const nested = await certify(scores, [[v, 0, 0, 0]], { n: 1, m: 4, fill: 'atMost', backend: 'reference' });
      expect(nested.violations[0]).toEqual({ kind: 'value', row: 0, col: 0, value: v });
    }
    const ok = await certify(scores, { rows: 1, cols: 4, data: new Float64Array([1, 0, 0, 0]) }, { n: 1, m: 4, backend: 'reference' });
    expect(ok).toMatchObject({ valid: true, objective: 4, gap: 0 });
  });
});

describe('mask values must be numbers', () => {
  it('strings and BigInts in a mask are refused, not judged', async () => {
    const scores = { rows: 1, cols: 4, data: new Float32Array([4, 3, 2, 1]) };
    const options = { n: 1, m: 4, backend: 'reference' } as const;
    await expect(certify(scores, { rows: 1, cols: 4, data: ['1', '0', '0', '0'] } as never, options)).rejects.toMatchObject({ code: 'E_DTYPE' });
    await expect(certify(scores, new BigInt64Array(4) as never, options)).rejects.toMatchObject({ code: 'E_DTYPE' });
    await expect(certify(scores, [['1', 0, 0, 0]] as never, options)).rejects.toMatchObject({ code: 'E_DTYPE' });
  });
});
