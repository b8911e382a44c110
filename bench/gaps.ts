// `npm run bench:gaps`: prints the certified-gap table of gap-report.ts.
// Installs Node's runtime (build/*.wasm via fs, the worker pool) as the package's Node entry does.
import '../test/support/nodeRuntime.js';
import { parseArgs } from 'node:util';
import { formatGapTable, measureGaps } from './gap-report.js';
import { MATRIX_SEED } from './mask-suite.js';
import type { BackendChoice } from '../src/core/types.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1024' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
    },
  });
  const size = Number(values.size);
  if (!Number.isInteger(size) || size <= 0 || size % 32 !== 0) throw new Error(`--size must be a multiple of 32, got ${values.size}`);
  const rows = await measureGaps(size, values.backend as BackendChoice);
  if (values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const backends = [...new Set(rows.map((r) => r.backend))].join(', ');
  process.stdout.write(`${formatGapTable(rows, size)}\n\ncertified gap (UB − objective)/UB; |N(0,1)| scores, seed ${MATRIX_SEED}; backend ${backends}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:gaps: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
