/** The backup room's pure and small-file logic: freeze ownership, restore journal, schedule, selection, entities. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { containerControl, holdPath } from '../../src/backups/container-control.ts';
import { BackupError } from '../../src/backups/errors.ts';
import { FreezeHolder, HA_FREEZE_LIMIT_MS } from '../../src/backups/freeze.ts';
import { backupId, databaseEntry, manifestProblem, type Manifest } from '../../src/backups/manifest.ts';
import { journalPath, planRestore, recoverInterruptedRestore, recoverRestore, RestoreJournal, restoreItems } from '../../src/backups/restore.ts';
import { checkCron, nextRun } from '../../src/backups/schedule.ts';
import { DEFAULT_SETTINGS } from '../../src/model/backup-settings.ts';
import { selectDatabases } from '../../src/backups/select.ts';
import { IrisCommandRefusedError, IrisUnavailableError } from '../../src/model/errors.ts';
import type { DatabaseInfo } from '../../src/model/backup.ts';
import { backupComponents, backupState } from '../../src/mqtt/backup-sensors.ts';
import { CommandHandler } from '../../src/mqtt/commands.ts';
import { instanceDiscovery } from '../../src/mqtt/discovery.ts';
import type { Monitor } from '../../src/monitor/monitor.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, discoveryContext } from '../support/fixtures.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'iris-edge-unit-backups-'));

function fakeIris(opts: { freeze?: Error; thaw?: Error } = {}) {
  const calls: string[] = [];
  return {
    calls,
    freeze: async () => {
      calls.push('freeze');
      if (opts.freeze) throw opts.freeze;
    },
    thaw: async () => {
      calls.push('thaw');
      if (opts.thaw) throw opts.thaw;
    },
  };
}

describe('FreezeHolder', () => {
  it('thaws after the capture even when the capture fails, and leaves no marker', async () => {
    const dir = tmp();
    const iris = fakeIris();
    const holder = new FreezeHolder(dir, iris);
    await assert.rejects(holder.hold(async () => {
      assert.equal((await holder.marker())?.by, 'iris-edge', 'the marker is there while frozen');
      throw new Error('disk gone');
    }), /disk gone/);
    assert.deepEqual(iris.calls, ['freeze', 'thaw']);
    assert.equal(await holder.marker(), null);
  });

  it("does not freeze over Home Assistant's freeze, and keeps its marker when its own freeze loses the race", async () => {
    const dir = tmp();
    const holder = new FreezeHolder(dir, fakeIris());
    writeFileSync(holder.markerPath, JSON.stringify({ by: 'home-assistant', at: new Date().toISOString() }));
    await assert.rejects(holder.hold(async () => 1), (e: unknown) => e instanceof BackupError && e.code === 'frozen-elsewhere');

    const racing = new FreezeHolder(tmp(), {
      freeze: async () => {
        // backup_pre froze IRIS and wrote its marker just before our ExternalFreeze.
        writeFileSync(racing.markerPath, JSON.stringify({ by: 'home-assistant', at: 'x' }));
        throw new IrisCommandRefusedError('already frozen', undefined);
      },
      thaw: async () => {},
    });
    await assert.rejects(racing.hold(async () => 1), /could not freeze/);
    assert.equal((await racing.marker())?.by, 'home-assistant');
  });

  it('thaws a freeze an interrupted IRIS Edge backup left, and a Home Assistant freeze only past the limit', async () => {
    const dir = tmp();
    const iris = fakeIris();
    const holder = new FreezeHolder(dir, iris);
    writeFileSync(holder.markerPath, JSON.stringify({ by: 'iris-edge', at: new Date().toISOString() }));
    assert.equal((await holder.thawStale())?.by, 'iris-edge');
    assert.deepEqual(iris.calls, ['thaw']);

    const at = Date.parse('2026-11-22T03:00:00Z');
    writeFileSync(holder.markerPath, JSON.stringify({ by: 'home-assistant', at: new Date(at).toISOString() }));
    assert.equal(await holder.thawStale(at + HA_FREEZE_LIMIT_MS - 1000), null);
    assert.deepEqual(iris.calls, ['thaw'], 'a running Home Assistant backup is left alone');
    assert.equal((await holder.thawStale(at + HA_FREEZE_LIMIT_MS + 1000))?.by, 'home-assistant');
    assert.equal(await holder.marker(), null);
  });

  it('keeps the marker while IRIS does not answer; drops it when IRIS says it is not frozen', async () => {
    const down = new FreezeHolder(tmp(), fakeIris({ thaw: new IrisUnavailableError('down') }));
    writeFileSync(down.markerPath, JSON.stringify({ by: 'iris-edge', at: 'x' }));
    assert.equal(await down.thawStale(), null);
    assert.ok(existsSync(down.markerPath));

    const refused = new FreezeHolder(tmp(), fakeIris({ thaw: new IrisCommandRefusedError('not frozen', undefined) }));
    writeFileSync(refused.markerPath, 'half a file');
    assert.equal((await refused.thawStale())?.by, 'iris-edge', 'an unreadable marker counts as ours');
    assert.ok(!existsSync(refused.markerPath));
  });
});

describe('restore journal', () => {
  function setup() {
    const state = tmp();
    const data = tmp();
    const dbs: DatabaseInfo[] = ['A', 'B', 'C'].map((n) => {
      const directory = join(data, n) + '/';
      mkdirSync(directory);
      writeFileSync(join(directory, 'IRIS.DAT'), `old ${n}`);
      return { name: n, directory, sizeBytes: 5, readOnly: false, mounted: true };
    });
    const manifest = { id: 'iris-20261122T033000Z-manual', startedAt: 'x', instance: { irisVersion: 'v' }, databases: dbs.map((d) => ({ name: d.name, size: 5 })) } as unknown as Manifest;
    const items = restoreItems(planRestore(manifest, dbs));
    const journal = new RestoreJournal(journalPath(state), manifest.id, items);
    const stage = async () => {
      await journal.staging();
      for (const i of items) writeFileSync(i.staged, `new ${i.name}`);
    };
    const contents = () => items.map((i) => readFileSync(i.target, 'utf8'));
    const leftovers = () => items.flatMap((i) => [i.staged, i.previous]).filter((p) => existsSync(p));
    return { state, items, journal, stage, contents, leftovers };
  }

  it('undoes a restore interrupted while unpacking, half-way through the swap, or before IRIS was started', async () => {
    for (const crashAt of ['staging', 'swap-half', 'swapped']) {
      const t = setup();
      await t.stage();
      if (crashAt === 'swap-half') {
        // A then half of B, as a crash between the two renames of B leaves them.
        const [a, b] = t.items;
        writeFileSync(journalPath(t.state), JSON.stringify({ id: 'iris-20261122T033000Z-manual', phase: 'swapping', items: t.items }));
        renameSync(a!.target, a!.previous);
        renameSync(a!.staged, a!.target);
        renameSync(b!.target, b!.previous);
      } else if (crashAt === 'swapped') {
        await t.journal.swap();
      }
      assert.deepEqual(await recoverRestore(t.state), { id: 'iris-20261122T033000Z-manual', action: 'rolled-back' }, crashAt);
      assert.deepEqual(t.contents(), ['old A', 'old B', 'old C'], crashAt);
      assert.deepEqual(t.leftovers(), [], crashAt);
      assert.equal(await recoverRestore(t.state), null, 'a second recovery has nothing to do');
    }
  });

  it('finishes a restore that was committed, keeping the restored files', async () => {
    const t = setup();
    await t.stage();
    await t.journal.swap();
    writeFileSync(journalPath(t.state), JSON.stringify({ id: 'x', phase: 'committed', items: t.items }));
    assert.equal((await recoverRestore(t.state))?.action, 'completed');
    assert.deepEqual(t.contents(), ['new A', 'new B', 'new C']);
    assert.deepEqual(t.leftovers(), []);
  });

  const safety = { stoppedAt: '2026-11-22T03:30:00.000Z', version: { version: 'v', versionNumber: '2025.1' }, databases: [] };

  it('never rolls back a restore IRIS has run on: the restored and the previous files stay for the bridge', async () => {
    const t = setup();
    await t.stage();
    await t.journal.swap();
    await t.journal.started(safety);
    for (const attempt of ['first', 'second']) {
      assert.deepEqual(await recoverRestore(t.state), { id: 'iris-20261122T033000Z-manual', action: 'safety-pending' }, attempt);
      assert.deepEqual(t.contents(), ['new A', 'new B', 'new C'], attempt);
      assert.deepEqual(t.items.map((i) => readFileSync(i.previous, 'utf8')), ['old A', 'old B', 'old C'], attempt);
      assert.ok(existsSync(journalPath(t.state)), attempt);
    }
    const { log, lines } = captureLogger();
    await recoverInterruptedRestore(t.state, log);
    assert.match(lines.join('\n'), /interrupted once IRIS was being started on the restored database files: they stay/);
    assert.deepEqual(t.contents(), ['new A', 'new B', 'new C']);
  });

  it('recover-cli leaves a restore IRIS has run on to the bridge and exits 0', async () => {
    const t = setup();
    await t.stage();
    await t.journal.swap();
    await t.journal.started(safety);
    const cli = join(import.meta.dirname, '../../src/backups/recover-cli.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', cli, t.state], { encoding: 'utf8' });
    assert.match(out, /The restore of iris-20261122T033000Z-manual was interrupted once IRIS was being started on the restored database files/);
    assert.deepEqual(t.contents(), ['new A', 'new B', 'new C']);
    assert.deepEqual(t.items.map((i) => readFileSync(i.previous, 'utf8')), ['old A', 'old B', 'old C']);
    assert.ok(existsSync(journalPath(t.state)));
  });

  it('the running restore still undoes itself after IRIS started, and a crash half-way is rolled back to the end', async () => {
    const t = setup();
    await t.stage();
    await t.journal.swap();
    await t.journal.started(safety);
    // B's file cannot be replaced: the rollback stops after A, as a crash there would.
    const b = t.items[1]!;
    rmSync(b.target);
    mkdirSync(b.target);
    writeFileSync(join(b.target, 'x'), '');
    await assert.rejects(t.journal.rollback());
    assert.equal(JSON.parse(readFileSync(journalPath(t.state), 'utf8')).phase, 'rolling-back');
    rmSync(b.target, { recursive: true });
    assert.equal((await recoverRestore(t.state))?.action, 'rolled-back');
    assert.deepEqual(t.contents(), ['old A', 'old B', 'old C']);
    assert.deepEqual(t.leftovers(), []);
  });

  it('never brings back a stale previous file left from long ago', async () => {
    const t = setup();
    writeFileSync(t.items[0]!.previous, 'ancient');
    await t.stage();
    await t.journal.rollback();
    assert.deepEqual(t.contents(), ['old A', 'old B', 'old C']);
  });

  it('restores into the directories this instance has, never those the archive names', () => {
    const manifest = {
      id: 'iris-20261122T033000Z-manual',
      startedAt: 'x',
      instance: { irisVersion: 'v' },
      databases: [
        { name: 'USER', directory: '/etc/', size: 1 },
        { name: 'GONE', directory: '/x/', size: 1 },
        { name: 'IRISLIB', directory: '/y/', size: 1 },
      ],
    } as unknown as Manifest;
    const plan = planRestore(manifest, [
      { name: 'USER', directory: '/data/iris/mgr/user/', sizeBytes: 9, readOnly: false, mounted: true },
      { name: 'IRISLIB', directory: '/usr/irissys/mgr/irislib/', sizeBytes: 9, readOnly: true, mounted: true },
    ]);
    assert.deepEqual(plan.replace.map((r) => r.directory), ['/data/iris/mgr/user/']);
    assert.deepEqual(plan.skip, [
      { name: 'GONE', reason: 'not configured in this IRIS instance' },
      { name: 'IRISLIB', reason: 'read-only in this IRIS instance' },
    ]);
  });
});

describe('schedule, selection and manifest rules', () => {
  it('names what is wrong with a cron expression', () => {
    assert.doesNotThrow(() => checkCron('30 3 * * *'));
    assert.doesNotThrow(() => checkCron('0 */6 * * 1-5'));
    assert.throws(() => checkCron('every night'), /needs five fields/);
    assert.throws(() => checkCron('* * * * * *'), /needs five fields/);
    assert.throws(() => checkCron('0 25 * * *'), /hour/);
    assert.equal(nextRun({ ...DEFAULT_SETTINGS, enabled: false }), null);
    const next = nextRun(DEFAULT_SETTINGS, new Date(2026, 10, 22, 4, 0));
    assert.deepEqual([next?.getDate(), next?.getHours(), next?.getMinutes()], [23, 3, 30]);
  });

  it('leaves out scratch, read-only and unmounted databases, saying why', () => {
    const db = (name: string, o: Partial<DatabaseInfo> = {}): DatabaseInfo => ({ name, directory: `/d/${name}/`, sizeBytes: 1, readOnly: false, mounted: true, ...o });
    const s = selectDatabases([db('IRISSYS'), db('IRISSECURITY'), db('IRISTEMP'), db('IRISLOCALDATA'), db('IRISLIB', { readOnly: true }), db('OLD', { mounted: false }), db('USER')]);
    assert.deepEqual(s.included.map((d) => d.name), ['IRISSYS', 'IRISSECURITY', 'USER']);
    assert.deepEqual(Object.fromEntries(s.excluded.map((e) => [e.name, e.reason])), {
      IRISTEMP: 'scratch database, rebuilt by IRIS at every start',
      IRISLOCALDATA: 'scratch database, rebuilt by IRIS at every start',
      IRISLIB: 'read-only code that comes with the IRIS image',
      OLD: 'not mounted',
    });
  });

  it('gives each backup a file-safe id and accepts only its own file names in a manifest', () => {
    assert.equal(backupId('iris', new Date('2026-11-22T03:30:00.123Z'), 'scheduled'), 'iris-20261122T033000Z-scheduled');
    const d = { name: 'USER', directory: '/d/', file: databaseEntry('USER'), size: 1, sha256: 'a'.repeat(64) };
    assert.equal(manifestProblem({ databases: [d] } as Manifest), null);
    assert.match(manifestProblem({ databases: [{ ...d, file: '../../etc/passwd' }] } as Manifest) ?? '', /points at/);
    assert.match(manifestProblem({ databases: [d, d] } as Manifest) ?? '', /listed twice/);
  });
});

