import type { FrameRecord } from './faceRecords.js';

/**
 * For each ID, the IDs seen in one frame with it at least once: two such IDs are two people, however alike
 * they look (the identity pass never joins them; a main face's stand-in is never one of them).
 */
export function coPresentIds(frames: FrameRecord[]): Map<number, Set<number>> {
  const together = new Map<number, Set<number>>();
  for (const f of frames)
    for (const a of f.faces) {
      const others = together.get(a.trackId) ?? new Set<number>();
      together.set(a.trackId, others);
      for (const b of f.faces) if (b.trackId !== a.trackId) others.add(b.trackId);
    }
  return together;
}
