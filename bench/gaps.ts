// `npm run bench:gaps`: prints the certified-gap table of gap-report.ts.
import { parseArgs } from 'node:util';
import type { BackendChoice } from '../src/backends/backend.js';
import { formatGapTable, measureGaps } from './gap-report.js';

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
  process.stdout.write((values.json ? JSON.stringify(rows, null, 2) : formatGapTable(rows, size)) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:gaps: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
