import type { Box } from '../image/rgbImage.js';

/**
 * Constant-velocity Kalman filter for one coordinate: state (position, velocity), position measured.
 * Process noise `q` is the acceleration variance per frame², measurement noise `r` the position variance.
 */
class Axis {
  x = 0;
  v = 0;
  // Covariance [[pxx, pxv], [pxv, pvv]].
  private pxx: number;
  private pxv = 0;
  private pvv: number;

  constructor(
    position: number,
    private readonly q: number,
    private readonly r: number,
  ) {
    this.x = position;
    this.pxx = r;
    this.pvv = 100 * r;
  }

  predict(dt: number): void {
    this.x += this.v * dt;
    // P = F P F' + Q, F = [[1, dt], [0, 1]], Q from white acceleration noise.
    const { pxx, pxv, pvv, q } = this;
    this.pxx = pxx + 2 * dt * pxv + dt * dt * pvv + (q * dt ** 4) / 4;
    this.pxv = pxv + dt * pvv + (q * dt ** 3) / 2;
    this.pvv = pvv + q * dt * dt;
  }

  update(z: number): void {
    const s = this.pxx + this.r;
    const kx = this.pxx / s;
    const kv = this.pxv / s;
    const y = z - this.x;
    this.x += kx * y;
    this.v += kv * y;
    const { pxx, pxv, pvv } = this;
    this.pxx = (1 - kx) * pxx;
    this.pxv = (1 - kx) * pxv;
    this.pvv = pvv - kv * pxv;
  }
}

/**
 * A face box's motion: independent constant-velocity Kalman filters on its centre and size, in pixels and
 * frames. Noise scales with the box size, so a large near face and a small far one are equally smooth.
 * `at(frame)` predicts the box at a later frame without changing the filter.
 */
export class BoxMotion {
  private readonly axes: Axis[];
  private frame: number;

  constructor(box: Box, frame: number) {
    const size = Math.max(box.width, box.height);
    const [q, r] = [(0.05 * size) ** 2 / 100, (0.05 * size) ** 2];
    const [cx, cy, w, h] = centre(box);
    this.axes = [new Axis(cx, q, r), new Axis(cy, q, r), new Axis(w, q / 4, r), new Axis(h, q / 4, r)];
    this.frame = frame;
  }

  /** Takes in the box observed at `frame`; one older than the latest observation is ignored. */
  update(box: Box, frame: number): void {
    if (frame < this.frame) return;
    const dt = frame - this.frame;
    if (dt > 0) for (const a of this.axes) a.predict(dt);
    const z = centre(box);
    this.axes.forEach((a, i) => a.update(z[i]));
    this.frame = Math.max(this.frame, frame);
  }

  /** The box predicted at `frame` (the latest estimate moved on by its velocity). */
  at(frame: number): Box {
    const dt = Math.max(0, frame - this.frame);
    const [cx, cy, w, h] = this.axes.map((a) => a.x + a.v * dt);
    const width = Math.max(1, w);
    const height = Math.max(1, h);
    return { x: cx - width / 2, y: cy - height / 2, width, height };
  }

  /** The frame of the latest observation. */
  get lastFrame(): number {
    return this.frame;
  }

  /** Pixels per frame the centre moves. */
  get velocity(): { x: number; y: number } {
    return { x: this.axes[0].v, y: this.axes[1].v };
  }
}

const centre = (b: Box) => [b.x + b.width / 2, b.y + b.height / 2, b.width, b.height];
