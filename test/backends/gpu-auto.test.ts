// `auto` must decide about the GPU without starting one when the answer is known: a small job, or (Linux)
// a machine with no GPU device node. Starting Dawn costs time and prints driver warnings on stderr.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const starts = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/backends/gpu/runtime.js', async (original) => {
  const real = await original<typeof import('../../src/backends/gpu/runtime.js')>();
  return {
    ...real,
    startGpuRuntime: (...args: Parameters<typeof real.startGpuRuntime>) => {
      starts.count++;
      return real.startGpuRuntime(...args);
    },
  };
});

const { resolveBackend } = await import('../../src/backends/registry.js');
await import('../../src/backends/all.js');
const { GPU_AUTO_MIN_ENTRIES } = await import('../../src/backends/gpu.js');

const deviceNode =
  (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) ||
  existsSync('/dev/nvidia0') ||
  existsSync('/dev/dxg');

describe('auto and the GPU', () => {
  it('a small job never starts the GPU', async () => {
    expect(await resolveBackend('auto', GPU_AUTO_MIN_ENTRIES - 1)).toBe('wasm');
    expect(starts.count).toBe(0);
  });

  it.runIf(process.platform === 'linux' && !deviceNode)('a large job on a Linux machine without a GPU device node never starts it either', async () => {
    expect(await resolveBackend('auto', GPU_AUTO_MIN_ENTRIES * 4)).toBe('wasm');
    expect(starts.count).toBe(0);
  });
});
