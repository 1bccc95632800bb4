// Apps jobs: one at a time, IPM's output kept bounded, phases counted as progress, and the feed
// told of a chatty job a bounded number of times, always with its final state last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppsJobs } from '../../src/ipm/apps-jobs.ts';
import { AppsError } from '../../src/ipm/apps-errors.ts';
import type { AppsJob } from '../../src/model/apps-job.ts';
import { waitFor } from '../support/fixtures.ts';

const what = { action: 'install' as const, namespace: 'APPS', name: 'x', version: null };

test('a chatty job: bounded lines, bounded messages, phases counted, the end last', async () => {
  const jobs = new AppsJobs();
  const seen: AppsJob[] = [];
  jobs.on('job', (j) => seen.push(j));
  let finish!: () => void;
  jobs.start(what, async (out) => {
    for (let i = 0; i < 5000; i++) out(i % 10 === 0 ? `[APPS|x]\tCompile SUCCESS ${'y'.repeat(1000)}` : `line ${i}`);
    await new Promise<void>((r) => (finish = r));
    return 'x is installed in APPS.';
  });
  assert.throws(() => jobs.start(what, async () => ''), (e: unknown) => e instanceof AppsError && e.kind === 'busy');
  await waitFor(() => seen.length >= 1 || undefined, 5000, 'the first message');
  finish();
  const last = await waitFor(() => (seen.at(-1)?.state === 'done' ? seen.at(-1) : undefined), 5000, 'the end of the job');
  assert.equal(last.state, 'done');
  assert.equal(last.message, 'x is installed in APPS.');
  assert.equal(last.lines.length, 400);
  assert.ok(last.lines.every((l) => l.length <= 500));
  assert.equal(last.phasesDone, 500);
  assert.ok(seen.length <= 3, `${seen.length} messages for 5000 lines`);
});

test('a failed job keeps its message; the next one may start', async () => {
  const jobs = new AppsJobs();
  const ended = new Promise<AppsJob>((resolve) => jobs.on('job', (j) => j.state !== 'running' && resolve(j)));
  jobs.start(what, async () => {
    throw new AppsError('ipm', 'IPM could not install x: nope. Nothing in APPS changed.');
  });
  const j = await ended;
  assert.equal(j.state, 'failed');
  assert.match(j.message, /Nothing in APPS changed/);
  assert.equal(jobs.start(what, async () => 'ok').id, 2);
});
