// Regenerates both sides of the ABI from scripts/wasm-abi.mjs, then compiles assembly/ to
// build/nmsparse.wasm (plain memory: browsers, edge runtimes) and build/nmsparse-threads.wasm
// (shared memory: the Node worker pool), and the pruners' linear algebra (assembly/linalgModule.ts,
// its own exports outside the ABI table) to build/nmsparse-linalg[-threads].wasm. All import env.memory.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { generateWasmAbi } from './generate-wasm-abi.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = ['--config', join(root, 'asconfig.json'), '--target', 'release'];
const threads = ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'];
const outputs = [];
for (const [entry, name] of [['assembly/index.ts', 'nmsparse'], ['assembly/linalgModule.ts', 'nmsparse-linalg']]) {
  outputs.push({ entry, file: `${name}.wasm`, flags: [] }, { entry, file: `${name}-threads.wasm`, flags: threads });
}

for (const path of generateWasmAbi()) console.log(`build-wasm: regenerated ${path}`);
mkdirSync(join(root, 'build'), { recursive: true });
for (const { entry, file, flags } of outputs) {
  const { error, stderr } = await asc.main([join(root, entry), ...common, '--outFile', join(root, 'build', file), ...flags]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${file} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: build/${file}`);
}
