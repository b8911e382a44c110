/**
 * `nmsparse inspect MODEL.safetensors`: every tensor with its dtype and shape, and which N:M patterns
 * it can take; with --m, whether `nmsparse mask` with the same selection flags masks it, and why not.
 */
import { throwIfAborted } from '../../core/errors.js';
import { openCheckpoint, type TensorInfo } from '../../io/index.js';
import type { Command } from '../command.js';
import { displayText } from '../../core/text.js';
import { eligibility } from '../eligibility.js';
import { optionError } from '../flags.js';
import { withInterrupt } from '../interrupt.js';
import { CONV_FLAG, EXCLUDE_FLAG, INCLUDE_FLAG, JSON_FLAG, M_FLAG, N_FLAG, resolveSelection, TRANSPOSABLE_FLAG, type Selection } from '../sharedFlags.js';
import { formatShape, formatTable, left } from '../table.js';
import { inputKindOf } from '../inputKind.js';

/** The group sizes that common N:M patterns use (2:4, 4:8, 8:16, 16:32). */
const COMMON_M = [4, 8, 16, 32];

interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  /** With --m: whether this tensor gets a mask, and why not. */
  eligible?: boolean;
  reason?: string;
  /** Without --m: the common M for which a standard / transposable mask fits. */
  standardM?: number[];
  transposableM?: number[];
}

function describeTensor(t: TensorInfo, selection: Selection, withPattern: boolean): TensorRow {
  const row: TensorRow = { name: t.name, dtype: t.dtype, shape: [...t.shape], bytes: t.end - t.begin };
  if (withPattern) {
    const e = eligibility(t, selection);
    return e.eligible ? { ...row, eligible: true } : { ...row, eligible: false, reason: e.reason };
  }
  const fits = (transposable: boolean) => COMMON_M.filter((m) => eligibility(t, { ...selection, m, transposable }).eligible);
  const standardM = fits(false);
  if (standardM.length === 0) {
    // Say why, using the smallest M: the reason (dtype, rank, exclusion) rarely depends on M.
    const e = eligibility(t, { ...selection, m: COMMON_M[0], transposable: false });
    return { ...row, standardM, transposableM: [], ...(e.eligible ? {} : { reason: e.reason }) };
  }
  return { ...row, standardM, transposableM: fits(true) };
}

function verdict(r: TensorRow, withPattern: boolean): string {
  if (withPattern) return r.eligible ? 'masked' : `skipped: ${r.reason}`;
  if ((r.standardM ?? []).length === 0) return `none: ${r.reason}`;
  return `standard M=${r.standardM?.join(',')}; transposable ${r.transposableM?.length ? `M=${r.transposableM.join(',')}` : 'none'}`;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list the tensors of a safetensors checkpoint and which N:M patterns each can take',
  usage: ['MODEL.safetensors [--m M [--n N] [--transposable]] [--conv] [--include REGEX] [--exclude REGEX] [--json]'],
  operands: ['MODEL'],
  inputs: ['safetensors'],
  flags: [
    { ...M_FLAG, required: false, help: 'say for each tensor whether `nmsparse mask` with this M masks it, and why not' },
    { ...N_FLAG, required: false, needs: { name: 'm' }, help: 'checked against --m (N < M); eligibility does not depend on it' },
    { ...TRANSPOSABLE_FLAG, needs: { name: 'm' } },
    CONV_FLAG,
    INCLUDE_FLAG,
    EXCLUDE_FLAG,
    JSON_FLAG,
  ],
  examples: ['nmsparse inspect model.safetensors', 'nmsparse inspect model.safetensors --m 16 --transposable --exclude lm_head'],
  async run(args, out) {
    const path = args.operands[0] as string;
    const m = args.get(M_FLAG);
    const n = args.get(N_FLAG);
    if (n !== undefined && m !== undefined && n >= m) throw optionError(`--n must be less than --m (keep N of every M), got ${n}:${m}`);
    const transposable = args.get(TRANSPOSABLE_FLAG);
    const selection = resolveSelection(args, { m: m ?? (COMMON_M[0]), transposable });
    const kind = await inputKindOf(path);
    if (kind !== 'safetensors') throw optionError(`inspect reads safetensors checkpoints; ${displayText(path, 120)} is a .${kind} file`);

    return withInterrupt(async (signal) => {
      const reader = await openCheckpoint(path);
      let rows: TensorRow[];
      try {
        rows = reader.tensors.map((t) => describeTensor(t, selection, m !== undefined));
      } finally {
        await reader.close();
      }
      throwIfAborted(signal); // the header is all the work: a signal during it stops the run here
      const bytes = rows.reduce((s, r) => s + r.bytes, 0);
      const pattern = m === undefined ? undefined : { ...(n === undefined ? {} : { n }), m, transposable };
      if (args.get(JSON_FLAG)) {
        out.print(JSON.stringify({ file: path, metadata: reader.metadata, bytes, ...(pattern ? { pattern } : {}), tensors: rows }));
        return 0;
      }
      out.print(`${displayText(path)}: ${rows.length} tensor(s), ${(bytes / 2 ** 20).toFixed(1)} MiB of data`);
      const metadata = Object.entries(reader.metadata).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      if (metadata.length > 0) out.print(`metadata: ${displayText(metadata.join(', '), 300)}`);
      const kindText = pattern ? `${n === undefined ? `M=${m}` : `${n}:${m}`}${transposable ? ' transposable' : ''}` : 'N:M fits (M)';
      const cells = rows.map((r) => [r.name, r.dtype, formatShape(r.shape), verdict(r, pattern !== undefined)]);
      for (const line of formatTable([left('name'), left('dtype'), left('shape'), left(kindText)], cells)) out.print(line);
      if (pattern) out.print(`${rows.filter((r) => r.eligible).length} of ${rows.length} tensor(s) would get a ${kindText} mask`);
      return 0;
    }, out.stderr);
  },
};
