/**
 * The bridge process killed with SIGKILL in the middle of a backup and of a restore (during the
 * swap, and while the safety backup is written: failpoints, IRIS_EDGE_FAILPOINT), then started
 * again on the same directories, as s6 would.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

async function jobDone(api: string): Promise<{ state: string; backupId: string | null; error: string | null }> {
  return waitFor(async () => {
    const { job } = (await (await fetch(api + 'backups/job')).json()) as { job: { state: string; backupId: string | null; error: string | null } | null };
    return job && job.state !== 'running' ? job : undefined;
  }, 30_000, 'the job to end');
}

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

  it('killed while the safety backup is written: the previous files are put back and its partial archive is removed', async () => {
    const d = dirs();
    // The failpoint is reached once the first database is in the archive: only the safety
    // backup writes one in this process.
    const { backupId, previous } = await restoreKilledAt(d, 'backup:archiving');
    const journal = JSON.parse(readFileSync(join(d.state, 'restore-journal.json'), 'utf8'));
    assert.equal(journal.phase, 'swapped', 'killed after the swap, before the commit');
    assert.ok(existsSync(join(d.sim, 'mgr', 'IRIS.DAT.iris-edge-previous')));
    assert.ok(readdirSync(join(d.backups, '.work')).some((f) => f.endsWith('-safety.tar.zst')), 'a partial safety archive is left');

    const third = await start(d, QUIET);
    try {
      const backups = await rolledBack(d, third, backupId, previous);
      assert.match(third.b.output(), /Removed \d+ unfinished backup file\(s\)/);
      assert.deepEqual(readdirSync(join(d.backups, '.work')), []);
      assert.deepEqual(backups.map((b) => b.id), [backupId], 'nothing of the killed safety backup is listed');

      // And the restore works now.
      await post(third.api, `backups/${backupId}/restore`, { confirm: backupId });
      const job = await jobDone(third.api);
      assert.equal(job.state, 'ok', job.error ?? '');
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
async function restoreKilledAt(d: Dirs, failpoint: string): Promise<{ backupId: string; previous: string[] }> {
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
  const user = join(d.sim, 'mgr/user/IRIS.DAT');
  writeFileSync(user, Buffer.concat([readFileSync(user), Buffer.alloc(8192, 0x42)]));
  const previous = hashes(d);

  const second = await start(d, { ...QUIET, IRIS_EDGE_FAILPOINT: failpoint });
  await post(second.api, `backups/${backupId}/restore`, { confirm: backupId });
  assert.equal(await second.b.exited(), 'SIGKILL');
  return { backupId, previous };
}

/** The restarted bridge put the previous files back before IRIS started; returns the backups it lists. */
async function rolledBack(d: Dirs, bridge: { b: BridgeProcess; api: string }, backupId: string, previous: string[]): Promise<{ id: string; kind: string }[]> {
  assert.match(bridge.b.output(), new RegExp(`The restore of ${backupId} was interrupted; the previous database files were put back`));
  assert.deepEqual(hashes(d), previous, 'every database file is as it was before the restore');
  assert.ok(!existsSync(join(d.state, 'restore-journal.json')));
  for (const p of DBS) assert.deepEqual(readdirSync(join(d.sim, p)).filter((f) => f.includes('iris-edge')), [], `leftovers in ${p}`);
  return ((await (await fetch(bridge.api + 'backups')).json()) as { backups: { id: string; kind: string }[] }).backups;
}
