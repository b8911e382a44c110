// Pins the public surface: a dropped or renamed export fails here, an added one must be added here
// (and to docs/api.md) on purpose.
import { describe, expect, it } from 'vitest';
import * as io from '../../src/io/index.js';
import * as api from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

describe('public exports', () => {
  it("'nmsparse' exports exactly the documented values", () => {
    expect(Object.keys(api).sort()).toEqual([
      'DEFAULT_LAYER_OPTIONS',
      'DEFAULT_PRUNE_OPTIONS',
      'DEFAULT_TSENOR_OPTIONS',
      'KERNEL_CONTRACTS',
      'MAX_M',
      'NmsparseError',
      'TSENOR_LIMITS',
      'certify',
      'configureGpu',
      'configureWasm',
      'listBackends',
      'magnitudePrune24',
      'prox24',
      'pruneLayer',
      'pruneLayer24',
      'reg24',
      'releaseGpu',
      'scoresFrom',
      'standardMask',
      'toMatrix',
      'transposableMask',
      'wandaPrune24',
      'warmUpWasm',
    ]);
  });

  it("'nmsparse/io' exports exactly the documented values", () => {
    expect(Object.keys(io).sort()).toEqual([
      'FLOAT_DTYPES',
      'SafetensorsReader',
      'SafetensorsWriter',
      'decodeFloats',
      'detectFormat',
      'encodeNpy',
      'encodeTensorData',
      'fileSource',
      'formatOfBytes',
      'isFloatDtype',
      'memorySource',
      'openCheckpoint',
      'openSafetensorsFile',
      'parseNpy',
      'parseNpyMask',
      'readNpyFile',
      'readNpyMaskFile',
      'writeNpyFile',
      'writeSafetensorsFile',
    ]);
  });

  it("'nmsparse/testing' exports exactly the documented values", () => {
    expect(Object.keys(testing).sort()).toEqual(['FAMILIES', 'maskSolverProperty', 'scoreMatrix']);
  });

  it('the defaults are frozen, and the kernel contracts name every kernel', () => {
    expect(Object.isFrozen(api.DEFAULT_TSENOR_OPTIONS)).toBe(true);
    expect(Object.isFrozen(api.KERNEL_CONTRACTS)).toBe(true);
    expect(Object.keys(api.KERNEL_CONTRACTS).sort()).toEqual([
      'cholesky',
      'exactTiles',
      'gemm',
      'gram',
      'greedyTiles',
      'obsBlock',
      'obsSweep',
      'prox24',
      'refitRows',
      'spdInverse',
      'standardMask',
      'transposableMatrix',
      'triangularInverse',
      'tsenorTiles',
    ]);
  });
});
