/**
 * Exact transposable N:M masks: a max-weight b-matching per M×M tile, solved by the warm-started
 * primal-dual method of docs/design.md ("Exact solver"). This file is the readable spec of record.
 * The WebAssembly kernel (assembly/exact.ts) implements a faster variant of the same method: fill
 * 'atMost' through a free node of dual 0 instead of the dummy node with potential p below, a number
 * of fix passes per M that stops when nothing moves instead of FIX_ROUNDS, and augmenting paths from
 * whichever side is left unbalanced instead of always the rows. Both are optimal with exact
 * certificates, so the objectives agree; masks are identical when the optimum is unique (generic
 * real scores: no two sets of entries with equal sums), while on tied scores either may pick another
 * optimal mask and the duals may differ (test/backends/exactVariants.test.ts).
 *
 * The network: every tile row supplies N units, every tile column demands N, and a unit sent from
 * row i to column j (x_ij = 1) earns the score a_ij. Under fill 'atMost' a row may leave capacity
 * unused and a column may stay short: both are modelled by one extra "dummy" node that takes a row's
 * unused units and feeds a column's missing ones at no cost.
 *
 * Duals: u_i per row, v_j per column, and p for the dummy. The invariant kept throughout is
 * complementary slackness (CS):
 *   x_ij = 1  ⇒  a_ij − u_i − v_j ≥ 0,      x_ij = 0  ⇒  a_ij − u_i − v_j ≤ 0,
 * and under 'atMost' also u_i ≥ p and v_j ≥ −p, with equality where a row leaves capacity to the
 * dummy or a column is short. At the end every node is balanced, so (u − p, v + p) is an optimal LP
 * dual: the certificate of src/reference/dualBound.ts then equals the objective.
 *
 * Steps per tile:
 *  1. Warm start: u = 0; every column keeps its top N (ties: lower row), v_j = its N-th largest.
 *     Columns are balanced, the invariant holds, only rows are off.
 *  2. Fix passes: every row that is off re-selects its top N reduced scores a_ij − v_j and sets u_i to
 *     the N-th largest; then every column that is off does the same with a_ij − u_i. Each pass keeps
 *     the invariant; the last pass is a column pass, so again only rows are off.
 *  3. Shortest augmenting paths on reduced costs (all ≥ 0 by CS): a dense Dijkstra from every node
 *     with excess at once (under-full rows) to the nearest node with a deficit (an over-full row); the
 *     path moves one unit, and the settled nodes' duals move by their distance minus the target's
 *     (Jonker–Volgenant), which keeps CS. Repeat until every node is balanced.
 *
 * Fill 'atMost' (a max-weight b-matching) runs the same steps with the dummy node:
 *  - duals have floors (u_i ≥ p, v_j ≥ −p); a line whose N-th largest reduced score is below its floor
 *    keeps only the reduced scores above the floor and its dual sits at the floor. p is fixed at the
 *    warm start so that the passes behave as under 'exact' wherever a line has N scores worth keeping;
 *  - a short line is off only while its dual is above its floor; a short row at its floor is balanced
 *    by sending its unused units to the dummy, so the dummy too can hold excess or a deficit;
 *  - step 3 also uses the dummy's arcs: row → dummy (leave a unit unused, cost u_i − p), dummy → row
 *    (use a unit left unused, p − u_i), dummy → column (drop one of the column's units, p + v_j) and
 *    short column → dummy (fill it by one, −v_j − p).
 * The final duals (u − p, v + p) are ≥ 0, so every kept entry has a_ij ≥ u_i + v_j ≥ 0; units of
 * score exactly 0 (which ties can leave) gain nothing and are dropped from the mask.
 */
import { nthLargest, selectTopN } from './topN.js';
import type { Fill, ExactSolution, TileBatch } from '../core/types.js';

/**
 * Rounds of (row pass, column pass) after the warm start. Measured on 1024² |Gaussian|: paths per tile
 * for 2:4 / 4:8 / 8:16 / 16:32 are 1.5 / 4.4 / 12.6 / 35.8 with no pass, 0.53 / 1.45 / 3.35 / 7.4 with
 * two rounds; a third round saves little.
 */
const FIX_ROUNDS = 2;

