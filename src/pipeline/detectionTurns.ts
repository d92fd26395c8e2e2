/**
 * Live streams that share one worker pool take turns for their scheduled detections. A detection frame is the
 * costliest a stream labels (the detector, then the members on its fresh boxes); when two streams' detection
 * frames come together, the frames behind them wait for a core, and the drops come in those bursts. Streams that
 * start together (a daemon's cameras) would keep detecting on the same frame times for as long as they run.
 * Held by the daemon and given to every stream's labeler (`LabelerOptions.turns`): a detection frame holds a
 * turn from its detection until its members are done, and a stream whose scheduled detection falls while
 * another holds one moves its schedule on by a frame and keeps the new phase, so that the streams settle into
 * detection slots of their own (docs/live.md, "Detections take turns").
 */
export class DetectionTurns {
  private running = 0;

  /** Whether any stream's detection frame is being worked on now. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Holds a turn until the work settles (fulfilled or not). */
  during<T>(detection: Promise<T>): Promise<T> {
    this.running++;
    const done = () => {
      this.running--;
    };
    detection.then(done, done);
    return detection;
  }
}
