// One run at a time of a catch-up step: calls made while it runs are merged into one more run after it,
// so a burst of "new events stored" signals costs at most two passes.
export class MergedRuns<R> {
  private running: Promise<R> | undefined;
  private again = false;

  constructor(
    private readonly step: () => Promise<R>,
    private readonly add: (total: R, r: R) => R,
    private readonly zero: () => R,
  ) {}

  run(): Promise<R> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = this.zero();
      do {
        this.again = false;
        total = this.add(total, await this.step());
      } while (this.again);
      return total;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when no run is in progress (errors of that run are the caller's of run()). */
  async idle(): Promise<void> {
    await this.running?.catch(() => {});
  }
}
