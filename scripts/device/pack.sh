#!/usr/bin/env bash
# Packs what the lent GPU machine needs for one run of the GPU measurement (scripts/device/deviceBench.ts):
# that machine has an NVIDIA driver but no Node.js and no network, and at most 64 MiB travel to it. The pack
# holds this machine's node binary, the built JS, the runtime npm packages the measurement loads
# (onnxruntime-node's linux-x64 binding only), the built ONNX graphs the part loads in a sealed model directory
# (no TF.js weight packages then; never the 22 MB face describer), and Debian's Vulkan loader (libvulkan1);
# xz -9e. It travels beside the working tree (about 8 MB), 64 MiB in all; everything at once would be about
# 67 MiB with it, so the measurement comes in two parts, one device run each.
#   models: both ensembles (default; accurate = trunk + OpenCV Zoo features + heads) at every batch, the detector
#   video:  the default ensemble and the detector end to end on 1/4/16 videos, parity; adds the static ffmpeg
#           (no ffprobe: the sample's facts are probed here, video-info.json)
#   bash scripts/device/pack.sh models|video [out-dir]   (default .cache/device): fer-gpu.tar.xz and run.sh
# Then, there (one command): bash run.sh [--small]   -> unpacks into a temporary folder and prints the tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
part=${1:-}
case "$part" in
  models) graphs='tiny-face-detector|bagged-default|trunk-features|opencv-fer-features|bagged-accurate-heads' ;;
  video) graphs='tiny-face-detector|bagged-default' ;;
  *) echo "usage: bash scripts/device/pack.sh models|video [out-dir]" >&2; exit 2 ;;
esac
out=$(realpath -m "${2:-.cache/device}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
npx tsc -p .
root=$stage/fer
mkdir -p "$root/bin" "$root/lib" "$root/app/.cache"
cp "$(command -v node)" "$root/bin/node"
strip "$root/bin/node" # Debian's node carries its debug info: 99 -> 86 MB
[ "$part" = video ] && cp node_modules/@ffmpeg-installer/linux-x64/ffmpeg "$root/bin/"
echo "$part" > "$root/part"
cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$root/lib/"
# package.json, tsconfig.json (how PACKAGE_ROOT knows the root), config, models, schema and samples are in
# the working tree that travels beside the pack: run.sh links them in rather than sending them twice.
mkdir -p "$root/app/dist" && cp -r dist/src dist/scripts "$root/app/dist/"
mkdir -p "$root/app/.cache/models"
# Sealed (src/models/import/modelImporter.ts): the graphs are named by an index, so the npm weight packages they
# were imported from (1.2 MB of the pack) stay here.
# `fer-stream models` imports every built-in graph into .cache/models and lists them: "<id> <path>".
packed=$(node bin/fer-stream.js models | awk -v re="^($graphs)\$" '$1 ~ re {print $1, $2}')
cut -d' ' -f2 <<<"$packed" | xargs -I{} cp {} "$root/app/.cache/models/"
node -e "
const lines = process.argv[1].split('\n').map((l) => l.split(' '));
console.log(JSON.stringify(Object.fromEntries(lines.map(([id, p]) => [id, require('path').basename(p)]))));
" "$packed" > "$root/app/.cache/models/sealed.json"
# The end-to-end video's facts, so the other machine needs no ffprobe (79 MB, about 10 MB of the pack).
node --input-type=module -e "
import { probeVideo } from './dist/src/video/probeVideo.js';
const info = await probeVideo('samples/video.mp4');
process.stdout.write(JSON.stringify({ ...info, path: 'samples/video.mp4' }));" > "$root/app/video-info.json"
# Of the production packages, only those the measurement loads (strace -e openat of both parts' rehearsals:
# no serve (ws, mqtt, nats, prom-client), no training (the TF.js runtime), no npm ffmpeg (in bin/)), less
# other platforms' ONNX Runtime binaries, the builds of rxjs and zod that are not loaded, and the weight
# packages. A package missing here fails the rehearsal (bash run.sh --small) at once.
APP="$root/app" node --input-type=module <<'JS'
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join, relative } from 'node:path';
const app = process.env.APP;
const loaded =
  /^node_modules\/(rxjs|zod|yaml|semver|sharp|detect-libc|@img|onnxruntime-node|onnxruntime-common|onnx-proto|long|@protobufjs|munkres)\//;
const unloaded =
  /onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)|rxjs\/(src|dist\/(esm|esm5|bundles|types))(\/|$)|zod\/(src|v3|v4-mini|mini)(\/|$)/;
const dirs = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
  .split('\n').filter(Boolean).map((d) => relative(process.cwd(), d)).filter((d) => d.startsWith('node_modules/'));
for (const d of dirs) {
  if (!loaded.test(d + '/')) continue;
  cpSync(d, join(app, d), {
    recursive: true,
    // Also what no program loads: source maps, type declarations, docs, tests, a CLI's own dependencies.
    filter: (src) =>
      !unloaded.test(relative(process.cwd(), src)) &&
      !/(\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.md)$|\/(test|tests|__tests__|docs)(\/|$)|protobufjs\/cli(\/|$)/.test(relative(process.cwd(), src)),
  });
}
JS
# What is big stays out: the ONNX Runtime CUDA provider libraries (the machine has no CUDA provider for Node).
find "$root/app/node_modules/onnxruntime-node" -name 'libonnxruntime_providers_cuda*' -delete
mkdir -p "$out"
# Most of the bytes are x86 code (node, ONNX Runtime, ffmpeg, libvips): xz's x86 filter takes about 2% more off.
tar -C "$stage" -cf - fer | xz --x86 --lzma2=preset=9e -T0 > "$out/fer-gpu.tar.xz"
cp scripts/device/run.sh "$out/run.sh"
size=$(stat -c %s "$out/fer-gpu.tar.xz")
tree=$(git ls-files -z | xargs -0 stat -c %s | awk '{s += $1} END {print s}')
echo "wrote $out/fer-gpu.tar.xz ($((size / 1048576)) MiB; with the working tree's $((tree / 1048576)) MiB: $(((size + tree) / 1048576)) MiB) and $out/run.sh"
if [ $((size + tree)) -gt $((64 * 1048576 - 262144)) ]; then
  echo "the pack and the working tree are over 64 MiB: they cannot be sent to the device machine" >&2
  exit 1
fi
