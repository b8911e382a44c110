"""SparseGPT (Frantar & Alistarh 2023, Algorithm 1) in PyTorch on the CPU, written from the paper and
its reference implementation's `fasterprune`: H = XᵀX, dead inputs fixed, 1% dampening, upper Cholesky
of H⁻¹, OBS column sweep in blocks of 128 with lazy batched updates, N:M masks chosen every M columns
from w²/[H⁻¹]_jj². The comparison point for nmsparse's pruneLayer(method 'sparsegpt') in
bench/prune-layers.ts.

usage: python3 bench/sparsegpt_torch.py W.npy X.npy N M OUT.npy [threads]   (X: samples × in)
prints {"seconds": s, ...} as JSON; seconds cover the pruning (H = XᵀX included), not the file I/O.
"""
import json
import sys
import time

import numpy as np
import torch


def sparsegpt(w: torch.Tensor, x: torch.Tensor, n: int, m: int, blocksize: int = 128, percdamp: float = 0.01) -> torch.Tensor:
    w = w.clone()
    rows, columns = w.shape
    h = x.t() @ x
    dead = torch.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    damp = percdamp * torch.mean(torch.diag(h))
    diag = torch.arange(columns)
    h[diag, diag] += damp
    h = torch.linalg.cholesky(h)
    h = torch.cholesky_inverse(h)
    hinv = torch.linalg.cholesky(h, upper=True)
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        w1 = w[:, i1:i2].clone()
        q1 = torch.zeros_like(w1)
        err1 = torch.zeros_like(w1)
        hinv1 = hinv[i1:i2, i1:i2]
        mask1 = torch.zeros_like(w1, dtype=torch.bool)
        for i in range(count):
            col = w1[:, i]
            d = hinv1[i, i]
            if i % m == 0:
                tmp = w1[:, i:(i + m)] ** 2 / (torch.diag(hinv1)[i:(i + m)].reshape((1, -1))) ** 2
                mask1.scatter_(1, i + torch.topk(tmp, m - n, dim=1, largest=False)[1], True)
            q = col.clone()
            q[mask1[:, i]] = 0
            q1[:, i] = q
            err = (col - q) / d
            w1[:, i:] -= err.unsqueeze(1).matmul(hinv1[i, i:].unsqueeze(0))
            err1[:, i] = err
        w[:, i1:i2] = q1
        w[:, i2:] -= err1.matmul(hinv[i1:i2, i2:])
    return w


def main() -> None:
    w_path, x_path, n, m, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    torch.set_num_threads(threads)
    w = torch.from_numpy(np.load(w_path)).float()
    x = torch.from_numpy(np.load(x_path)).float()
    start = time.perf_counter()
    pruned = sparsegpt(w, x, n, m)
    seconds = time.perf_counter() - start
    np.save(out_path, pruned.numpy())
    print(json.dumps({"seconds": seconds, "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
