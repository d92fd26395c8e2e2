import type { RgbImage } from '../image/rgbImage.js';
import type { VideoFrame } from '../video/videoFrames.js';
import type { LiveFace } from './liveMessages.js';
import { renderPreview } from './previewFrame.js';

/**
 * One stream's preview: a copy of a labelled frame's pixels at most `fps` times a second (the decoder reuses
 * its buffers, so the pixels are copied while still valid), joined with that frame's faces once they are
 * published, and its JPEG rendered once however many people watch. Memory: two frames at most.
 */
export class StreamPreview {
  private pending?: { frameIndex: number; image: RgbImage };
  private latest?: { frameIndex: number; image: RgbImage; faces: LiveFace[] };
  private rendered?: { frameIndex: number; jpeg: Promise<Buffer> };
  private lastKeptAt = 0;

  constructor(readonly fps: number) {}

  /** A labelled frame, before its pixels are released: copied if a preview picture is due. */
  keep(frame: VideoFrame): void {
    const now = Date.now();
    if (now - this.lastKeptAt < 1000 / this.fps) return;
    this.lastKeptAt = now;
    const { width, height, data } = frame.image;
    this.pending = { frameIndex: frame.frameIndex, image: { width, height, data: data.slice(0, width * height * 3) } };
  }

  /** Whether frame `frameIndex`'s faces are wanted (its pixels were kept). */
  wants(frameIndex: number): boolean {
    return this.pending?.frameIndex === frameIndex;
  }

  /** The published faces of the kept frame: it becomes the preview. */
  labelled(frameIndex: number, faces: LiveFace[]): void {
    if (this.pending?.frameIndex !== frameIndex) return;
    this.latest = { ...this.pending, faces };
    this.pending = undefined;
  }

  /** The newest preview's frame index and faces, or undefined before the first. */
  get current(): { frameIndex: number; faces: LiveFace[] } | undefined {
    return this.latest && { frameIndex: this.latest.frameIndex, faces: this.latest.faces };
  }

  /** The newest preview as a JPEG (rendered once per frame) with its frame's index, or undefined before the first. */
  jpeg(): { frameIndex: number; jpeg: Promise<Buffer> } | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    if (this.rendered?.frameIndex !== latest.frameIndex)
      this.rendered = { frameIndex: latest.frameIndex, jpeg: renderPreview(latest.image, latest.faces) };
    return this.rendered;
  }
}
