// Bounds on the dashboard's expensive work (password checks, passes over a period's events): so many
// run at once, a few more wait their turn, and the rest are refused as busy rather than queued without
// end. The dashboard shares its process with the sensors, so its memory and CPU are theirs too.

/** Refusal of work past a WorkLimiter's queue; the dashboard answers it with 503 and Retry-After. */
export class Busy extends Error {
  readonly statusCode = 503;
  constructor(what: string) {
    super(`the dashboard is busy with other ${what}; try again in a moment`);
  }
}

export class WorkLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly what: string,
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs FN when a slot is free; rejects with Busy at once when maxWaiting others already wait. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running < this.maxRunning) this.running++;
    else if (this.waiting.length >= this.maxWaiting) throw new Busy(this.what);
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next waiter, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
