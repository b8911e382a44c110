"""numpy f32 GEMM rate (GFLOP/s) per matrix side, best of 3: the yardstick for bench/prune-layers.ts.
usage: OPENBLAS_NUM_THREADS=2 python3 bench/gemm_numpy.py 1024 2048 4096   → {"1024": rate, ...}"""
import json
import sys
import time

import numpy as np

rates = {}
for size in map(int, sys.argv[1:]):
    rng = np.random.default_rng(size)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    rates[str(size)] = 2 * size**3 / best / 1e9
print(json.dumps({"numpy": np.__version__, "rates": rates}))
