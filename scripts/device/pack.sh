#!/usr/bin/env bash
# Packs what the lent GPU machine needs for one run of the GPU measurement (scripts/device/deviceBench.ts):
# that machine has an NVIDIA driver but no Node.js and no network, and at most 64 MiB travel to it. The pack
# holds this machine's node binary, the built JS, the runtime npm packages (onnxruntime-node's linux-x64
# binding only; of the TF.js weight packages only package.json and the weight files the importer hashes), the
# built ONNX graphs, the static ffmpeg and ffprobe, and Debian's Vulkan loader (libvulkan1); xz -9.
#   bash scripts/device/pack.sh [out-dir]   (default .cache/device): writes fer-gpu.tar.xz and run.sh beside it
# Then, there (one command): bash run.sh [--small]   -> unpacks into a temporary folder and prints the tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-.cache/device}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
npx tsc -p .
node bin/fer-stream.js models >/dev/null # every built-in graph into .cache/models
root=$stage/fer
mkdir -p "$root/bin" "$root/lib" "$root/app/.cache"
cp "$(command -v node)" "$root/bin/node"
cp node_modules/@ffmpeg-installer/linux-x64/ffmpeg node_modules/@ffprobe-installer/linux-x64/ffprobe "$root/bin/"
cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$root/lib/"
cp -r package.json config models schema samples "$root/app/"
mkdir -p "$root/app/dist" && cp -r dist/src dist/scripts "$root/app/dist/"
cp -r .cache/models "$root/app/.cache/models"
# The production packages, less what a measurement never loads: the TF.js runtime (training only), the npm
# ffmpeg copies (in bin/), other platforms' ONNX Runtime binaries, and the weight packages' code.
APP="$root/app" node --input-type=module <<'JS'
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
const app = process.env.APP;
const skip = /^node_modules\/(@tensorflow|@ffmpeg-installer|@ffprobe-installer|@vladmandic)\//;
const dirs = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' })
  .split('\n').filter(Boolean).map((d) => relative(process.cwd(), d)).filter((d) => d.startsWith('node_modules/'));
for (const d of dirs) {
  if (skip.test(d + '/')) continue;
  cpSync(d, join(app, d), {
    recursive: true,
    filter: (src) => !/onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)/.test(relative(process.cwd(), src)),
  });
}
// The weight files the built-in models are hashed on (src/models/import/modelSources.ts), and package.json.
for (const pkg of ['@vladmandic/face-api', '@vladmandic/human']) {
  cpSync(join('node_modules', pkg, 'package.json'), join(app, 'node_modules', pkg, 'package.json'));
}
const { BUILTIN_MODELS } = await import(join(process.cwd(), 'dist/src/models/import/builtinModels.js'));
for (const m of BUILTIN_MODELS)
  for (const f of m.sources()) {
    const rel = relative(process.cwd(), f);
    if (!rel.startsWith('node_modules/@vladmandic/')) continue;
    mkdirSync(join(app, rel, '..'), { recursive: true });
    cpSync(rel, join(app, rel));
  }
JS
# What is big stays out: the ONNX Runtime CUDA provider libraries (the machine has no CUDA provider for Node).
find "$root/app/node_modules/onnxruntime-node" -name 'libonnxruntime_providers_cuda*' -delete
mkdir -p "$out"
tar -C "$stage" -cf - fer | xz -9 -T0 > "$out/fer-gpu.tar.xz"
cp scripts/device/run.sh "$out/run.sh"
size=$(stat -c %s "$out/fer-gpu.tar.xz")
echo "wrote $out/fer-gpu.tar.xz ($((size / 1048576)) MiB) and $out/run.sh"
if [ "$size" -gt $((64 * 1048576 - 65536)) ]; then
  echo "the pack is over 64 MiB: it cannot be sent to the device machine" >&2
  exit 1
fi
