import { bufferCount, concatMap, finalize, type OperatorFunction } from 'rxjs';
import type { VideoFrame } from '../video/videoFrames.js';
import type { FrameRecord } from './faceRecords.js';
import type { FlowGate } from '../video/flowGate.js';
import type { VideoFaceLabeler } from './videoFaceLabeler.js';

/**
 * Pipeline stage: frames in, one FrameRecord per frame out, in frame order. Frames are grouped `batchSize`
 * at a time (the last group may be short); each frame leaves `gate` once its record is out, which lets the
 * source decode again. An error names the first frame of the batch it happened in.
 */
export function labelVideoFaces(labeler: VideoFaceLabeler, batchSize: number, gate?: FlowGate): OperatorFunction<VideoFrame, FrameRecord> {
  return (frames$) =>
    frames$.pipe(
      bufferCount(batchSize),
      concatMap(async (batch) => {
        try {
          const records = await labeler.label(batch);
          // Records keep no pixels, and every crop and detection of the batch is done but a deferred one.
          for (const f of batch) labeler.releaseLabelled(f);
          return records;
        } catch (err) {
          const e = err as Error;
          const first = batch[0].frameIndex;
          throw Object.assign(
            new Error(`frame ${first}${batch.length > 1 ? `-${first + batch.length - 1}` : ''}: ${e.message}`, { cause: err }),
            { frameIndex: first },
          );
        } finally {
          gate?.leave(batch.length);
        }
      }),
      concatMap((records) => records),
      finalize(() => gate?.leave(gate.pending)),
    );
}