describe('backups in Home Assistant', () => {
  it('announces sensors and a button Home Assistant accepts, and states that read unknown before the first backup', () => {
    const ctx = discoveryContext();
    const payload = instanceDiscovery(ctx, [], backupComponents(ctx, ctx.topics));
    assert.deepEqual(validateDiscovery({ [ctx.topics.instanceDiscovery()]: JSON.stringify(payload) }), []);
    assert.equal(payload.cmps.backup_now?.cmd_t, 'iris-edge/iris/backup/press');
    const none = JSON.parse(backupState({ last: null, nextRun: null, totalBytes: 0, count: 0 }));
    assert.deepEqual([none.last_at, none.last_result, none.next_run, none.total_mb], ['None', 'None', 'None', 0]);
    const some = JSON.parse(backupState({ last: { at: '2026-11-22T03:30:09.000Z', result: 'failed', id: 'x', error: 'disk full' }, nextRun: '2026-11-23T03:30:00.000Z', totalBytes: 12_345_678, count: 3 }));
    assert.deepEqual([some.last_result, some.total_mb, some.last_error], ['failed', 12.3, 'disk full']);
  });

  it('starts a backup on PRESS, and ignores anything else with one warning', () => {
    const ctx = discoveryContext();
    const { log, lines } = captureLogger();
    let pressed = 0;
    const handler = new CommandHandler(ctx.topics, {} as Monitor, log, () => () => pressed++);
    handler.handle(ctx.topics.backupCommand, Buffer.from('PRESS'), { retain: false });
    handler.handle(ctx.topics.backupCommand, Buffer.from('NOW'), { retain: false });
    handler.handle(ctx.topics.backupCommand, Buffer.from('PRESS'), { retain: true });
    assert.equal(pressed, 1);
    assert.equal(lines.filter((l) => /WARN/.test(l)).length, 2);
    const remote = captureLogger();
    new CommandHandler(ctx.topics, {} as Monitor, remote.log).handle(ctx.topics.backupCommand, Buffer.from('PRESS'), { retain: false });
    assert.match(remote.lines.join('\n'), /backs up only the IRIS instance of the add-on/);
  });
});

