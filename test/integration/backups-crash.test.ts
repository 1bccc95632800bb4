/**
 * The bridge process killed with SIGKILL in the middle of a backup and of a restore (during the
 * swap, after it, and once IRIS was being started on the restored files while the safety backup is
 * written: failpoints, IRIS_EDGE_FAILPOINT), then started again on the same directories, as s6
 * would.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBridge, type BridgeProcess } from '../support/bridge-process.ts';
import { sha } from '../support/backups.ts';
import { waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';

let broker: Mosquitto;
before(async () => {
  broker = await Mosquitto.start();
});
after(async () => {
  await broker.close();
});

interface Dirs {
  root: string;
  state: string;
  backups: string;
  sim: string;
}

function dirs(): Dirs {
  const root = mkdtempSync(join(tmpdir(), 'iris-edge-crash-'));
  return { root, state: join(root, 'state'), backups: join(root, 'backups'), sim: join(root, 'state', 'simulator') };
}

async function start(d: Dirs, env: Record<string, string> = {}): Promise<{ b: BridgeProcess; api: string }> {
  const b = runBridge({
    MQTT_URL: broker.url,
    IRIS_EDGE_STATE_DIR: d.state,
    IRIS_EDGE_BACKUP_DIR: d.backups,
    IRIS_EDGE_CERT_DIR: join(d.root, 'certs'),
    ...env,
  });
  const url = await waitFor(() => /Panel at (http:\/\/\S+\/)/.exec(b.output())?.[1], 30_000, 'the panel').catch((err: Error) => {
    b.proc.kill('SIGKILL');
    throw new Error(`${err.message}\n${b.output()}`);
  });
  return { b, api: `${url}api/` };
}

async function post(api: string, path: string, body: unknown): Promise<{ job: { id: string; state: string; backupId: string | null } }> {
  const res = await fetch(api + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-iris-edge': '1' }, body: JSON.stringify(body) });
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()) as { job: { id: string; state: string; backupId: string | null } };
}

interface JobSeen {
  state: string;
  backupId: string | null;
  error: string | null;
  steps: { text: string }[];
}

/** The job once it has ended; `which` tells it from the last one when that is still shown. */
async function jobDone(api: string, which: (j: JobSeen) => boolean = () => true): Promise<JobSeen> {
  return waitFor(async () => {
    const { job } = (await (await fetch(api + 'backups/job')).json()) as { job: JobSeen | null };
    return job && job.state !== 'running' && which(job) ? job : undefined;
  }, 30_000, 'the job to end');
}

const list = async (api: string) => ((await (await fetch(api + 'backups')).json()) as { backups: { id: string; kind: string; result: string }[] }).backups;

const DBS = ['mgr', 'mgr/irisaudit', 'mgr/irissecurity', 'mgr/irismetrics', 'mgr/user', 'mgr/orders', 'mgr/lab'];
const hashes = (d: Dirs) => DBS.map((p) => sha(readFileSync(join(d.sim, p, 'IRIS.DAT'))));

describe('SIGKILL in the middle of a backup', () => {
  it('leaves no partial archive listed as good, and IRIS is thawed on the next start', async () => {
    const d = dirs();
    // The simulated write daemon runs: the databases change while the backup copies them.
    const first = await start(d, { IRIS_EDGE_FAILPOINT: 'backup:capturing', IRIS_EDGE_SIMULATOR_WRITE_MS: '5' });
    await post(first.api, 'backups', {});
    assert.equal(await first.b.exited(), 'SIGKILL');
    // Killed while IRIS was frozen, with a staging copy half made: what a power cut leaves.
    assert.ok(existsSync(join(d.sim, '.simulated-freeze')), 'the simulated IRIS is still frozen after the crash');
    assert.ok(existsSync(join(d.state, 'freeze.json')), 'the freeze marker names IRIS Edge');
    assert.notDeepEqual(readdirSync(join(d.backups, '.work')), []);

    const second = await start(d, { IRIS_EDGE_SIMULATOR_WRITE_MS: '5' });
    try {
      await waitFor(() => !existsSync(join(d.sim, '.simulated-freeze')), 10_000, 'IRIS to be thawed');
      assert.match(second.b.output(), /IRIS was still frozen by an interrupted IRIS Edge backup; IRIS Edge thawed it/);
      assert.match(second.b.output(), /Removed \d+ unfinished backup file\(s\)/);
      const { backups } = (await (await fetch(second.api + 'backups')).json()) as { backups: unknown[] };
      assert.deepEqual(backups, [], 'nothing from the killed backup is listed');
      assert.deepEqual(readdirSync(join(d.backups, '.work')), []);
      assert.ok(!existsSync(join(d.state, 'freeze.json')));

      // And the next backup works.
      await post(second.api, 'backups', {});
      const job = await jobDone(second.api);
      assert.equal(job.state, 'ok', job.error ?? '');
    } finally {
      second.b.proc.kill('SIGKILL');
    }
  });
});

