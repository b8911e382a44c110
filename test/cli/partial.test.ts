// The description in a partial result's metadata (src/cli/partial.ts): what `mask --shard` writes reads
// back field for field, with the fields docs/formats.md lists, and anything else is refused with
// E_FORMAT naming the file and what is wrong.
import { describe, expect, it } from 'vitest';
import { partialMetadata, readPartial, type PartialRun } from '../../src/cli/partial.js';
import { memorySource, SafetensorsReader, serializeHeader, type Metadata } from '../../src/io/safetensors.js';

const RUN: PartialRun = {
  settings: { n: 2, m: 4, transposable: false, score: 'abs', maskDtype: 'U8', backend: 'wasm', conv: false, include: [], exclude: ['lm_head'] },
  fingerprint: 'f'.repeat(64),
  source: { sharded: true, metadata: { total_size: '10', nmsparse: '{}' }, groupMetadata: [{ format: 'pt' }, { format: 'pt' }] },
  targets: [
    ['a', 0, [8, 16]],
    ['1', 1, [4, 4]],
  ],
};

async function reader(metadata: Metadata): Promise<SafetensorsReader> {
  return SafetensorsReader.open(memorySource(serializeHeader([], metadata), 'part.safetensors'));
}

describe('partial results', () => {
  it('round-trips the description, with the documented fields', async () => {
    const metadata = partialMetadata(RUN, { index: 2, count: 3 });
    expect(Object.keys(metadata)).toEqual(['nmsparse_partial']);
    expect(Object.keys(JSON.parse(metadata.nmsparse_partial as string) as object)).toEqual(['format', 'version', 'shard', 'of', 'settings', 'fingerprint', 'source', 'targets']);
    expect(readPartial(await reader(metadata), 'part.safetensors')).toEqual({ ...RUN, shard: { index: 2, count: 3 } });
  });

  it('refuses anything else with E_FORMAT, saying what is wrong', async () => {
    const good = JSON.parse(partialMetadata(RUN, { index: 1, count: 2 }).nmsparse_partial as string) as Record<string, unknown>;
    const edit = (patch: Record<string, unknown>) => ({ nmsparse_partial: JSON.stringify({ ...good, ...patch }) });
    const cases: Array<[Metadata, RegExp]> = [
      [{}, /no nmsparse_partial metadata/],
      [{ ...edit({}), other: 'x' }, /metadata besides nmsparse_partial/],
      [{ nmsparse_partial: '{' }, /is not JSON/],
      [edit({ format: 'other' }), /has no format 'nmsparse-partial'/],
      [edit({ version: 2 }), /version 2; this nmsparse reads version 1/],
      [edit({ shard: 3 }), /no valid shard i of k/],
      [edit({ shard: 0 }), /no valid shard i of k/],
      [edit({ of: 1.5 }), /no valid shard i of k/],
      [edit({ settings: [] }), /no settings or input fingerprint/],
      [edit({ fingerprint: 7 }), /no settings or input fingerprint/],
      [edit({ source: { ...RUN.source, groupMetadata: [{ a: 1 }] } }), /no valid output layout/],
      [edit({ source: { ...RUN.source, sharded: 'yes' } }), /no valid output layout/],
      [edit({ targets: [['a', 2, [4]]] }), /no valid list of tensors/],
      [edit({ targets: [['a', 0]] }), /no valid list of tensors/],
      [edit({ targets: [['a', 0, [4, -1]]] }), /no valid list of tensors/],
      [edit({ targets: {} }), /no valid list of tensors/],
    ];
    for (const [metadata, pattern] of cases) {
      let err: unknown;
      try {
        readPartial(await reader(metadata), 'part.safetensors');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(metadata)).toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/^part\.safetensors is not a partial result of 'nmsparse mask --shard'/) });
      expect((err as Error).message).toMatch(pattern);
    }
  });
});
