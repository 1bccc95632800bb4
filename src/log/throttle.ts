import type { Logger } from './logger.ts';

/**
 * Reports repeated input without amplifying it: the first report of a kind goes out at once;
 * repeats within the window are counted, and one summary follows when the window ends. A flood of
 * 1,000 bad commands a second is then two log lines and two events, not 2,000. The number of
 * kinds tracked is bounded, because the keys come from input (topics).
 */
export class Throttle {
  private readonly windows = new Map<string, { until: number; label: string; suppressed: number; timer?: NodeJS.Timeout }>();
  private overflow = 0;

  constructor(
    /** Told once per window that suppressed something: the first report's label and how many followed. */
    private readonly summarise: (label: string, suppressed: number) => void,
    private readonly windowMs = 10_000,
    private readonly maxKinds = 200,
  ) {}

  /** Whether to report `label` now; when not, it is counted for the summary. */
  allow(key: string, label: string): boolean {
    const now = Date.now();
    const w = this.windows.get(key);
    if (w && now < w.until) {
      w.suppressed += 1;
      if (!w.timer) {
        w.timer = setTimeout(() => this.close(key), w.until - now);
        w.timer.unref();
      }
      return false;
    }
    if (w) this.close(key);
    if (this.windows.size >= this.maxKinds) this.sweep(now);
    if (this.windows.size >= this.maxKinds) {
      // Too many kinds at once is a flood of its own: count it, report it once.
      this.overflow += 1;
      if (this.overflow === 1) setTimeout(() => this.flushOverflow(), this.windowMs).unref();
      return false;
    }
    this.windows.set(key, { until: now + this.windowMs, label, suppressed: 0 });
    return true;
  }

  /** Forgets the windows that have ended (those with a summary due have a timer of their own). */
  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (now >= w.until && !w.timer) this.windows.delete(key);
  }

  private close(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    this.windows.delete(key);
    if (w.timer) clearTimeout(w.timer);
    if (w.suppressed > 0) this.summarise(w.label, w.suppressed);
  }

  private flushOverflow(): void {
    const n = this.overflow;
    this.overflow = 0;
    if (n > 0) this.summarise('reports of other kinds (too many different ones to tell apart)', n);
  }
}

/** A topic as a log line shows it: whole when short, its start and its length when not. */
export function shownTopic(topic: string): string {
  return topic.length <= 120 ? topic : `${topic.slice(0, 100)}… (${topic.length} characters)`;
}

/**
 * Warnings that repeat: the first of a kind is logged at once, the repeats within the window are
 * counted into one "(and N more like it)" line when it ends.
 */
export function throttledWarnings(log: Pick<Logger, 'warn'>, windowMs = 60_000): (key: string, line: string) => void {
  const throttle = new Throttle((label, n) => log.warn(`${label} (and ${n} more like it)`), windowMs);
  return (key, line) => {
    if (throttle.allow(key, line)) log.warn(line);
  };
}