describe('SIGKILL in the middle of a restore', () => {
  it('puts the previous database files back before IRIS starts again', async () => {
    const d = dirs();
    const { backupId, previous } = await restoreKilledAt(d, 'restore:swapping');
    // Killed with the first database file moved aside: neither the old nor the new state as a whole.
    assert.ok(existsSync(join(d.state, 'restore-journal.json')));
    assert.ok(existsSync(join(d.sim, 'mgr', 'IRIS.DAT.iris-edge-previous')));
    assert.ok(!existsSync(join(d.sim, 'mgr', 'IRIS.DAT')));

    const third = await start(d, QUIET);
    try {
      const backups = await rolledBack(d, third, backupId, previous);
      assert.ok(backups.some((b) => b.id === backupId));
      assert.ok(!backups.some((b) => b.kind === 'safety'), 'the safety backup comes after the swap: none was begun');
    } finally {
      third.b.proc.kill('SIGKILL');
    }
  });

  it('killed after the swap, before IRIS was started: the previous files are put back', async () => {
    const d = dirs();
    const { backupId, previous } = await restoreKilledAt(d, 'restore:swapped');
    const journal = JSON.parse(readFileSync(join(d.state, 'restore-journal.json'), 'utf8'));
    assert.equal(journal.phase, 'swapped', 'killed after the swap, before IRIS was started');
    assert.ok(existsSync(join(d.sim, 'mgr', 'IRIS.DAT.iris-edge-previous')));

    const third = await start(d, QUIET);
    try {
      const backups = await rolledBack(d, third, backupId, previous);
      assert.deepEqual(backups.map((b) => b.id), [backupId], 'nothing of the safety backup is listed');

      // And the restore works now.
      await post(third.api, `backups/${backupId}/restore`, { confirm: backupId });
      const job = await jobDone(third.api);
      assert.equal(job.state, 'ok', job.error ?? '');
    } finally {
      third.b.proc.kill('SIGKILL');
    }
  });
});