/** Counters of one solver's work, for measurement. */
export interface ExactStats {
  tiles: number;
  /** Augmenting paths (units moved by step 3). */
  augmentations: number;
}

/**
 * Solves one M×M tile at a time; holds the scratch arrays so a batch allocates them once.
 * Dijkstra node ids: row i is i, column j is m + j, the dummy is 2m.
 */
export class ExactTileSolver {
  readonly stats: ExactStats = { tiles: 0, augmentations: 0 };
  /** Scores in f64, row-major. */
  private readonly a: Float64Array;
  /** The mask, row-major. */
  private readonly x: Uint8Array;
  private readonly u: Float64Array;
  private readonly v: Float64Array;
  /** Dummy potential ('atMost' only). */
  private p = 0;
  private readonly rowCount: Int32Array;
  private readonly colCount: Int32Array;
  /** 'atMost': units of row i's supply left unused (sent to the dummy). */
  private readonly rowToDummy: Int32Array;
  private readonly line: Float64Array;
  private readonly sorted: Float64Array;
  private readonly keep: Uint8Array;
  private readonly dist: Float64Array;
  private readonly pred: Int32Array;
  private readonly settled: Uint8Array;
  private readonly atMost: boolean;
  private readonly dummy: number;

  constructor(
    private readonly m: number,
    private readonly n: number,
    fill: Fill,
  ) {
    this.atMost = fill === 'atMost';
    this.dummy = 2 * m;
    this.a = new Float64Array(m * m);
    this.x = new Uint8Array(m * m);
    this.u = new Float64Array(m);
    this.v = new Float64Array(m);
    this.rowCount = new Int32Array(m);
    this.colCount = new Int32Array(m);
    this.rowToDummy = new Int32Array(m);
    this.line = new Float64Array(m);
    this.sorted = new Float64Array(m);
    this.keep = new Uint8Array(m);
    this.dist = new Float64Array(2 * m + 1);
    this.pred = new Int32Array(2 * m + 1);
    this.settled = new Uint8Array(2 * m + 1);
  }

  /** Solves tile `tile` of `tiles` and writes its mask and duals into `out`. */
  solve(tiles: Float32Array, tile: number, out: ExactSolution): void {
    const { m, a } = this;
    for (let k = 0; k < m * m; k++) a[k] = tiles[tile * m * m + k];
    this.warmStart();
    for (let round = 0; round < FIX_ROUNDS; round++) {
      this.fixRows();
      this.fixColumns();
    }
    this.augmentUntilBalanced();
    this.write(tile, out);
    this.stats.tiles++;
  }

  // ---- step 1 and 2: selections that keep CS --------------------------------------------------

  /**
   * Step 1: u = 0, every column keeps its top N. Under 'atMost' the dummy potential p is chosen here:
   * p = −max(0, smallest column N-th largest), so u = 0 ≥ p and v ≥ −p hold, rows start with room
   * below (passes act as under 'exact' unless a line really lacks positive reduced scores), and a
   * column with fewer than N positive scores keeps just those, at v_j = −p = 0.
   */
  private warmStart(): void {
    const { m, a, line } = this;
    this.u.fill(0);
    this.rowCount.fill(0);
    this.colCount.fill(0);
    this.x.fill(0);
    this.p = 0;
    if (this.atMost) {
      let smallest = Infinity;
      for (let j = 0; j < m; j++) {
        for (let i = 0; i < m; i++) line[i] = a[i * m + j];
        smallest = Math.min(smallest, nthLargest(line, this.n, this.sorted));
      }
      this.p = -Math.max(0, smallest);
    }
    for (let j = 0; j < m; j++) this.selectColumn(j);
  }

  /** Lower bounds of the duals: u_i ≥ p and v_j ≥ −p under 'atMost'; none under 'exact'. */
  private rowFloor(): number {
    return this.atMost ? this.p : -Infinity;
  }

  private columnFloor(): number {
    return this.atMost ? -this.p : -Infinity;
  }

  /** A line is off when it holds more than N, or fewer than N while its dual is above its floor. */
  private isOff(count: number, dual: number, floor: number): boolean {
    return count > this.n || (count < this.n && dual > floor);
  }

