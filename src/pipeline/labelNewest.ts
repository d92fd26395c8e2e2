import { Observable, type OperatorFunction } from 'rxjs';
import type { VideoFrame } from '../video/videoFrames.js';
import type { FrameRecord } from './faceRecords.js';
import type { VideoFaceLabeler } from './videoFaceLabeler.js';

/** A labelled live frame, with when its pixels arrived (for latency). */
export interface LiveRecord extends FrameRecord {
  receivedAtMs: number;
}

export interface LabelNewestOptions {
  /** Frames in flight at most: the one being labelled plus those waiting. At least 1. */
  maxInFlight: number;
  /** Told of every frame dropped unlabelled (its pixels are released first). */
  onDrop?: (frame: VideoFrame) => void;
  /** Told of every labelled frame while its pixels are still valid (a preview may copy them). */
  onLabelled?: (frame: VideoFrame) => void;
}

/**
 * Live pipeline stage: frames in, one record per labelled frame out, one frame labelled at a time. A live
 * source does not wait (a camera cannot be paused), so when labelling falls behind the newest frame wins:
 * past `maxInFlight` the oldest waiting frame is dropped and reported. File mode never uses this stage.
 */
export function labelNewest(labeler: VideoFaceLabeler, options: LabelNewestOptions): OperatorFunction<VideoFrame, LiveRecord> {
  const maxWaiting = Math.max(0, options.maxInFlight - 1);
  return (frames$) =>
    new Observable<LiveRecord>((subscriber) => {
      const waiting: VideoFrame[] = [];
      let busy = false;
      let ended = false;
      let stopped = false;

      const pump = async () => {
        busy = true;
        while (waiting.length && !stopped) {
          const frame = waiting.shift()!;
          reading.delete(frame); // labelled now: label() awaits its detection, unless it deferred it (below)
          try {
            const [record] = await labeler.label([frame]);
            options.onLabelled?.(frame);
            labeler.releaseLabelled(frame);
            if (!stopped) subscriber.next({ ...record, receivedAtMs: frame.receivedAtMs ?? Date.now() });
          } catch (err) {
            frame.release?.();
            subscriber.error(err);
            return;
          }
        }
        busy = false;
        if (ended && !stopped) subscriber.complete();
      };

      // Detections started for waiting frames (labeler.prefetch): a dropped frame's pixels are released only once
      // its detection no longer reads them.
      const reading = new Map<VideoFrame, Promise<unknown>>();
      const releaseWhenRead = (frame: VideoFrame) => {
        const pending = reading.get(frame);
        reading.delete(frame);
        if (pending) void pending.then(() => frame.release?.());
        else frame.release?.();
      };

      const source = frames$.subscribe({
        next(frame) {
          waiting.push(frame);
          // While one frame is being labelled, `maxWaiting` more may wait; older ones give way.
          const limit = busy ? maxWaiting : maxWaiting + 1;
          while (waiting.length > limit) {
            const old = waiting.shift()!;
            releaseWhenRead(old);
            options.onDrop?.(old);
          }
          // A frame that waits behind another may have its detection started now, beside the other's work.
          if (busy && waiting.includes(frame)) {
            const pending = labeler.prefetch(frame);
            if (pending) reading.set(frame, pending);
          }
          if (!busy) void pump();
        },
        error: (err) => subscriber.error(err),
        complete() {
          ended = true;
          if (!busy) subscriber.complete();
        },
      });
      return () => {
        stopped = true;
        source.unsubscribe();
        for (const f of waiting.splice(0)) releaseWhenRead(f);
      };
    });
}
