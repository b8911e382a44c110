"""An exact transposable 2:4 mask solver in NumPy, written to be audited by `nmsparse audit`.

Usage: python3 transposable24.py SCORES.npy MASK.npy

Every 4x4 tile keeps exactly 2 entries in each row and each column. There are only 90 such tile masks,
so the solver scores all of them for every tile at once and keeps the best (ties: the first one).
The scores are used as they are (signed), as nmsparse audit expects.
"""
import itertools
import sys

import numpy as np


def tile_masks():
    rows = [r for r in itertools.product((0, 1), repeat=4) if sum(r) == 2]
    masks = [np.array(t) for t in itertools.product(rows, repeat=4)]
    return np.stack([t.ravel() for t in masks if (t.sum(axis=0) == 2).all()])  # (90, 16)


def transposable_24(scores):
    r, c = scores.shape
    tiles = scores.reshape(r // 4, 4, c // 4, 4).transpose(0, 2, 1, 3).reshape(-1, 16)
    masks = tile_masks()
    best = np.argmax(tiles.astype(np.float64) @ masks.T, axis=1)
    chosen = masks[best].reshape(r // 4, c // 4, 4, 4).transpose(0, 2, 1, 3)
    return chosen.reshape(r, c).astype(np.uint8)


if __name__ == "__main__":
    source, target = sys.argv[1], sys.argv[2]
    np.save(target, transposable_24(np.load(source)))
