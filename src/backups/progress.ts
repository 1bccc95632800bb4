/** Bytes done, rate and time left of a long operation, for the panel's progress bar. */
import type { Progress } from '../model/backup.ts';

/** What counts bytes as they are done: a ProgressMeter, or the archive process's report to one. */
export interface ByteCounter {
  add(bytes: number): void;
}

export class ProgressMeter implements ByteCounter {
  private started = Date.now();
  private done = 0;
  private total = 0;
  private phase = '';
  private lastEmit = 0;

  constructor(
    private readonly emit: (p: Progress) => void,
    /** At most one report per interval; the last one of a phase always goes out. */
    private readonly intervalMs = 250,
  ) {}

  begin(phase: string, total: number): void {
    this.phase = phase;
    this.total = total;
    this.done = 0;
    this.started = Date.now();
    this.lastEmit = 0;
    this.emit(this.snapshot());
  }

  add(bytes: number): void {
    this.done += bytes;
    const now = Date.now();
    if (now - this.lastEmit >= this.intervalMs) {
      this.lastEmit = now;
      this.emit(this.snapshot());
    }
  }

  end(): void {
    this.emit(this.snapshot());
  }

  snapshot(): Progress {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const left = Math.max(0, this.total - this.done);
    return { phase: this.phase, bytesDone: this.done, bytesTotal: this.total, rate: Math.round(rate), etaSeconds: rate > 0 ? Math.round(left / rate) : null };
  }
}