describe('SIGKILL once IRIS was being started on the restored files, while the safety backup is written', () => {
  it('keeps the restored files; the restarted bridge makes the safety backup from the previous ones and finishes the restore', async () => {
    const d = dirs();
    const { backupId, previous, restored } = await restoreKilledAt(d, 'restore:started');
    assert.equal(JSON.parse(readFileSync(join(d.state, 'restore-journal.json'), 'utf8')).phase, 'started');
    assert.deepEqual(hashes(d), restored, 'IRIS was started on the restored files');

    const third = await start(d, QUIET);
    try {
      assert.match(third.b.output(), new RegExp(`The restore of ${backupId} was interrupted once IRIS was being started on the restored database files: they stay`));
      const job = await jobDone(third.api);
      assert.equal(job.state, 'ok', job.error ?? '');
      assert.equal(job.backupId, backupId);
      assert.match(job.steps[0]!.text, new RegExp(`^Finish the restore of ${backupId}: safety backup of the replaced databases`));
      assert.match(third.b.output(), new RegExp(`The restore of ${backupId} is finished; the databases as they were before it are in \\S+-safety`));
      assert.deepEqual(hashes(d), restored, 'IRIS runs on the restored files');
      assert.ok(!existsSync(join(d.state, 'restore-journal.json')));
      for (const p of DBS) assert.deepEqual(readdirSync(join(d.sim, p)).filter((f) => f.includes('iris-edge')), [], `leftovers in ${p}`);
      assert.deepEqual(readdirSync(join(d.backups, '.work')), []);

      const backups = await list(third.api);
      const safety = backups.filter((b) => b.kind === 'safety');
      assert.equal(safety.length, 1, 'one safety backup: the one the killed restore did not finish is not listed');
      assert.equal(safety[0]!.result, 'ok');

      // It holds the databases as they were before the restore.
      await post(third.api, `backups/${safety[0]!.id}/restore`, { confirm: safety[0]!.id });
      const back = await jobDone(third.api, (j) => j.backupId === safety[0]!.id);
      assert.equal(back.state, 'ok', back.error ?? '');
      assert.deepEqual(hashes(d), previous, 'the safety backup restores the previous bytes');
    } finally {
      third.b.proc.kill('SIGKILL');
    }
  });

  it('when the safety backup cannot be made, says which files it keeps, keeps the journal and refuses a new restore', async () => {
    const d = dirs();
    const { backupId, restored } = await restoreKilledAt(d, 'restore:started');
    // A previous file that cannot be read: the safety backup fails.
    const user = join(d.sim, 'mgr/user/IRIS.DAT.iris-edge-previous');
    rmSync(user);
    mkdirSync(user);

    const third = await start(d, QUIET);
    try {
      const job = await jobDone(third.api);
      assert.equal(job.state, 'failed');
      assert.match(job.error ?? '', /IRIS runs on the restored databases, but the safety backup of the ones it replaced could not be made/);
      assert.match(job.error ?? '', /IRIS Edge tries again at its next start/);
      const errors = third.b.output().split('\n').filter((l) => l.includes('could not be made'));
      assert.equal(errors.length, 1, 'one error, no second attempt in this run');
      assert.ok(errors[0]!.includes(join(d.sim, 'mgr', 'IRIS.DAT.iris-edge-previous')), 'the error names the files kept');
      assert.equal(JSON.parse(readFileSync(join(d.state, 'restore-journal.json'), 'utf8')).phase, 'started');
      assert.ok(existsSync(join(d.sim, 'mgr', 'IRIS.DAT.iris-edge-previous')), 'the previous files are kept');
      assert.deepEqual(hashes(d), restored, 'IRIS runs on the restored files');

      // A new restore would delete the previous files the unfinished one keeps.
      await post(third.api, `backups/${backupId}/restore`, { confirm: backupId });
      const refused = await jobDone(third.api, (j) => j.error !== job.error);
      assert.equal(refused.state, 'failed');
      assert.match(refused.error ?? '', new RegExp(`The restore of ${backupId} is not finished`));
      assert.ok(existsSync(join(d.sim, 'mgr', 'IRIS.DAT.iris-edge-previous')), 'the previous files are still kept');
      assert.equal(JSON.parse(readFileSync(join(d.state, 'restore-journal.json'), 'utf8')).phase, 'started');
    } finally {
      third.b.proc.kill('SIGKILL');
    }
  });
});

/** The simulated write daemon still: the files change only where the test changes them. */
const QUIET = { IRIS_EDGE_SIMULATOR_WRITE_MS: '0' };

/**
 * A backup made by one bridge process, the databases changed after it (the state a failed
 * restore must not lose), then its restore in a second process killed at `failpoint`.
 */
async function restoreKilledAt(d: Dirs, failpoint: string): Promise<{ backupId: string; previous: string[]; restored: string[] }> {
  const first = await start(d, QUIET);
  let backupId: string;
  try {
    await post(first.api, 'backups', {});
    const job = await jobDone(first.api);
    assert.equal(job.state, 'ok', job.error ?? '');
    backupId = job.backupId!;
  } finally {
    first.b.proc.kill('SIGTERM');
    await first.b.exited();
  }
  const restored = hashes(d);
  const user = join(d.sim, 'mgr/user/IRIS.DAT');
  writeFileSync(user, Buffer.concat([readFileSync(user), Buffer.alloc(8192, 0x42)]));
  const previous = hashes(d);

  const second = await start(d, { ...QUIET, IRIS_EDGE_FAILPOINT: failpoint });
  await post(second.api, `backups/${backupId}/restore`, { confirm: backupId });
  assert.equal(await second.b.exited(), 'SIGKILL');
  return { backupId, previous, restored };
}

/** The restarted bridge put the previous files back before IRIS started; returns the backups it lists. */
async function rolledBack(d: Dirs, bridge: { b: BridgeProcess; api: string }, backupId: string, previous: string[]): Promise<{ id: string; kind: string }[]> {
  assert.match(bridge.b.output(), new RegExp(`The restore of ${backupId} was interrupted; the previous database files were put back`));
  assert.deepEqual(hashes(d), previous, 'every database file is as it was before the restore');
  assert.ok(!existsSync(join(d.state, 'restore-journal.json')));
  for (const p of DBS) assert.deepEqual(readdirSync(join(d.sim, p)).filter((f) => f.includes('iris-edge')), [], `leftovers in ${p}`);
  return list(bridge.api);
}
