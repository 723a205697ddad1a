import { type Logger } from 'pino';

/**
 * Runs `tick` again and again: at once while it reports more work, otherwise after
 * `intervalMs` or as soon as {@link Loop.wake} is called (a NOTIFY, or another loop that just
 * produced work). One tick at a time; `stop` lets the running tick finish.
 *
 * @example
 * ```ts
 * const loop = new Loop('submit', 1_000, () => submitter.runOnce().then((n) => n > 0), logger);
 * loop.start();
 * listener.on('pending', () => loop.wake());
 * await loop.stop();
 * ```
 */
export class Loop {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly intervalMs: number,
    /** Resolves true when there may be more work right away. */
    private readonly tick: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  /** True while it waits for a wake-up or its interval (not in a tick). */
  get waiting(): boolean {
    return this.wakeUp !== undefined;
  }

  /** Runs the next tick now (or right after the current one). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming new work and resolves once the tick in flight has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      this.woken = false;
      let more = false;
      try {
        more = await this.tick();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.logger.error({ err: error, loop: this.name, failures }, 'worker_tick_failed');
      }
      if (!this.running) break;
      // After a failure, back off (doubling, capped) instead of hammering a sick dependency.
      const delay =
        failures > 0
          ? Math.min(this.intervalMs * 2 ** Math.min(failures, 6), 30_000)
          : this.intervalMs;
      if (!more || failures > 0) await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = finish;
      this.timer = setTimeout(finish, ms);
    });
  }
}

/**
 * Wakes one loop of `loops` that is waiting, or (with no `except`) the first if none is: it
 * runs again right after its tick. For the submit loops: each notification used to wake every
 * loop, and all but one then claimed nothing (a transaction and an empty claim per loop per
 * transfer).
 *
 * @example
 * ```ts
 * listener.on('pending', () => wakeOne(submitLoops));
 * ```
 */
export function wakeOne(loops: readonly Loop[], except?: Loop): void {
  const idle = loops.find((l) => l !== except && l.waiting);
  if (idle !== undefined) idle.wake();
  else if (except === undefined) loops[0]?.wake();
}
