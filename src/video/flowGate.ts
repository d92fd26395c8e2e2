/**
 * Explicit backpressure for a push source (RxJS has none of its own): the source counts items in with
 * `enter()`, the consumer counts them out with `leave()`. Past `high` items in flight the gate closes and
 * the source pauses; it reopens at `low`. File mode never drops: the source waits instead.
 */
export class FlowGate {
  private inFlight = 0;
  private closed = false;
  private readonly listeners = new Set<(open: boolean) => void>();

  constructor(
    readonly high: number,
    readonly low = Math.floor(high / 2),
  ) {
    if (!(high >= 1) || !(low >= 0) || low >= high) throw new RangeError(`FlowGate needs 0 <= low < high, got low=${low} high=${high}`);
  }

  get open(): boolean {
    return !this.closed;
  }

  get pending(): number {
    return this.inFlight;
  }

  enter(n = 1): void {
    this.inFlight += n;
    if (!this.closed && this.inFlight >= this.high) this.set(true);
  }

  leave(n = 1): void {
    this.inFlight = Math.max(0, this.inFlight - n);
    if (this.closed && this.inFlight <= this.low) this.set(false);
  }

  /** Calls `listener(open)` on every change; returns the unsubscribe function. */
  onChange(listener: (open: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(closed: boolean): void {
    this.closed = closed;
    for (const l of this.listeners) l(!closed);
  }
}
