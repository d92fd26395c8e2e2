import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeImageFile } from '../image/decodeImage.js';
import type { RgbImage } from '../image/rgbImage.js';
import type { Ensemble, FaceInput } from '../models/ensemble.js';
import { ensureBuiltinModel } from '../models/import/modelImporter.js';
import type { EnsembleManifest, ImageMemberSpec } from '../models/manifest.js';
import { ManifestError } from '../models/manifest.js';
import { writeFileAtomic } from '../util/atomicFile.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { faceView, hashImages, type FeatureView } from './featureCache.js';

/** A member of a `--features` manifest whose `outputs.features` feed the heads: its name is the feature set's. */
export interface FeatureMember {
  name: string;
  /** `<member>.<output>`, as a stacked member's `from` names it. */
  ref: string;
  spec: ImageMemberSpec;
}

/** The members of a `--features` manifest that declare `outputs.features`; at least one, none named as a trunk set. */
export function featureMembers(manifest: EnsembleManifest, reserved: readonly string[]): FeatureMember[] {
  const found = manifest.members.flatMap((m, i): FeatureMember[] => {
    if (!m.outputs.features) return [];
    if (m.kind !== 'image') throw new ManifestError(manifest.source, `members[${i}]`, 'a stacked member cannot give features for training');
    if (reserved.includes(m.name))
      throw new ManifestError(
        manifest.source,
        `members[${i}].name`,
        `"${m.name}" is the name of one of the trunk's feature sets (${reserved.join(', ')})`,
      );
    return [{ name: m.name, ref: `${m.name}.${m.outputs.features}`, spec: m }];
  });
  if (!found.length)
    throw new ManifestError(manifest.source, 'members', 'no member declares outputs.features (the output whose values feed the heads)');
  return found;
}

/**
 * Runs the feature members over face images in one view (as the trunk's features: plain, mirrored or degraded)
 * and returns each member's feature rows, [faces, width]. Aligned members are warped by the trunk's landmarks
 * of the same view, as at scoring time (where the trunk member gives the landmarks). Cached on disk like the
 * trunk's features, keyed by the members' specs and model files, the view and every image's path, size and mtime.
 */
export async function extractMemberFeatures(
  ensemble: Ensemble,
  members: FeatureMember[],
  paths: string[],
  view: FeatureView,
  trunkLandmarks: Float32Array,
  onProgress?: (done: number) => void,
): Promise<Record<string, Float32Array>> {
  const key = createHash('sha256').update(view);
  for (const m of members) {
    key.update(JSON.stringify(m.spec));
    // A built-in model's file name carries the hash of its sources and importer; a user's file, its size and mtime.
    if (m.spec.modelRef.startsWith('builtin:')) key.update(basename(ensureBuiltinModel(m.spec.modelRef.slice('builtin:'.length))));
    else {
      const st = statSync(m.spec.modelRef);
      key.update(`${st.size}\0${st.mtimeMs}`);
    }
  }
  hashImages(key, paths);
  const file = join(PACKAGE_ROOT, '.cache', 'features', `members-${key.digest('hex').slice(0, 24)}.bin`);
  const sidecar = `${file}.json`;
  if (existsSync(file) && existsSync(sidecar))
    return unpack(readFileSync(file), JSON.parse(readFileSync(sidecar, 'utf8')) as Record<string, number>, paths.length);

  const out: Record<string, Float32Array> = {};
  const BATCH = 64;
  // An image that cannot be decoded is a blank one here; the trunk's pass has already counted it as unreadable.
  const decode = (from: number) =>
    Promise.all(
      paths
        .slice(from, from + BATCH)
        .map((p) => decodeImageFile(p).catch((): RgbImage => ({ width: 1, height: 1, data: new Uint8Array(3) }))),
    );
  let next = decode(0);
  for (let start = 0; start < paths.length; start += BATCH) {
    const images = await next;
    next = decode(start + BATCH);
    const faces: FaceInput[] = [];
    const landmarks: Float32Array[] = [];
    images.forEach((img, i) => {
      const { image, region } = faceView(img, view, start + i);
      faces.push(view === 'jittered' ? { image, box: region } : { image });
      // The trunk's landmarks are fractions of its crop region: back to image pixels for the warp.
      const marks = trunkLandmarks.slice((start + i) * 136, (start + i + 1) * 136);
      for (let k = 0; k < 136; k += 2) {
        marks[k] = region.x + marks[k] * region.width;
        marks[k + 1] = region.y + marks[k + 1] * region.height;
      }
      landmarks.push(marks);
    });
    const result = await ensemble.outputsOf(
      faces,
      members.map((m) => m.ref),
      landmarks,
    );
    for (const m of members) {
      const rows = result[m.ref];
      const width = rows.length / faces.length;
      out[m.name] ??= new Float32Array(paths.length * width);
      out[m.name].set(rows, start * width);
    }
    onProgress?.(start + images.length);
  }
  mkdirSync(join(PACKAGE_ROOT, '.cache', 'features'), { recursive: true });
  const widths = Object.fromEntries(members.map((m) => [m.name, out[m.name].length / paths.length]));
  writeFileAtomic(file, Buffer.concat(members.map((m) => Buffer.from(out[m.name].buffer))));
  writeFileAtomic(sidecar, JSON.stringify(widths));
  return out;
}

function unpack(bytes: Buffer, widths: Record<string, number>, count: number): Record<string, Float32Array> {
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  return Object.fromEntries(Object.entries(widths).map(([name, w]) => [name, all.subarray(offset, (offset += count * w))]));
}
