// How long a command line has been working: the time it held the event loop, without the time it
// waited for a sleep, a download, the attacker's terminal or a yield to other sessions.

export class WorkMeter {
  private spent = 0;
  private since = 0;
  private waits = 0;

  /** CLOCK: milliseconds from a monotonic clock (injected for tests). */
  constructor(private readonly clock: () => number) {}

  /** Starts measuring a new line. */
  start(): void {
    this.spent = 0;
    this.waits = 0;
    this.since = this.clock();
  }

  /** Milliseconds of work since start(). */
  workMs(): number {
    return this.waits > 0 ? this.spent : this.spent + this.clock() - this.since;
  }

  /** Milliseconds since the line last let the event loop run. */
  sliceMs(): number {
    return this.waits > 0 ? 0 : this.clock() - this.since;
  }

  /** Starts and awaits a wait (a sleep, a download, a read) with the meter stopped. */
  async wait<T>(start: () => Promise<T>): Promise<T> {
    if (this.waits++ === 0) this.spent += this.clock() - this.since;
    try {
      return await start();
    } finally {
      if (--this.waits === 0) this.since = this.clock();
    }
  }
}
