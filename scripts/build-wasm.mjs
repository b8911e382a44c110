// Regenerates both sides of the ABI from scripts/wasm-abi.mjs, then compiles assembly/ to
// build/nmsparse.wasm (plain memory: browsers, edge runtimes) and build/nmsparse-threads.wasm
// (shared memory: the Node worker pool). Both import env.memory.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { generateWasmAbi } from './generate-wasm-abi.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = [
  join(root, 'assembly/index.ts'),
  '--config', join(root, 'asconfig.json'),
  '--target', 'release',
];
const outputs = [
  { file: 'nmsparse.wasm', flags: [] },
  { file: 'nmsparse-threads.wasm', flags: ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'] },
];

for (const path of generateWasmAbi()) console.log(`build-wasm: regenerated ${path}`);
mkdirSync(join(root, 'build'), { recursive: true });
for (const { file, flags } of outputs) {
  const { error, stderr } = await asc.main([...common, '--outFile', join(root, 'build', file), ...flags]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: build/${file}`);
}
