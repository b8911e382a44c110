#!/usr/bin/env bash
# Installs the software GPU that the gpu backend's tests run on in CI: Mesa's EGL + GLES driver
# (llvmpipe), which the `webgpu` npm package (Dawn) drives headless with EGL_PLATFORM=surfaceless,
# backend=opengles and a compatibility adapter (src/backends/gpu/runtime.ts sets both itself).
# Debian packages only; apt-get runs only when one of them is missing. Never fails the build:
# without these packages the gpu tests are reported as skipped, with the reason.
#   scripts/ci-gpu-deps.sh [--browser]   --browser also installs Chromium (about 350 MB) for
#                                        test/gpu-browser.test.ts (WebGPU on SwiftShader)
set -u
PACKAGES=(libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)
[ "${1:-}" = "--browser" ] && PACKAGES+=(chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "ci-gpu-deps: software GPU packages present (${PACKAGES[*]})"
  exit 0
fi
echo "ci-gpu-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
  echo "ci-gpu-deps: could not install ${missing[*]}; the gpu tests will be skipped" >&2
fi
exit 0
