/**
 * A restore's safety backup, made from the database files the swap set aside while IRIS starts on
 * the restored ones: what it holds, that IRIS is never frozen for it, and what a failure of it
 * undoes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BackupError } from '../../src/backups/errors.ts';
import { journalPath, RestoreJournal, restoreItems } from '../../src/backups/restore.ts';
import { backupRig, sha, WRITABLE, type BackupRig } from '../support/backups.ts';

const hashes = (rig: BackupRig) => new Map(WRITABLE.map((n) => [n, sha(rig.data.read(n))]));
const leftovers = (rig: BackupRig) =>
  WRITABLE.flatMap((n) => readdirSync(join(rig.data.dir, n === 'IRISSYS' ? 'mgr' : `mgr/${n.toLowerCase()}`))).filter((f) => f.includes('iris-edge'));

describe('the safety backup of a restore', () => {
  it('holds the replaced databases as they were when IRIS stopped, restores them byte for byte, and IRIS is never frozen for it', async () => {
    const rig = await backupRig({ data: { writeIntervalMs: 0 } });
    try {
      const id = (await rig.run(rig.service.startBackup('manual'))).backupId!;
      // Work done after the backup: what the safety backup must keep.
      for (let i = 0; i < 20; i++) rig.data.write();
      const before = hashes(rig);
      const freezes = rig.freezes;

      const job = await rig.run(rig.service.startRestore(id, id));
      assert.equal(job.state, 'ok', JSON.stringify(job.steps, null, 1));
      assert.equal(rig.freezes, freezes, 'the restore froze IRIS');
      const safetyId = job.steps.find((s) => s.text.startsWith('Safety backup'))?.detail ?? '';
      const safety = await rig.service.get(safetyId);
      assert.equal(safety.kind, 'safety');
      assert.equal(safety.freezeMs, 0);
      assert.equal(safety.verify.state, 'verified');

      const manifest = JSON.parse(execFileSync('tar', ['-xOf', rig.service.store.archivePath(safetyId), 'manifest.json']).toString());
      const plan = await rig.service.restorePlan(id);
      assert.deepEqual(manifest.databases.map((d: { name: string }) => d.name).sort(), plan.replace.map((r) => r.name).sort(), 'exactly the replaced databases');
      for (const d of manifest.databases) {
        assert.equal(d.directory, plan.replace.find((r) => r.name === d.name)?.directory, `${d.name} keeps its real directory`);
        assert.equal(d.sha256, before.get(d.name), `${d.name} in the safety backup is not the database as it was before the restore`);
      }
      assert.equal(manifest.frozenAt, manifest.thawedAt, 'frozenAt and thawedAt are both the moment IRIS stopped');
      assert.ok(Date.parse(manifest.frozenAt) <= Date.parse(manifest.startedAt));
      assert.deepEqual(readdirSync(rig.service.store.workDir), []);
      assert.deepEqual(leftovers(rig), []);

      // Restoring the safety backup undoes the restore.
      const undo = await rig.run(rig.service.startRestore(safetyId, safetyId));
      assert.equal(undo.state, 'ok', JSON.stringify(undo.steps, null, 1));
      for (const d of manifest.databases) assert.equal(rig.atStart.get(d.name), before.get(d.name), `${d.name} did not come back from the safety backup`);
      assert.equal(rig.freezes, freezes);
    } finally {
      await rig.close();
    }
  });

  it('IRIS is asked to start on the restored files only once the journal says so: in the add-on it starts on them even if the bridge dies then', async () => {
    const phases: string[] = [];
    const rig = await backupRig({
      data: { writeIntervalMs: 0 },
      beforeStart: (r) => {
        const path = journalPath(join(r.root, 'state'));
        phases.push(existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { phase: string }).phase : 'none');
      },
    });
    try {
      const id = (await rig.run(rig.service.startBackup('manual'))).backupId!;
      const job = await rig.run(rig.service.startRestore(id, id));
      assert.equal(job.state, 'ok', JSON.stringify(job.steps, null, 1));
      assert.deepEqual(phases, ['started']);
    } finally {
      await rig.close();
    }
  });

  it('when it fails, the restore is undone: the previous files are back, IRIS runs on them and the error says so', async () => {
    let broken = false;
    const rig = await backupRig({
      data: { writeIntervalMs: 0 },
      // The backup directory becomes unusable while IRIS is down, after the room was checked.
      afterStop: (r) => {
        if (broken) return;
        broken = true;
        rmSync(r.service.store.workDir, { recursive: true, force: true });
        writeFileSync(r.service.store.workDir, 'not a directory');
      },
    });
    try {
      const id = (await rig.run(rig.service.startBackup('manual'))).backupId!;
      for (let i = 0; i < 20; i++) rig.data.write();
      const before = hashes(rig);

      const job = await rig.run(rig.service.startRestore(id, id));
      assert.equal(job.state, 'failed');
      assert.match(job.error ?? '', /^The safety backup failed, so the restore was undone: IRIS runs on the databases it had before, nothing was lost\. Could not finish the safety backup: /);
      const steps = Object.fromEntries(job.steps.map((s) => [s.text, s.state]));
      assert.equal(steps['Safety backup of the replaced databases, from the files set aside'], 'failed');
      assert.equal(steps['Put the previous files back'], 'done');
      assert.deepEqual(hashes(rig), before, 'every database file is as it was before the restore');
      assert.deepEqual(rig.atStart, before, 'IRIS was started last on the previous files');
      assert.ok((await rig.sim.snapshot()).productions.length > 0, 'IRIS runs again');
      assert.ok(!existsSync(join(rig.root, 'state', 'restore-journal.json')));
      assert.deepEqual(leftovers(rig), []);
    } finally {
      rmSync(rig.service.store.workDir, { force: true });
      mkdirSync(rig.service.store.workDir);
      await rig.close();
    }
  });
});

// In CI (CI=true) this never skips: without root the mount fails, and CI must run it.
describe('a restore a crash left once IRIS was being started on the restored files', () => {
  it('is finished by the service when it starts, as a job; a backup or restore asked for meanwhile is refused as busy', async () => {
    const rig = await backupRig({ data: { writeIntervalMs: 0 } });
    try {
      const id = (await rig.run(rig.service.startBackup('manual'))).backupId!;
      for (let i = 0; i < 20; i++) rig.data.write();
      const before = hashes(rig);
      // What the crash leaves: the journal at "started", the previous files set aside (copies here,
      // with IRIS running on the same bytes: the test needs only what the safety backup holds).
      const plan = await rig.service.restorePlan(id);
      const items = restoreItems(plan);
      for (const i of items) copyFileSync(i.target, i.previous);
      await new RestoreJournal(journalPath(join(rig.root, 'state')), id, items).started({
        stoppedAt: new Date().toISOString(),
        version: (await rig.sim.snapshot()).instance,
        databases: plan.replace.map((r) => ({ name: r.name, directory: r.directory })),
      });

      await rig.restart();
      const finishing = rig.service.job();
      assert.equal(finishing?.state, 'running', 'the job runs as soon as the service has started');
      await assert.rejects(rig.service.startBackup('manual'), (err: BackupError) => err.code === 'busy');
      await assert.rejects(rig.service.startRestore(id, id), (err: BackupError) => err.code === 'busy');
      const job = await rig.run(Promise.resolve(finishing!));
      assert.equal(job.state, 'ok', JSON.stringify(job.steps, null, 1));
      assert.equal(job.kind, 'restore');
      assert.equal(job.steps[0]?.text, `Finish the restore of ${id}: safety backup of the replaced databases`);
      assert.deepEqual(leftovers(rig), []);
      assert.ok(!existsSync(journalPath(join(rig.root, 'state'))));

      const safetyId = job.steps[0]?.detail ?? '';
      assert.equal((await rig.service.get(safetyId)).kind, 'safety');
      for (let i = 0; i < 20; i++) rig.data.write();
      assert.equal((await rig.run(rig.service.startRestore(safetyId, safetyId))).state, 'ok');
      for (const n of plan.replace.map((r) => r.name)) assert.equal(sha(rig.data.read(n)), before.get(n), n);
    } finally {
      await rig.close();
    }
  });
});

describe('a disk too full for the safety backup', { skip: process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'mounting a small tmpfs needs root' : false }, () => {
  let rig: BackupRig;
  let mount: string;
  before(async () => {
    mount = mkdtempSync(join(tmpdir(), 'iris-edge-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mount]);
    // Random blocks: the archives are about as large as the databases (6 x 80 x 8 KB = 3.9 MB).
    rig = await backupRig({ dir: mount, data: { blocks: 80, writeIntervalMs: 0, content: () => randomBytes(8192) } });
  });
  after(async () => {
    await rig.close();
    execFileSync('umount', [mount]);
  });

  it('refuses before IRIS is stopped: nothing was touched, the unpacked files are removed', async () => {
    const id = (await rig.run(rig.service.startBackup('manual'))).backupId!;
    for (let i = 0; i < 20; i++) rig.data.write();
    const before = hashes(rig);
    // Room for about 3 MB more: less than the safety backup of 3.9 MB of databases needs.
    const fs = statfsSync(mount);
    writeFileSync(join(mount, 'filler'), Buffer.alloc(fs.bavail * fs.bsize - 3e6));

    const job = await rig.run(rig.service.startRestore(id, id));
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /Not enough free space in .*: the safety backup of the databases to be replaced needs about .* MB, .* MB is free/);
    const texts = job.steps.map((s) => s.text);
    assert.ok(!texts.includes('Stop IRIS'), texts.join(' | '));
    assert.match(job.steps.at(-1)?.detail ?? '', /the databases were not touched; the unpacked files were removed/);
    assert.deepEqual(hashes(rig), before);
    assert.deepEqual(leftovers(rig), []);
    assert.ok((await rig.sim.snapshot()).productions.length > 0, 'IRIS runs on');
  });
});
