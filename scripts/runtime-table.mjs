#!/usr/bin/env node
// Writes README's runtime × status table from the outcomes that test/runtimes/*.test.ts record in
// build/runtime-results/*.json (run `npx vitest run test/runtimes` first). The table sits between the
// markers below; everything else in README.md is left as it is.
//   node scripts/runtime-table.mjs [--check]   --check: exit 1 when README's table differs from the results
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url);
const START = '<!-- runtime-table:start (scripts/runtime-table.mjs writes this table) -->';
const END = '<!-- runtime-table:end -->';
const STATUS = { passed: 'passes', failed: '**fails**', skipped: 'skipped' };

/** Markdown-safe table cell: no pipes, no newlines, no HTML. */
function cell(text) {
  return String(text).replace(/[|<>]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\s+/g, ' ').trim();
}

const dir = new URL('build/runtime-results/', ROOT);
// runtimes.json first (the runtimes, then the browsers), then the other files by name.
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort((a, b) => (a === 'runtimes.json' ? -1 : b === 'runtimes.json' ? 1 : a.localeCompare(b)));
const outcomes = files.flatMap((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')));
const rows = outcomes.map((o) => {
  const status = STATUS[o.status] ?? cell(o.status);
  const what = o.status === 'passed' && o.kind === 'runtime' ? `wasm backend: ${o.detail}` : o.detail;
  return `| ${cell(o.runtime)} | ${status} | ${cell(what)} |`;
});
const table = [
  START,
  '| runtime or check | status | detail |',
  '|---|---|---|',
  ...rows,
  END,
].join('\n');

const readmeUrl = new URL('README.md', ROOT);
const readme = readFileSync(readmeUrl, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < from) {
  console.error(`README.md has no ${START} … ${END} section`);
  process.exit(1);
}
const updated = readme.slice(0, from) + table + readme.slice(to + END.length);
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    console.error('README.md runtime table is out of date: node scripts/runtime-table.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(readmeUrl, updated);
  console.log(`README.md: runtime table with ${rows.length} rows`);
}
