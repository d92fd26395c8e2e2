#!/usr/bin/env bash
# The GPU machine's side of scripts/device/pack.sh: unpacks fer-gpu.tar.xz (beside this script) into a
# temporary folder and runs the measurement once, printing Markdown tables; no Node.js or network needed.
#   bash run.sh [--small] [--device webgpu|cuda] [--seconds 4]
# The Vulkan loader comes with the pack; the driver's ICD (NVIDIA's, /usr/share/vulkan/icd.d) is the machine's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
xz -dc "$here/fer-gpu.tar.xz" | tar -C "$work" -xf -
fer=$work/fer
export LD_LIBRARY_PATH="$fer/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export FFMPEG_PATH="$fer/bin/ffmpeg" FFPROBE_PATH="$fer/bin/ffprobe"
export FER_STREAM_MODEL_DIR="$fer/app/.cache/models"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"
cd "$fer/app"
exec "$fer/bin/node" dist/scripts/device/deviceBench.js "$@"
