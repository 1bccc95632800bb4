/**
 * The panel's apps operations as jobs: one at a time (the apps service runs one anyway), started
 * at once and followed on the live feed ({type:"apps-job"}) with IPM's output line by line and the
 * phases done as progress; the last job stays readable after it ended.
 */
import { EventEmitter } from 'node:events';
import type { AppsJob } from '../model/apps-job.ts';
import { AppsError } from './apps-errors.ts';
import { ipmPhase } from './ipm-output.ts';

const MAX_LINES = 400;
const MAX_LINE = 500;
/**
 * Each message carries the job with its lines: IPM writes hundreds of lines within seconds, so
 * while it works the feed hears of the job at most this often (its last state always).
 */
const EMIT_EVERY_MS = 200;

export type AppsJobStart = Pick<AppsJob, 'action' | 'namespace' | 'name' | 'version'>;

export class AppsJobs extends EventEmitter<{ job: [AppsJob] }> {
  private last: AppsJob | undefined;
  private nextId = 1;

  current(): AppsJob | undefined {
    return this.last && { ...this.last, lines: [...this.last.lines] };
  }

  /** Starts `run` (which writes IPM's lines to `out`); refuses while another job runs. */
  start(what: AppsJobStart, run: (out: (line: string) => void) => Promise<string>): AppsJob {
    if (this.last?.state === 'running') throw new AppsError('busy', `An apps job runs already (${this.last.action} ${this.last.name ?? this.last.namespace}); wait for it to end.`);
    const job: AppsJob = { id: this.nextId++, ...what, state: 'running', lines: [], phasesDone: 0, message: '', startedAt: new Date().toISOString(), endedAt: null };
    this.last = job;
    let timer: NodeJS.Timeout | undefined;
    const emit = () => {
      clearTimeout(timer);
      timer = undefined;
      this.emit('job', this.current() as AppsJob);
    };
    const out = (line: string) => {
      job.lines.push(line.slice(0, MAX_LINE));
      if (job.lines.length > MAX_LINES) job.lines.splice(0, job.lines.length - MAX_LINES);
      if (ipmPhase(line)?.ok) job.phasesDone += 1;
      timer ??= setTimeout(emit, EMIT_EVERY_MS);
    };
    void run(out).then(
      (message) => Object.assign(job, { state: 'done', message }),
      (e: unknown) => Object.assign(job, { state: 'failed', message: (e as Error).message }),
    ).finally(() => {
      job.endedAt = new Date().toISOString();
      emit();
    });
    emit();
    return this.current() as AppsJob;
  }
}
