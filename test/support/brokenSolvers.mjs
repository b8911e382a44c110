// Deliberately broken transposable N:M mask solvers, and one correct one, for the audit tests. Plain
// JavaScript so that the same functions run in-process (nmsparse/testing) and as external commands
// (a script written by the test imports this file and calls `runAsCommand`). Each solver takes
// row-major f32 scores and returns a row-major 0/1 Uint8Array mask.

/** Every way to keep exactly n of the m entries of a row, as bit sets. */
function rowChoices(n, m) {
  const out = [];
  for (let bits = 0; bits < 1 << m; bits++) {
    let count = 0;
    for (let j = 0; j < m; j++) count += (bits >> j) & 1;
    if (count === n) out.push(bits);
  }
  return out;
}

/** The best exact-fill mask of one m×m tile by enumeration (small m only); ties: first found. */
function bruteForceTile(tile, n, m) {
  const choices = rowChoices(n, m);
  let best = -Infinity;
  let bestRows = [];
  const rows = new Array(m).fill(0);
  const colCount = new Array(m).fill(0);
  const visit = (i, sum) => {
    if (i === m) {
      if (colCount.every((c) => c === n) && sum > best) {
        best = sum;
        bestRows = rows.slice();
      }
      return;
    }
    for (const bits of choices) {
      let s = sum;
      let ok = true;
      for (let j = 0; j < m; j++) {
        if ((bits >> j) & 1) {
          s += tile[i * m + j];
          if (++colCount[j] > n) ok = false;
        }
      }
      rows[i] = bits;
      if (ok) visit(i + 1, s);
      for (let j = 0; j < m; j++) if ((bits >> j) & 1) colCount[j]--;
    }
  };
  visit(0, 0);
  const mask = new Uint8Array(m * m);
  bestRows.forEach((bits, i) => {
    for (let j = 0; j < m; j++) mask[i * m + j] = (bits >> j) & 1;
  });
  return mask;
}

/** Greedy by descending score while the row and the column have room, without any repair. */
function greedyTile(tile, n, m) {
  const order = [...tile.keys()].sort((a, b) => tile[b] - tile[a] || a - b);
  const rowCount = new Array(m).fill(0);
  const colCount = new Array(m).fill(0);
  const mask = new Uint8Array(m * m);
  for (const k of order) {
    const i = Math.floor(k / m);
    const j = k % m;
    if (rowCount[i] < n && colCount[j] < n) {
      mask[k] = 1;
      rowCount[i]++;
      colCount[j]++;
    }
  }
  return mask;
}

/** Optimal, but turns the chosen entries into "keep every value that was chosen": ties keep too many. */
function tiesByValueTile(tile, n, m) {
  const best = bruteForceTile(tile, n, m);
  const kept = new Set([...tile].filter((_, k) => best[k] === 1));
  return Uint8Array.from(tile, (x) => (kept.has(x) ? 1 : 0));
}

/** Optimal after normalising by the tile maximum, and it throws when a value is 0. */
function zeroCrashTile(tile, n, m) {
  const max = Math.max(...tile);
  for (const x of tile) if (x / max === 0 || !Number.isFinite(x / max)) throw new Error('cannot normalise a zero score');
  return bruteForceTile(tile, n, m);
}

/** Applies a tile solver to every m×m tile; `skipLastTileColumn` is the off-by-one loop bound. */
function byTiles(solveTile, skipLastTileColumn = false) {
  return (data, rows, cols, n, m) => {
    const mask = new Uint8Array(rows * cols);
    const tileCols = cols / m - (skipLastTileColumn ? 1 : 0);
    for (let tr = 0; tr < rows / m; tr++) {
      for (let tc = 0; tc < tileCols; tc++) {
        const tile = new Float32Array(m * m);
        for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) tile[i * m + j] = data[(tr * m + i) * cols + tc * m + j];
        const t = solveTile(tile, n, m);
        for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) mask[(tr * m + i) * cols + tc * m + j] = t[i * m + j];
      }
    }
    return mask;
  };
}

/** A standard N:M mask that keeps the top N of every group but the last of each row, where it keeps the first N. */
function standardLastGroupFirstN(data, rows, cols, n, m) {
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c += m) {
      const group = [...Array(m).keys()].map((j) => r * cols + c + j);
      if (c + m < cols) group.sort((a, b) => data[b] - data[a] || a - b);
      for (const k of group.slice(0, n)) mask[k] = 1;
    }
  }
  return mask;
}

export const solvers = {
  standardLastGroupFirstN,
  exact: byTiles(bruteForceTile),
  greedyNoRepair: byTiles(greedyTile),
  offByOneTile: byTiles(bruteForceTile, true),
  tiesByValue: byTiles(tiesByValueTile),
  crashOnZero: byTiles(zeroCrashTile),
};

/** Reads a little-endian f32 2-D .npy file (the audit writes only those). */
function readNpyF32(bytes) {
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  const [rows, cols] = /'shape': \((\d+), (\d+)\)/.exec(header).slice(1).map(Number);
  const start = 10 + headerLength;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + rows * cols * 4));
  return { rows, cols, data };
}

function encodeNpyU8(mask, rows, cols) {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const header = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 11, ' ') + '\n';
  const out = Buffer.alloc(10 + header.length + mask.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(mask).copy(out, 10 + header.length);
  return out;
}

/** The command-line shape the audit calls: SOLVER IN.npy OUT.npy N M. */
export async function runAsCommand(argv) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const [name, input, output, n, m] = argv;
  const x = readNpyF32(readFileSync(input));
  const mask = solvers[name](x.data, x.rows, x.cols, Number(n), Number(m));
  writeFileSync(output, encodeNpyU8(mask, x.rows, x.cols));
}
