// The WebAssembly ABI of nmsparse, described once. scripts/generate-wasm-abi.mjs turns it into
// assembly/abi.ts and assembly/index.ts (the AssemblyScript side: the settings block's accessors,
// the method ids, the exported wrappers) and src/backends/wasmAbi.ts (the TypeScript side: the
// settings writer, the export signatures, the buffer lists). build-wasm runs it before compiling.
//
// Every call passes its problem settings in one block of linear memory (SETTINGS), written by the
// caller just before the call, so a kernel option is a row here, read by name on both sides.
// Every kernel export has the same shape:
//   <name>(settings, start, end, ...buffers, scratch): void    — units [start, end) of a piece
//   <name>ScratchBytes(settings): f64                          — the scratch one call needs
// Pointers are byte offsets into the linear memory (i32 on wasm32).

/** The settings block: [name, type, meaning]. Types: 'i32' (checked to fit) or 'f64'. */
export const SETTINGS = [
  ['m', 'i32', 'M: the group size (standard) or the tile size (transposable)'],
  ['n', 'i32', 'N: entries kept per group, tile row and tile column'],
  ['atMost', 'i32', 'fill: 1 for atMost (at most N), 0 for exact (exactly N)'],
  ['method', 'i32', 'the tile kernel bandTiles runs (an id of METHODS)'],
  ['cols', 'i32', 'columns of a row-major matrix (standardRows, bandTiles)'],
  ['tau', 'f64', 'TSENOR: the final entropy strength τ'],
  ['iterations', 'i32', 'TSENOR: Dykstra iterations in all'],
  ['stages', 'i32', 'TSENOR: stages of the τ schedule'],
  ['localSearchSteps', 'i32', 'TSENOR: local-search steps per tile'],
  ['lambda', 'f64', 'prox24: the regularisation strength λ'],
];

/** Transposable methods; a method's id is its index. */
export const METHODS = ['exact', 'greedy', 'tsenor'];

/**
 * The kernels: the AssemblyScript module that implements each, and its buffers in argument order
 * ([name, element type, 'in' | 'out']), each holding `perUnit` elements per unit of work.
 */
export const KERNELS = [
  {
    name: 'standardRows',
    module: 'standard',
    doc: 'standard N:M masks of rows [start, end) of a row-major matrix, and each row\'s Σ kept scores',
    buffers: [
      ['scores', 'f32', 'in'],
      ['mask', 'u8', 'out'],
      ['objectives', 'f64', 'out'],
    ],
  },
  {
    name: 'exactTiles',
    module: 'exact',
    doc: 'exact transposable masks of tiles [start, end), their duals and LP-dual bounds',
    buffers: [
      ['tiles', 'f32', 'in'],
      ['mask', 'u8', 'out'],
      ['u', 'f64', 'out'],
      ['v', 'f64', 'out'],
      ['bounds', 'f64', 'out'],
    ],
  },
  {
    name: 'greedyTiles',
    module: 'greedy',
    doc: 'greedy transposable masks of tiles [start, end)',
    buffers: [
      ['tiles', 'f32', 'in'],
      ['mask', 'u8', 'out'],
    ],
  },
  {
    name: 'tsenorTiles',
    module: 'tsenor',
    doc: 'TSENOR transposable masks of tiles [start, end)',
    buffers: [
      ['tiles', 'f32', 'in'],
      ['mask', 'u8', 'out'],
    ],
  },
  {
    name: 'bandTiles',
    module: 'bands',
    doc: 'transposable masks of bands [start, end) of M rows of a row-major matrix, by `method`',
    buffers: [
      ['scores', 'f32', 'in'],
      ['mask', 'u8', 'out'],
      ['objectives', 'f64', 'out'],
      ['bounds', 'f64', 'out'],
    ],
  },
  {
    name: 'prox24Groups',
    module: 'prox24',
    doc: 'the 2:4 proximal operator on groups [start, end) of 4 values',
    buffers: [
      ['z', 'f32', 'in'],
      ['out', 'f32', 'out'],
    ],
  },
];
