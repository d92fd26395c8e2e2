import { CANONICAL_LABELS } from '../models/labels.js';
import type { FaceRecord } from '../pipeline/faceRecords.js';
import { abawExpressionIndex } from '../sinks/abawExpr.js';

/**
 * What the daemon sends over WebSocket, one JSON object per message. The published schema is
 * schema/live-message.schema.json; tests validate real messages against it.
 */
export interface LiveFace {
  trackId: number;
  box: { x: number; y: number; w: number; h: number };
  label: string;
  probs: Record<(typeof CANONICAL_LABELS)[number], number>;
  /** The face chosen as the stream's main one so far (largest summed box area). */
  main: boolean;
  landmarks?: [number, number][];
}

export interface FrameMessage {
  type: 'frame';
  stream: string;
  frameIndex: number;
  ptsMs: number;
  wallTimeMs: number;
  latencyMs: number;
  /** The detector's faces were associated on this frame; false: each face followed its landmarks. */
  detected: boolean;
  faces: LiveFace[];
}

export type StreamState = 'connecting' | 'live' | 'stalled' | 'reconnecting' | 'ended' | 'stopped';

export interface StatusMessage {
  type: 'status';
  stream: string;
  state: StreamState;
  wallTimeMs: number;
  detail?: string;
  reconnects: number;
  framesDropped: number;
}

/** Sent to one client when its queue overflowed: how many of its messages it lost. */
export interface DroppedMessage {
  type: 'dropped';
  wallTimeMs: number;
  count: number;
}

export type LiveMessage = FrameMessage | StatusMessage | DroppedMessage;

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** A labelled frame as a message; landmarks only when asked (they are most of the bytes). */
export function frameMessage(
  stream: string,
  frame: { frameIndex: number; ptsMs: number; receivedAtMs: number; detected: boolean },
  faces: FaceRecord[],
  mainTrackId: number | undefined,
  withLandmarks: boolean,
  now = Date.now(),
): FrameMessage {
  return {
    type: 'frame',
    stream,
    frameIndex: frame.frameIndex,
    ptsMs: round(frame.ptsMs, 3),
    wallTimeMs: now,
    latencyMs: Math.max(0, now - frame.receivedAtMs),
    detected: frame.detected,
    faces: faces.map((f) => {
      const face: LiveFace = {
        trackId: f.trackId,
        box: { x: round(f.box.x, 1), y: round(f.box.y, 1), w: round(f.box.width, 1), h: round(f.box.height, 1) },
        label: CANONICAL_LABELS[abawExpressionIndex(f.probs)],
        probs: Object.fromEntries(CANONICAL_LABELS.map((l, k) => [l, round(f.probs[k], 5)])) as LiveFace['probs'],
        main: f.trackId === mainTrackId,
      };
      if (withLandmarks && f.landmarks)
        face.landmarks = Array.from({ length: 68 }, (_, k) => [round(f.landmarks![2 * k], 1), round(f.landmarks![2 * k + 1], 1)]);
      return face;
    }),
  };
}
