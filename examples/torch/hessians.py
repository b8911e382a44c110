#!/usr/bin/env python3
"""Calibration Hessians for `nmsparse prune MODEL.safetensors --hessians H.safetensors` (docs/pruning.md).

The naming rule: the Hessian of the weight tensor NAME (out x in) is stored under NAME itself. A forward
hook on the nn.Linear module `model.layers.0.mlp.up_proj` adds X^T X of the inputs it sees to the tensor
`model.layers.0.mlp.up_proj.weight`, where X is tokens x in (every leading dimension flattened). H is that
sum over all calibration tokens, accumulated in float64 and written as float32; nmsparse reads F32 and
F64, and since every method is invariant to a positive factor on H, the mean would prune the same.

Needs PyTorch and NumPy only: the safetensors file is written by hand (an 8-byte little-endian header
length, the JSON header padded with spaces to a multiple of 8, then the raw little-endian tensors), so
the `safetensors` package is not needed.

Use it on your model:

    from hessians import collect_hessians, save_safetensors
    hessians = collect_hessians(model, calibration_batches)   # each batch is what model(batch) takes
    save_safetensors("hessians.safetensors", {k: v.float() for k, v in hessians.items()})

Each nn.Linear costs one in x in float64 matrix while collecting; for a large model collect a few layers
at a time with `include` (a regular expression on module names) and write one file per pass: a
`.safetensors.index.json` over those files (as Hugging Face writes for sharded models) is read as one.

Run as a script it shows the whole path on a small random MLP: it writes DIR/model.safetensors and
DIR/hessians.safetensors (DIR is the first argument, default the current folder), then

    nmsparse prune DIR/model.safetensors --hessians DIR/hessians.safetensors --n 2 --m 4 -o pruned.safetensors
"""
import json
import os
import re
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64"}


def collect_hessians(model, batches, include=None):
    """Runs every batch through the model with a hook on each nn.Linear whose name matches `include`
    (all when None) and returns {weight name: sum of X^T X over the tokens it saw (float64)}."""
    sums = {}
    hooks = []
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear) or (include is not None and not re.search(include, name)):
            continue
        key = f"{name}.weight" if name else "weight"

        def hook(_module, inputs, _output, key=key):
            x = inputs[0].detach().reshape(-1, inputs[0].shape[-1]).to(torch.float64)
            h = x.T @ x
            sums[key] = h if key not in sums else sums[key] + h

        hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            for batch in batches:
                model(batch)
    finally:
        for handle in hooks:
            handle.remove()
    return sums


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} as a safetensors file (F32, F64, F16 or I64 tensors)."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        if tensor.dtype not in DTYPES:
            raise ValueError(f"{name}: dtype {tensor.dtype} is not one of {list(DTYPES)}")
        array = np.ascontiguousarray(tensor.detach().cpu().numpy())
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()  # safetensors is little-endian
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    batches = [torch.randn(4, 16, 64) for _ in range(8)]  # 8 batches of 4 sequences of 16 tokens
    hessians = collect_hessians(model, batches)
    save_safetensors(os.path.join(folder, "model.safetensors"), model.state_dict())
    save_safetensors(os.path.join(folder, "hessians.safetensors"), {k: v.float() for k, v in hessians.items()})
    for name, h in hessians.items():
        print(f"{name}: H {tuple(h.shape)} from {len(batches) * 4 * 16} tokens")


if __name__ == "__main__":
    main()
