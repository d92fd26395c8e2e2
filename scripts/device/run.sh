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
# No ffprobe travels: the video's facts come probed (video-info.json); fer-stream only wants the path to exist.
# The models part has no ffmpeg at all and never decodes.
export FFMPEG_PATH="$fer/bin/ffmpeg" FFPROBE_PATH=/bin/false
export FER_STREAM_MODEL_DIR="$fer/app/.cache/models"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"
# The working tree this script came with (it lies in <repo>/.cache/device/<part>) holds the package's own files.
repo=$here
until [ -f "$repo/package.json" ] || [ "$repo" = / ]; do repo=$(dirname "$repo"); done
for f in package.json tsconfig.json config models schema samples; do ln -s "$repo/$f" "$fer/app/$f"; done
cd "$fer/app"
exec "$fer/bin/node" dist/scripts/device/deviceBench.js --part "$(cat "$fer/part")" --video-info video-info.json "$@"
