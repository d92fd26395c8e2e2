import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { VideoError } from './videoError.js';

const require = createRequire(import.meta.url);

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** `-fps_mode passthrough` (ffmpeg >= 5.1) or the older spelling `-vsync passthrough`. */
  passthroughArgs: string[];
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function fromNpm(pkg: string): string | undefined {
  try {
    return (require(pkg) as { path: string }).path;
  } catch {
    return undefined;
  }
}

let cached: FfmpegTools | undefined;

/**
 * Finds ffmpeg and ffprobe: `FFMPEG_PATH` / `FFPROBE_PATH`, then the system's, then the static binaries
 * shipped in npm packages (so `npm install` alone is enough). Each tool is found on its own, as a system
 * may have ffmpeg without ffprobe.
 */
export function ffmpegTools(): FfmpegTools {
  if (cached) return cached;
  const ffmpeg = process.env.FFMPEG_PATH || onPath('ffmpeg') || fromNpm('@ffmpeg-installer/ffmpeg');
  const ffprobe = process.env.FFPROBE_PATH || onPath('ffprobe') || fromNpm('@ffprobe-installer/ffprobe');
  if (!ffmpeg || !ffprobe) {
    throw new VideoError(
      'spawn-failed',
      `fer-stream needs ffmpeg and ffprobe: set FFMPEG_PATH and FFPROBE_PATH, install them, or run npm install (missing: ${[!ffmpeg && 'ffmpeg', !ffprobe && 'ffprobe'].filter(Boolean).join(', ')})`,
    );
  }
  cached = { ffmpeg, ffprobe, passthroughArgs: supportsFpsMode(ffmpeg) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'] };
  return cached;
}

/** ffmpeg 7 warns on `-vsync` and a later release may drop it; ffmpeg 4 (the npm binary) lacks `-fps_mode`. */
function supportsFpsMode(ffmpeg: string): boolean {
  const probe = spawnSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=s=16x16:d=0.04', '-fps_mode', 'passthrough', '-f', 'null', '-'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10_000,
    },
  );
  if (probe.error)
    throw new VideoError('spawn-failed', `cannot run ffmpeg at ${ffmpeg} (${probe.error.message}); check FFMPEG_PATH or reinstall`);
  return probe.status === 0;
}