  /** Step 2, rows: every row that is off re-selects. */
  private fixRows(): void {
    for (let i = 0; i < this.m; i++) {
      if (this.isOff(this.rowCount[i], this.u[i], this.rowFloor())) this.selectRow(i);
    }
  }

  /** Step 2, columns: every column that is off re-selects. */
  private fixColumns(): void {
    for (let j = 0; j < this.m; j++) {
      if (this.isOff(this.colCount[j], this.v[j], this.columnFloor())) this.selectColumn(j);
    }
  }

  /** Row i keeps its top N reduced scores a_ij − v_j; u_i becomes the N-th largest (at least its floor). */
  private selectRow(i: number): void {
    const { m, a, v, line, keep } = this;
    for (let j = 0; j < m; j++) line[j] = (a[i * m + j]) - (v[j]);
    this.u[i] = selectTopN(line, this.n, this.rowFloor(), keep, this.sorted);
    for (let j = 0; j < m; j++) this.setEntry(i, j, keep[j]);
  }

  /** Column j keeps its top N reduced scores a_ij − u_i; v_j becomes the N-th largest (at least its floor). */
  private selectColumn(j: number): void {
    const { m, a, u, line, keep } = this;
    for (let i = 0; i < m; i++) line[i] = (a[i * m + j]) - (u[i]);
    this.v[j] = selectTopN(line, this.n, this.columnFloor(), keep, this.sorted);
    for (let i = 0; i < m; i++) this.setEntry(i, j, keep[i]);
  }

  private setEntry(i: number, j: number, value: number): void {
    const k = i * this.m + j;
    const change = value - (this.x[k]);
    if (change === 0) return;
    this.x[k] = value;
    this.rowCount[i] += change;
    this.colCount[j] += change;
  }

  // ---- step 3: shortest augmenting paths --------------------------------------------------------

  /** Units a row still has to send (> 0: excess, < 0: deficit). */
  private rowExcess(i: number): number {
    return this.n - (this.rowCount[i]) - (this.rowToDummy[i]);
  }

  /** Units the dummy has received from rows beyond what it feeds to short columns. */
  private dummyExcess(): number {
    if (!this.atMost) return 0;
    let excess = 0;
    for (let k = 0; k < this.m; k++) excess += (this.rowToDummy[k]) - (this.n - (this.colCount[k]));
    return excess;
  }

  private excessOf(node: number): number {
    if (node < this.m) return this.rowExcess(node);
    return node === this.dummy ? this.dummyExcess() : 0;
  }

  private augmentUntilBalanced(): void {
    const { m, n } = this;
    // Under 'atMost' a short row whose dual is at its floor p is balanced: its unused units go to the dummy.
    for (let i = 0; i < m; i++) {
      const count = this.rowCount[i];
      this.rowToDummy[i] = this.atMost && count < n && this.u[i] === this.p ? n - count : 0;
    }
    let units = this.atMost ? Math.max(0, this.dummyExcess()) : 0;
    for (let i = 0; i < m; i++) units += Math.max(0, this.rowExcess(i));
    for (; units > 0; units--) {
      const target = this.shortestPath();
      this.applyPath(target);
      this.stats.augmentations++;
    }
  }

  /**
   * Dijkstra on reduced costs from every node with excess (at distance 0) until the first node with a
   * deficit is settled; then the duals of the settled nodes move by (distance − target's distance).
   * Returns the target; `pred` holds the path.
   */
  private shortestPath(): number {
    const { dist, pred, settled } = this;
    const nodes = this.atMost ? 2 * this.m + 1 : 2 * this.m;
    dist.fill(Infinity);
    pred.fill(-1);
    settled.fill(0);
    for (let k = 0; k < nodes; k++) if (this.excessOf(k) > 0) dist[k] = 0;
    for (;;) {
      // The unsettled node nearest to the sources (ties: lowest id).
      let best = -1;
      for (let k = 0; k < nodes; k++) {
        if (!settled[k] && (dist[k]) < Infinity && (best < 0 || (dist[k]) < (dist[best]))) {
          best = k;
        }
      }
      if (best < 0) throw new Error('exact solver: no augmenting path (internal error)');
      const d = dist[best];
      if (this.excessOf(best) < 0) {
        this.updateDuals(d, nodes);
        return best;
      }
      settled[best] = 1;
      this.relaxFrom(best, d);
    }
  }