describe('IRIS stopped and started inside the add-on', () => {
  function rig(stopExit = 0) {
    const dir = tmp();
    const bin = join(dir, 'iris');
    const calls = join(dir, 'calls');
    writeFileSync(bin, `#!/bin/sh\necho "$*" >>"${calls}"\nexit ${stopExit}\n`);
    chmodSync(bin, 0o755);
    let up = true;
    const iris = { snapshot: async () => (up ? ({} as never) : Promise.reject(new IrisUnavailableError('down'))) };
    const control = containerControl({ stateDir: dir, iris, irisBin: bin, startTimeoutMs: 5000 });
    return { dir, calls, control, setUp: (v: boolean) => (up = v) };
  }

  it('holds IRIS down with this pid while it is stopped, and lets it start again', async () => {
    const r = rig();
    const stopping = r.control.stop();
    r.setUp(false);
    await stopping;
    assert.equal(readFileSync(r.calls, 'utf8').trim(), 'stop IRIS quietly');
    assert.equal(readFileSync(holdPath(r.dir), 'utf8'), String(process.pid), 'iris/run waits while this process lives');
    r.setUp(true);
    await r.control.start();
    assert.ok(!existsSync(holdPath(r.dir)));
  });

  it('releases the hold when iris stop fails, and says so', async () => {
    const r = rig(1);
    await assert.rejects(r.control.stop(), /IRIS did not stop/);
    assert.ok(!existsSync(holdPath(r.dir)));
  });
});
