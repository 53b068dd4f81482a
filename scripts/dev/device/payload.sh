#!/usr/bin/env bash
# Fills .device/ (ignored through .git/info/exclude) with what a lent GPU machine lacks, within the device
# tool's 64 MiB: the CLI bundle (bundle.ts), node and dawn.node xz-compressed, the Vulkan loader and GLVND
# packages, and Fashion-MNIST (xz). run.sh, on the device, unpacks them.
#   bash scripts/dev/device/payload.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
mkdir -p .device/debs .device/data .device/node_modules/webgpu
npx tsx scripts/dev/device/bundle.ts
git log -1 --format="commit %H %s" > .device/commit.txt; git status --short >> .device/commit.txt
[ -s .device/node.xz ] || xz -T0 -9e -c "$(command -v node)" > .device/node.xz
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .device/node_modules/webgpu/
[ -s .device/dawn.node.xz ] || xz -T0 -9e -c node_modules/webgpu/dist/linux-x64/dawn.node > .device/dawn.node.xz
if ! ls .device/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq
  (cd .device/debs && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
fm=/usr/share/datasets/fashion-mnist
for f in train-images-idx3-ubyte t10k-images-idx3-ubyte train-labels-idx1-ubyte t10k-labels-idx1-ubyte; do
  [ -s .device/data/$f.xz ] || zcat $fm/$f.gz | xz -T0 -9e -c > .device/data/$f.xz
done
du -sh .device; du -sb .device | awk '{ printf "payload %.1f MiB\n", $1 / 1048576 }'
