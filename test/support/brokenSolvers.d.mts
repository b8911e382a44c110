/** A transposable N:M mask solver over row-major scores. */
export type MatrixSolver = (data: Float32Array, rows: number, cols: number, n: number, m: number) => Uint8Array;

export declare const solvers: {
  /** Standard (not transposable) N:M with a bug in the last group of every row. */
  standardLastGroupFirstN: MatrixSolver;
  exact: MatrixSolver;
  greedyNoRepair: MatrixSolver;
  offByOneTile: MatrixSolver;
  tiesByValue: MatrixSolver;
  crashOnZero: MatrixSolver;
};

export declare function runAsCommand(argv: string[]): Promise<void>;
