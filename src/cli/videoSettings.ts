import { availableParallelism } from 'node:os';
import type { BatchOutputSettings } from '../batch/batchRun.js';
import { DEFAULT_MANIFEST } from '../models/defaultManifest.js';
import { parseDevice, type Device } from '../models/ort/device.js';
import { FACE_MODES } from '../pipeline/selectFaces.js';
import { VIDEO_FORMATS, type VideoFormat } from '../sinks/writeVideoOutputs.js';
import { UsageError } from './parseOptions.js';

/** Resident memory one more inference worker adds with the default ensemble loaded (measured: 280 -> 304 MB peak for 1 -> 2 workers on the sample crops). */
export const WORKER_MB = 25;

/** The command-line options every video command shares (single videos, folders, batch). */
export const VIDEO_OPTIONS = {
  format: { type: 'string', short: 'f' },
  manifest: { type: 'string', short: 'm' },
  device: { type: 'string', default: 'auto' },
  batch: { type: 'string' },
  workers: { type: 'string' },
  faces: { type: 'string' },
  smooth: { type: 'string' },
  fill: { type: 'string' },
  landmarks: { type: 'boolean', default: false },
  'detect-every': { type: 'string' },
  'detector-size': { type: 'string' },
  detector: { type: 'string' },
  'reid-across-cuts': { type: 'boolean', default: false },
  'reid-within-shots': { type: 'boolean', default: false },
  'no-reid': { type: 'boolean', default: false },
  'accept-short': { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const;

export interface VideoArgs {
  format?: string;
  manifest?: string;
  device: string;
  batch?: string;
  workers?: string;
  faces?: string;
  smooth?: string;
  fill?: string;
  landmarks: boolean;
  'detect-every'?: string;
  'detector-size'?: string;
  detector?: string;
  'reid-across-cuts': boolean;
  'reid-within-shots': boolean;
  'no-reid': boolean;
  'accept-short': boolean;
  quiet: boolean;
}

/** The video options, checked once: what decides the outputs, and how the work is run. */
export interface VideoSettings extends BatchOutputSettings {
  batchSize: number;
  device: Device;
  workers: number;
  /** `--accept-short`: a video that ends early is scored as far as it goes, and said so, instead of failing. */
  acceptShort: boolean;
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}: expected a positive integer, got "${value}"`);
  return n;
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name}: expected one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

export function deviceArg(value: string): Device {
  try {
    return parseDevice(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** --workers, at most one per core: more only adds memory (each holds the models) and contention. */
export function workerCount(value: string | undefined, fallback: number): number {
  const asked = positiveInt('workers', value, fallback);
  const cores = availableParallelism();
  if (asked <= cores) return asked;
  process.stderr.write(
    `fer-stream: warning: --workers ${asked} is more than this machine's ${cores} core(s); using ${cores} (each worker holds its own copy of the models, about ${WORKER_MB} MB)\n`,
  );
  return cores;
}

/** The re-identification flags, of which one at most may be given (`--reid-across-cuts` is the default). */
export const REID_FLAGS = ['reid-across-cuts', 'reid-within-shots', 'no-reid'] as const;

/** The video options as settings; `format` is the format when --format is absent. */
export function videoSettings(values: VideoArgs, format: VideoFormat): VideoSettings {
  format = oneOf('format', values.format, VIDEO_FORMATS, format);
  if (values.landmarks && (format === 'abaw-expr' || format === 'abaw-expr-single')) {
    throw new UsageError(`--landmarks adds columns to csv/jsonl output; ${format} files hold one label per frame`);
  }
  const detector = oneOf('detector', values.detector, ['tiny', 'blazeface'] as const, 'tiny');
  if (detector === 'blazeface' && values['detector-size'])
    throw new UsageError('--detector-size applies to the tiny detector; BlazeFace runs at 256');
  const reidFlags = REID_FLAGS.filter((flag) => values[flag]);
  if (reidFlags.length > 1) throw new UsageError(`--${reidFlags.join(' and --')} contradict each other; give one`);
  return {
    format,
    faces: oneOf('faces', values.faces, FACE_MODES, format === 'csv' || format === 'jsonl' ? 'all' : 'main'),
    fill: oneOf('fill', values.fill, ['none', 'interpolate'] as const, 'none'),
    smooth: positiveInt('smooth', values.smooth, 1),
    landmarks: values.landmarks,
    detectEvery: positiveInt('detect-every', values['detect-every'], 10),
    batchSize: positiveInt('batch', values.batch, 16),
    detector,
    detectorInputSize: (values['detector-size'] ?? '608,320').split(',').map((v) => {
      const n = positiveInt('detector-size', v.trim(), 0);
      if (n % 32 !== 0) throw new UsageError(`--detector-size: expected multiples of 32, got ${v}`);
      return n;
    }),
    reidentify: values['no-reid'] ? 'off' : values['reid-within-shots'] ? 'within-shots' : 'across-cuts',
    manifest: values.manifest ?? DEFAULT_MANIFEST,
    device: deviceArg(values.device),
    workers: workerCount(values.workers, 2),
    acceptShort: values['accept-short'],
  };
}
