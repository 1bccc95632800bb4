/** One long backup operation as the panel follows it: its steps, each running, done or failed, and its progress. */
import { randomBytes } from 'node:crypto';
import type { JobKind, JobStatus, JobStep, StepState } from '../model/backup.ts';
import { ProgressMeter } from './progress.ts';

export class Job {
  readonly status: JobStatus;

  constructor(
    kind: JobKind,
    backupId: string | null,
    private readonly publish: (s: JobStatus) => void,
  ) {
    this.status = {
      id: randomBytes(6).toString('hex'),
      kind,
      backupId,
      state: 'running',
      startedAt: new Date().toISOString(),
      endedAt: null,
      progress: null,
      steps: [],
      error: null,
    };
  }

  readonly meter = new ProgressMeter((p) => {
    this.status.progress = p;
    this.publish(this.status);
  });

  /** Runs one step: shown as running, then done or failed with the error's message. */
  async step<T>(text: string, work: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> {
    const s: JobStep = { text, state: 'running' };
    this.status.steps.push(s);
    this.publish(this.status);
    try {
      const value = await work();
      s.state = 'done';
      s.detail = detail?.(value);
      return value;
    } catch (err) {
      s.state = 'failed';
      s.detail = (err as Error).message;
      throw err;
    } finally {
      this.status.progress = null;
      this.publish(this.status);
    }
  }

  note(text: string, state: StepState, detail?: string): void {
    this.status.steps.push({ text, state, detail });
    this.publish(this.status);
  }

  end(error: Error | null): void {
    this.status.state = error ? 'failed' : 'ok';
    this.status.error = error ? error.message : null;
    this.status.endedAt = new Date().toISOString();
    this.status.progress = null;
    this.publish(this.status);
  }
}
