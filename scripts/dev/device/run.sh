#!/usr/bin/env bash
# One prepared call on a lent GPU machine (the `device` tool), from the repository root there, after
# payload.sh filled .device/ here (carry .device). Unpacks node, dawn.node, the Vulkan loader and
# Fashion-MNIST, then in order, each stage under its own time limit and all of them under the budget:
#   1. fluctus bench (kernels at --size medium, training steps at Fashion-MNIST size) against PyTorch-CUDA;
#   2. a Fashion-MNIST classifier (for classifier FD) and a class-conditional U-Net 32/64 trained for the
#      time left to it (--max-minutes), checkpoints written as it goes;
#   3. experiments on that model: quality (FD against the training split's) and zero-shot;
#   4. the Fashion-MNIST merger analysis (bench analyze --size large) if time is left.
# Everything lands in $OUT: log.txt, the bench JSON, the two checkpoints and results.tar.gz.
#   bash scripts/dev/device/run.sh [budget-seconds]      (SMOKE=1: tiny sizes, for a check here)
set -u
T0=$(date +%s)
BUDGET=${1:-560}
OUT=${OUT:-/tmp/device-out}
W=/tmp/fluctus-device
mkdir -p "$OUT" "$W"
exec > >(tee -a "$OUT/log.txt") 2>&1
left() { echo $((BUDGET - ($(date +%s) - T0))); }
stage() { echo; echo "=== $1 ($(left) s left) $(date -u +%T)"; }
# Runs "$@" under `timeout` of min(want, left - reserve) seconds; skipped when under 20 s remain.
limited() {
  local want=$1 reserve=$2; shift 2
  local t=$(($(left) - reserve)); [ "$t" -gt "$want" ] && t=$want
  if [ "$t" -lt 20 ]; then echo "skipped (only $t s left)"; return 1; fi
  timeout --signal=INT --kill-after=10 "$t" "$@"; local rc=$?; echo "[rc $rc]"; return $rc
}

stage setup
if [ "${SMOKE:-0}" != 1 ]; then
  for f in .device/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  mkdir -p /tmp/nodebin
  xz -dc .device/node.xz > /tmp/nodebin/node && chmod +x /tmp/nodebin/node
  export PATH=/tmp/nodebin:$PATH
  mkdir -p .device/node_modules/webgpu/dist/linux-x64
  xz -dc .device/dawn.node.xz > .device/node_modules/webgpu/dist/linux-x64/dawn.node &
  mkdir -p /usr/share/datasets/fashion-mnist
  for f in .device/data/*.xz; do
    (xz -dc "$f" | gzip -1 > "/usr/share/datasets/fashion-mnist/$(basename "$f" .xz).gz") &
  done
  wait
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv
fi
export FLUCTUS_PYTHON=${FLUCTUS_PYTHON:-python3} XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
F=(node .device/cli/fluctus.mjs)
node --version
cat .device/commit.txt 2>/dev/null || true
if ! timeout 60 "${F[@]}" noise > "$W/noise.txt" 2>&1 || ! grep -qi nvidia "$W/noise.txt"; then
  [ "${SMOKE:-0}" = 1 ] || export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
timeout 60 "${F[@]}" noise 2>&1 | tail -4

if [ "${SMOKE:-0}" = 1 ]; then
  KSIZE=small; TSTEPS=2; CLS=(--max-steps 4); UNET=(--max-steps 3 --sample-steps 4); Q=(--samples 20 --seeds 2 --sampler-steps 5)
  ZS=(--test-per-class 2 --steps 4 --noises 1); TRAIN_CASES=unet16-digits
else
  KSIZE=medium; TSTEPS=20; CLS=(--epochs 4 --max-minutes 0.6); UNET=(--epochs 400 --batch 256 --sample-steps 250); Q=(--samples 1000 --seeds 2)
  ZS=(--test-per-class 100 --steps 100 --noises 1); TRAIN_CASES=mlp-fashion,unet16-fashion,unet-fashion
fi
M="$W/models"; mkdir -p "$M"

stage "bench kernels ($KSIZE) vs PyTorch-CUDA"
limited 60 420 "${F[@]}" bench noise syrk moments eigh empirical metrics --size "$KSIZE" --peer cuda --out "$OUT/bench-kernels.json"
stage "bench training steps vs PyTorch-CUDA"
limited 60 380 "${F[@]}" bench train --cases "$TRAIN_CASES" --batch 128 --steps "$TSTEPS" --reps 3 --peer cuda --out "$OUT/bench-train.json"

stage "classifier"
limited 50 330 "${F[@]}" train --model classifier --data fashion-mnist "${CLS[@]}" --seed 0 --out "$M/classifier-fashion.safetensors"
stage "U-Net 32/64, class-conditional"
# Minutes of training: what is left less the evaluation and packing that follow (about 170 s).
MIN=$(awk -v s="$(left)" 'BEGIN { m = (s - 200) / 60; print (m < 0.5 ? 0.5 : m) }')
echo "training for $MIN minutes"
limited 600 120 "${F[@]}" train --model unet-small --channels 32,64 --data fashion-mnist "${UNET[@]}" --seed 0 \
  --max-minutes "$MIN" --out "$M/unet-fashion.safetensors"
cp "$M"/*.safetensors "$OUT/" 2>/dev/null

stage "experiment quality"
limited 100 50 "${F[@]}" experiment quality --data fashion-mnist --model "$M/unet-fashion.safetensors" \
  --classifier "$M/classifier-fashion.safetensors" "${Q[@]}" --out "$W/results/quality-fashion-unet"
stage "experiment zero-shot"
limited 90 25 "${F[@]}" experiment zero-shot --data fashion-mnist --model "$M/unet-fashion.safetensors" \
  "${ZS[@]}" --out "$W/results/zero-shot-fashion-unet"
stage "bench analyze (fashion-mnist)"
limited 120 15 "${F[@]}" bench analyze --size large --seeds 0 --peer-seeds 0 --out "$OUT/bench-analyze.json"

stage pack
cp "$M"/*.html "$M"/*.png "$W/results/" 2>/dev/null
tar -C "$W" --exclude="*.safetensors" -czf "$OUT/results.tar.gz" results models
ls -la "$OUT"
echo "done in $(($(date +%s) - T0)) s"
