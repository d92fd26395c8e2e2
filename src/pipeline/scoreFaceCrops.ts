import { bufferCount, concatMap, from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import type { TinyFaceDetector } from '../detection/tinyFaceDetector.js';
import { decodeImageFile } from '../image/decodeImage.js';
import type { Box, RgbImage } from '../image/rgbImage.js';
import type { Ensemble, FacePrediction } from '../models/ensemble.js';
import { listSome, type FaceCropItem } from './faceCropSource.js';
import { InputError } from '../util/inputError.js';

const BATCHES_IN_FLIGHT = 2;

export interface ScoredCrop {
  item: FaceCropItem;
  prediction: FacePrediction;
  /** With --detect: the face used (the largest), or none when the detector found no face. */
  box?: Box;
}

export interface ScoreOptions {
  batchSize: number;
  /** Decodes in flight at once (sharp uses its own threads). */
  decodeConcurrency?: number;
  detector?: TinyFaceDetector;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Scores face crops with the ensemble, in batches. Results come back in item order (assembled by index,
 * not arrival). Every unreadable file is collected and reported together, and then nothing is returned,
 * so a caller never writes a partial output.
 */
export async function scoreFaceCrops(items: FaceCropItem[], ensemble: Ensemble, options: ScoreOptions): Promise<ScoredCrop[]> {
  const failures: string[] = [];
  const results: ScoredCrop[] = new Array(items.length);
  let done = 0;
  const decoded$ = from(items.map((item, index) => ({ item, index }))).pipe(
    mergeMap(async ({ item, index }) => {
      try {
        return { item, index, image: await decodeImageFile(item.path) };
      } catch (err) {
        failures.push(`${item.name} (${String((err as Error).message).split('\n')[0]})`);
        return undefined;
      }
    }, options.decodeConcurrency ?? 4),
  );
  await lastValueFrom(
    decoded$.pipe(
      concatMap((d) => (d ? [d] : [])),
      bufferCount(options.batchSize),
      // Two batches in flight: one is cropped on the main thread while the workers run the other. Results
      // are placed by index, so the order they finish in does not matter.
      mergeMap(async (batch: { item: FaceCropItem; index: number; image: RgbImage }[]) => {
        if (failures.length) return;
        const boxes = options.detector
          ? await largestFaces(
              options.detector,
              batch.map((b) => b.image),
            )
          : [];
        const preds = await ensemble.predict(batch.map((b, i) => ({ image: b.image, box: boxes[i] })));
        batch.forEach((b, i) => (results[b.index] = { item: b.item, prediction: preds[i], box: boxes[i] }));
        done += batch.length;
        options.onProgress?.(done, items.length);
      }, BATCHES_IN_FLIGHT),
      // toArray: one value even for zero batches, so lastValueFrom never sees an empty stream.
      toArray(),
    ),
  );
  if (failures.length) {
    failures.sort();
    throw new InputError(`${failures.length} of ${items.length} input image(s) could not be read: ${listSome(failures)}`);
  }
  return results;
}

async function largestFaces(detector: TinyFaceDetector, images: RgbImage[]): Promise<(Box | undefined)[]> {
  const dets = await detector.detect(images);
  return dets.map((faces) => faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0]?.box);
}