  /** Relaxes every residual arc out of a settled node, with reduced costs (≥ 0 by CS). */
  private relaxFrom(node: number, d: number): void {
    const { m, a, x, u, v, p } = this;
    if (node < m) {
      // Row i → column j where x_ij = 0 (add the unit): cost u_i + v_j − a_ij.
      const i = node;
      for (let j = 0; j < m; j++) if (!x[i * m + j]) this.relax(i, m + j, d + (u[i]) + (v[j]) - (a[i * m + j]));
      // Row i → dummy (leave one more unit unused): cost u_i − p.
      if (this.atMost) this.relax(i, this.dummy, d + (u[i]) - p);
    } else if (node < this.dummy) {
      // Column j → row i where x_ij = 1 (take the unit back): cost a_ij − u_i − v_j.
      const j = node - m;
      for (let i = 0; i < m; i++) if (x[i * m + j]) this.relax(node, i, d + (a[i * m + j]) - (u[i]) - (v[j]));
      // Column j → dummy, when the column is short (it receives one more real unit): cost −v_j − p.
      if (this.atMost && (this.colCount[j]) < this.n) this.relax(node, this.dummy, d - (v[j]) - p);
    } else {
      // Dummy → column j (the column gives up a real unit): cost p + v_j.
      for (let j = 0; j < m; j++) this.relax(node, m + j, d + p + (v[j]));
      // Dummy → row i, when the row has unused units (it sends one more): cost p − u_i.
      for (let i = 0; i < m; i++) if ((this.rowToDummy[i]) > 0) this.relax(node, i, d + p - (u[i]));
    }
  }

  private relax(from: number, to: number, distance: number): void {
    if (!this.settled[to] && distance < (this.dist[to])) {
      this.dist[to] = distance;
      this.pred[to] = from;
    }
  }

  /** Jonker–Volgenant: settled nodes move by (distance − target distance); that keeps all reduced costs ≥ 0. */
  private updateDuals(targetDistance: number, nodes: number): void {
    const { m } = this;
    for (let k = 0; k < nodes; k++) {
      if (!this.settled[k]) continue;
      const shift = (this.dist[k]) - targetDistance;
      if (k < m) this.u[k] += shift;
      else if (k < this.dummy) this.v[k - m] -= shift;
      else this.p += shift;
    }
  }

  /** Moves one unit along the path that ends at `target`. */
  private applyPath(target: number): void {
    const { m } = this;
    for (let to = target; this.pred[to] >= 0; to = this.pred[to]) {
      const from = this.pred[to];
      if (from < m && to >= m && to < this.dummy) this.setEntry(from, to - m, 1);
      else if (from >= m && from < this.dummy && to < m) this.setEntry(to, from - m, 0);
      else if (to === this.dummy && from < m) this.rowToDummy[from]++;
      else if (from === this.dummy && to < m) this.rowToDummy[to]--;
      // Dummy ↔ column arcs change no stored state: a column's shortfall is N minus its count.
    }
  }

  // ---- output ----------------------------------------------------------------------------------

  private write(tile: number, out: ExactSolution): void {
    const { m, a, x } = this;
    for (let k = 0; k < m; k++) {
      // Under 'atMost' the dual is (u − p, v + p); both are ≥ 0 up to rounding, clamped exactly.
      out.u[tile * m + k] = this.atMost ? Math.max(0, (this.u[k]) - this.p) : (this.u[k]);
      out.v[tile * m + k] = this.atMost ? Math.max(0, (this.v[k]) + this.p) : (this.v[k]);
    }
    for (let k = 0; k < m * m; k++) {
      out.mask[tile * m * m + k] = x[k] && !(this.atMost && (a[k]) <= 0) ? 1 : 0;
    }
  }
}

/** Solves tiles [start, end) of the batch into `out` (masks row-major per tile, duals per tile row/column). */
export function exactTiles(batch: TileBatch, n: number, fill: Fill, start: number, end: number, out: ExactSolution): void {
  const solver = new ExactTileSolver(batch.m, n, fill);
  for (let t = start; t < end; t++) solver.solve(batch.tiles, t, out);
}
