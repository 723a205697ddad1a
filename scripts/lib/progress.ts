/**
 * What `pnpm start` tells a person while it starts: one line when a phase begins, one when
 * it is ready with its duration, and, whenever nothing at all was printed for
 * {@link QUIET_LIMIT_MS}, a line naming what it is still waiting for — never a silent gap.
 */
import type { Logger } from './logs.js';
import { seconds } from './supervisor.js';

/** Longest silence while something is starting; the heartbeat speaks up before it. */
export const QUIET_LIMIT_MS = 1_500;

export interface Phase {
  readonly name: string;
  /** Prints `<name> ready (<duration>)[: detail]` and records the duration. */
  done(detail?: string): number;
}

export class Progress {
  private readonly pending = new Map<string, { since: number }>();
  /** Every finished phase with its duration in ms, in the order they finished. */
  readonly durations: [string, number][] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger) {}

  begin(name: string, what: string): Phase {
    const since = performance.now();
    this.pending.set(name, { since });
    this.log.info(`${name}: ${what}…`);
    this.timer ??= setInterval(() => this.heartbeat(), 250).unref();
    return {
      name,
      done: (detail?: string) => {
        const ms = performance.now() - since;
        this.pending.delete(name);
        this.durations.push([name, ms]);
        this.log.info(`${name} ready (${seconds(ms)})${detail === undefined ? '' : `: ${detail}`}`);
        if (this.pending.size === 0) this.stopHeartbeat();
        return ms;
      },
    };
  }

  /** Forgets phases that will not finish (the start failed). */
  abandon(): void {
    this.pending.clear();
    this.stopHeartbeat();
  }

  private heartbeat(): void {
    const now = performance.now();
    if (this.pending.size === 0 || now - this.log.lastWriteAt < QUIET_LIMIT_MS) return;
    const waiting = [...this.pending]
      .map(([name, { since }]) => `${name} ${seconds(now - since)}`)
      .join(', ');
    this.log.info(`still starting: ${waiting}`);
  }

  private stopHeartbeat(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
