import { NmsparseError } from '../core/errors.js';
import { openSafetensorsFile, type TensorInfo } from '../io/safetensors.js';
import { validatePattern } from '../core/matrix.js';
import { integerFlag, parseCommandArgs } from './args.js';
import { eligibility, regexFlag, type Selection } from './eligibility.js';
import { print } from './shared.js';

const USAGE =
  'nmsparse inspect MODEL.safetensors [--n N --m M [--transposable]] [--conv] [--include REGEX] [--exclude REGEX] [--json]';

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

function describeTensor(t: TensorInfo, base: Omit<Selection, 'm' | 'transposable'>, pattern?: { m: number; transposable: boolean }): TensorRow {
  const row: TensorRow = { name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.end - t.begin };
  if (pattern) {
    const e = eligibility(t, { ...base, ...pattern });
    return e.eligible ? { ...row, eligible: true } : { ...row, eligible: false, reason: e.reason };
  }
  const fits = (transposable: boolean) => COMMON_M.filter((m) => eligibility(t, { ...base, m, transposable }).eligible);
  const standardM = fits(false);
  if (standardM.length === 0) {
    // Say why, using the smallest M: the reason (dtype, rank, exclusion) rarely depends on M.
    const e = eligibility(t, { ...base, m: COMMON_M[0] as number, transposable: false });
    return { ...row, standardM, transposableM: [], reason: e.eligible ? undefined : e.reason };
  }
  return { ...row, standardM, transposableM: fits(true) };
}

/**
 * `nmsparse inspect MODEL.safetensors`: every tensor with its dtype and shape, and which N:M patterns
 * it can take (with --n/--m: whether it gets a mask in `nmsparse mask`, and why not).
 */
export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      n: { type: 'string' },
      m: { type: 'string' },
      transposable: { type: 'boolean' },
      conv: { type: 'boolean' },
      include: { type: 'string' },
      exclude: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new NmsparseError('E_OPTION', `expected one MODEL.safetensors; usage: ${USAGE}`);
  const path = positionals[0] as string;
  const withPattern = values.m !== undefined || values.n !== undefined;
  let pattern: { n: number; m: number; transposable: boolean } | undefined;
  if (withPattern) {
    const n = integerFlag(values, 'n', USAGE);
    const m = integerFlag(values, 'm', USAGE);
    validatePattern(n, m);
    pattern = { n, m, transposable: values.transposable === true };
  } else if (values.transposable) {
    throw new NmsparseError('E_OPTION', `--transposable needs --n and --m; usage: ${USAGE}`);
  }
  const base = { conv: values.conv === true, include: regexFlag(values.include, 'include'), exclude: regexFlag(values.exclude, 'exclude') };

  const reader = await openSafetensorsFile(path);
  let rows: TensorRow[];
  try {
    rows = reader.tensors.map((t) => describeTensor(t, base, pattern));
  } finally {
    await reader.close();
  }
  const bytes = rows.reduce((s, r) => s + r.bytes, 0);
  if (values.json) {
    print(JSON.stringify({ file: path, metadata: reader.metadata, bytes, ...(pattern ? { pattern } : {}), tensors: rows }));
    return 0;
  }
  print(`${path}: ${rows.length} tensor(s), ${(bytes / 2 ** 20).toFixed(1)} MiB of data`);
  const metadataKeys = Object.keys(reader.metadata);
  if (metadataKeys.length > 0) print(`metadata: ${metadataKeys.map((k) => `${k}=${JSON.stringify(reader.metadata[k])}`).join(', ').slice(0, 300)}`);
  const kind = pattern ? `${pattern.n}:${pattern.m}${pattern.transposable ? ' transposable' : ''}` : '';
  const header = ['name', 'dtype', 'shape', pattern ? kind : 'N:M fits (M)'];
  const cells = rows.map((r) => {
    let verdict: string;
    if (pattern) verdict = r.eligible ? 'masked' : `skipped: ${r.reason}`;
    else if ((r.standardM ?? []).length === 0) verdict = `none: ${r.reason}`;
    else verdict = `standard M=${r.standardM?.join(',')}; transposable ${r.transposableM?.length ? `M=${r.transposableM.join(',')}` : 'none'}`;
    return [r.name, r.dtype, r.shape.join('×') || 'scalar', verdict];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  for (const line of [header, ...cells]) print(`  ${line.map((c, i) => (i < 3 ? c.padEnd(widths[i] as number) : c)).join('  ')}`);
  if (pattern) print(`${rows.filter((r) => r.eligible).length} of ${rows.length} tensor(s) would get a ${kind} mask`);
  return 0;
}
