/**
 * IRIS Edge backups on real files: a simulated IRIS whose databases change every few
 * milliseconds, backed up, verified, damaged on purpose, uploaded and restored.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { BackupError } from '../../src/backups/errors.ts';
import { backupRig, codecOption, sha, tarGz, WRITABLE, type BackupRig } from '../support/backups.ts';
import { waitFor } from '../support/fixtures.ts';

const rejectsWith = async (p: Promise<unknown>, code: string, text: RegExp) => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BackupError, `expected a BackupError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, text);
    return true;
  });
};

describe('backups of a simulated IRIS whose databases keep changing', () => {
  let rig: BackupRig;
  let firstId: string;
  before(async () => {
    rig = await backupRig();
  });
  after(() => rig.close());

  it('captures the databases exactly as they were while IRIS was frozen, and nothing else', async () => {
    const before = sha(rig.data.read('USER'));
    await waitFor(() => sha(rig.data.read('USER')) !== before, 5000, 'the simulated write daemon to change the files');

    const job = await rig.run(rig.service.startBackup('manual'));
    assert.equal(job.state, 'ok', job.error ?? '');
    firstId = job.backupId!;
    const [record] = await rig.service.list();
    assert.equal(record?.id, firstId);
    assert.equal(record?.verify.state, 'verified');
    assert.deepEqual(record?.databases.sort(), ['IRISAUDIT', 'IRISMETRICS', 'IRISSECURITY', 'IRISSYS', 'ORDERS', 'USER']);

    // The manifest's checksums are the files at the frozen point, read back from the archive.
    const listing = execFileSync('tar', ['-xOf', rig.service.store.archivePath(firstId), 'manifest.json']).toString();
    const manifest = JSON.parse(listing);
    assert.equal(manifest.instance.irisVersionNumber, '2026.1.0.213.0');
    assert.deepEqual(manifest.excluded.map((e: { name: string }) => e.name).sort(), ['ENSLIB', 'IRISLIB', 'IRISLOCALDATA', 'IRISTEMP']);
    assert.ok(manifest.freezeMs >= 0 && Date.parse(manifest.thawedAt) >= Date.parse(manifest.frozenAt));
    for (const d of manifest.databases) {
      assert.equal(d.sha256, rig.atFreeze.get(d.name), `${d.name} in the manifest is not the frozen state`);
      const bytes = execFileSync('tar', ['-xOf', rig.service.store.archivePath(firstId), d.file], { maxBuffer: 1 << 26 });
      assert.equal(sha(bytes), d.sha256, `${d.name} in the archive is not what the manifest says`);
    }
    assert.equal(rig.data.frozen, false, 'IRIS is thawed after the backup');
    assert.deepEqual(readdirSync(join(rig.service.store.workDir)), [], 'nothing is left in .work');
  });

  it('restores to byte-identical files of the frozen point, after a safety backup, and IRIS runs again', async () => {
    const frozenPoint = new Map(rig.atFreeze);
    // The files have moved on since the backup, so the restore has something to undo.
    await waitFor(() => sha(rig.data.read('USER')) !== frozenPoint.get('USER'), 5000, 'USER to change after the backup');
    const plan = await rig.service.restorePlan(firstId);
    assert.deepEqual(plan.replace.map((r) => r.name).sort(), ['IRISAUDIT', 'IRISMETRICS', 'IRISSECURITY', 'IRISSYS', 'ORDERS', 'USER']);

    await rejectsWith(rig.service.startRestore(firstId, 'yes'), 'not-confirmed', /confirm with the backup's id/);
    const job = await rig.run(rig.service.startRestore(firstId, firstId));
    assert.equal(job.state, 'ok', JSON.stringify(job.steps, null, 1));
    for (const [name, hash] of frozenPoint) {
      if (name === 'IRISTEMP' || name === 'IRISLOCALDATA') continue;
      assert.equal(rig.atStart.get(name), hash, `${name} was not restored to the frozen point`);
    }
    const texts = job.steps.map((s) => `${s.text}: ${s.state}`);
    for (const step of ['Read the backup\'s manifest', 'Unpack the backup beside the databases, checking every checksum', 'Check the room for a safety backup of the databases to be replaced', 'Stop IRIS', 'Replace the database files', 'Start IRIS', 'Safety backup of the replaced databases, from the files set aside', 'Productions after the start']) {
      assert.ok(texts.includes(`${step}: done`), `missing step ${step} in ${texts.join(' | ')}`);
    }
    assert.match(job.steps.at(-1)?.detail ?? '', /running \(auto-start\): .*Orders\.Production/);
    const kinds = (await rig.service.list()).map((r) => r.kind);
    assert.ok(kinds.includes('safety'), 'a safety backup was taken first');
    const dirs = WRITABLE.map((n) => readdirSync(join(rig.data.dir, n === 'IRISSYS' ? 'mgr' : `mgr/${n.toLowerCase()}`)));
    assert.ok(dirs.flat().every((f) => !f.includes('iris-edge')), 'no restore leftovers beside the databases');
    assert.deepEqual(await rig.sim.snapshot().then((s) => s.productions.length > 0), true);
  });

  it('verification catches a flipped byte and a truncated archive', async () => {
    const job = await rig.run(rig.service.startBackup('manual'));
    const id = job.backupId!;
    const path = rig.service.store.archivePath(id);
    const good = readFileSync(path);

    const flipped = Buffer.from(good);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = flipped[at]! ^ 0x10;
    writeFileSync(path, flipped);
    let v = await rig.run(rig.service.startVerify(id));
    assert.equal(v.state, 'failed');
    assert.match(v.error ?? '', /damaged|checksum/);
    assert.equal((await rig.service.get(id)).verify.state, 'damaged');

    writeFileSync(path, good);
    truncateSync(path, Math.floor(good.length * 0.7));
    v = await rig.run(rig.service.startVerify(id));
    assert.equal(v.state, 'failed');
    assert.match(v.error ?? '', /damaged|incomplete|unexpected end/i);

    writeFileSync(path, good);
    v = await rig.run(rig.service.startVerify(id));
    assert.equal(v.state, 'ok');
    assert.equal((await rig.service.get(id)).verify.state, 'verified');
  });

  it('takes an upload of its own archive back as a verified backup', async () => {
    const [latest] = await rig.service.list();
    const bytes = readFileSync(rig.service.store.archivePath(latest!.id));
    await rig.service.delete(latest!.id);
    assert.equal(await rig.service.store.has(latest!.id), false);
    const record = await rig.service.upload(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    assert.equal(record.id, latest!.id);
    assert.equal(record.uploaded, true);
    assert.equal(record.verify.state, 'verified');
    assert.deepEqual(readFileSync(rig.service.store.archivePath(record.id)), bytes);
  });
});

describe('a restore that fails part-way', () => {
  it('puts the previous files back and starts IRIS on them', async () => {
    const rig = await backupRig({ startFailures: 1, data: { writeIntervalMs: 0 } });
    try {
      const id = (await rig.run(rig.service.startBackup('manual'))).backupId!;
      rig.data.write();
      rig.data.write();
      const before = new Map(WRITABLE.map((n) => [n, sha(rig.data.read(n))]));
      const job = await rig.run(rig.service.startRestore(id, id));
      assert.equal(job.state, 'failed');
      assert.match(job.error ?? '', /did not answer after it was started/);
      const steps = Object.fromEntries(job.steps.map((s) => [s.text, s.state]));
      assert.equal(steps['Start IRIS'], 'failed');
      assert.equal(steps['Put the previous files back'], 'done');
      // The safety backup beside the failed start was let finish before the files went back.
      assert.equal(steps['Safety backup of the replaced databases, from the files set aside'], 'done');
      assert.match(job.steps.find((s) => s.text === 'Put the previous files back')?.detail ?? '', /the safety backup iris-\S+-safety holds them too/);
      assert.deepEqual(readdirSync(rig.service.store.workDir), []);
      for (const [name, hash] of before) assert.equal(sha(rig.data.read(name)), hash, `${name} is not as it was before the restore`);
      assert.ok((await rig.sim.snapshot()).productions.length > 0, 'IRIS runs again');
      assert.ok(!existsSync(join(rig.root, 'state', 'restore-journal.json')));
    } finally {
      await rig.close();
    }
  });
});

describe('bad input is refused with a clear message and leaves nothing behind', () => {
  let rig: BackupRig;
  let good: Buffer;
  before(async () => {
    rig = await backupRig({ uploadLimitBytes: 4 * 1024 * 1024 });
    const job = await rig.run(rig.service.startBackup('manual'));
    good = readFileSync(rig.service.store.archivePath(job.backupId!));
  });
  after(() => rig.close());

  const upload = (b: Buffer) => rig.service.upload(Readable.from([b]));
  const manifestOf = () => JSON.parse(execFileSync('tar', [codecOption(good), '-xOf', '-', 'manifest.json'], { input: good }).toString());

  it('an archive that is not ours, or not an archive at all', async () => {
    await rejectsWith(upload(await tarGz([{ name: 'etc/hosts', body: '127.0.0.1 localhost\n' }])), 'bad-archive', /not an IRIS Edge backup/);
    await rejectsWith(upload(Buffer.from('hello, this is not gzip')), 'bad-archive', /damaged or not a zstd/);
    await rejectsWith(upload(await tarGz([{ name: 'manifest.json', body: '{"format":"something-else"}' }])), 'bad-archive', /not an IRIS Edge manifest/);
  });

  it('a manifest whose checksums do not match, and a path-traversal entry', async () => {
    const m = manifestOf();
    const dat = Buffer.alloc(m.databases[0].size, 1);
    const wrong = { ...m, id: m.id.replace('manual', 'scheduled'), kind: 'scheduled', databases: [{ ...m.databases[0] }] };
    await rejectsWith(upload(await tarGz([{ name: 'manifest.json', body: JSON.stringify(wrong) }, { name: wrong.databases[0].file, body: dat }])), 'checksum', /does not match its SHA-256/);

    const traversal = { ...wrong, databases: [{ ...m.databases[0], file: '../../etc/passwd' }] };
    await rejectsWith(upload(await tarGz([{ name: 'manifest.json', body: JSON.stringify(traversal) }, { name: '../../etc/passwd', body: dat }])), 'bad-archive', /points at "\.\.\/\.\.\/etc\/passwd"/);
    const extra = await tarGz([{ name: 'manifest.json', body: JSON.stringify(wrong) }, { name: '../../etc/passwd', body: 'root:x:0:0' }]);
    await rejectsWith(upload(extra), 'bad-archive', /which its manifest does not list/);
  });

  it('an upload over the size limit, a duplicate, and names that are not backup ids', async () => {
    await rejectsWith(upload(Buffer.alloc(5 * 1024 * 1024)), 'too-large', /larger than 4\.2 MB/);
    await rejectsWith(upload(good), 'exists', /already here/);
    await rejectsWith(rig.service.get('../../etc/passwd'), 'bad-id', /is not a backup id/);
    await rejectsWith(rig.service.delete('../../etc/passwd'), 'bad-id', /is not a backup id/);
    assert.throws(() => rig.service.store.archivePath('../../etc/passwd'), /is not a backup id/);
    assert.deepEqual(readdirSync(rig.service.store.workDir), []);
    assert.equal((await rig.service.list()).length, 1);
  });

  it('a cron expression that is not one', async () => {
    const s = rig.service.schedule.settings;
    await rejectsWith(rig.service.updateSettings({ ...s, cron: 'every night' }), 'bad-schedule', /needs five fields/);
    await rejectsWith(rig.service.updateSettings({ ...s, cron: '61 3 * * *' }), 'bad-schedule', /Invalid value for minute: 61/);
    assert.equal(rig.service.schedule.settings.cron, '30 3 * * *');
  });
});

// In CI (CI=true) this never skips: without root the mount fails, and CI must run it.
describe('a full disk during a backup', { skip: process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'mounting a small tmpfs needs root' : false }, () => {
  let rig: BackupRig;
  let mount: string;
  before(async () => {
    mount = mkdtempSync(join(tmpdir(), 'iris-edge-full-'));
    // 6 databases x 80 blocks x 8 KB = 3.9 MB: the staging copy fits, the archive after it does not.
    const bytes = 6 * 80 * 8192;
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil(bytes * 1.05 + 1.3e6)}`, 'tmpfs', mount]);
    // Random blocks: no codec can make the archive small enough to fit after all.
    rig = await backupRig({ dir: mount, data: { blocks: 80, writeIntervalMs: 0, content: () => randomBytes(8192) } });
  });
  after(async () => {
    await rig.close();
    execFileSync('umount', [mount]);
  });

  it('fails clearly, removes the partial archive and thaws IRIS', async () => {
    const job = await rig.run(rig.service.startBackup('manual'));
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /The disk is full while/);
    assert.equal(job.steps.find((s) => s.state === 'failed')?.text, 'Write the archive');
    assert.equal(rig.data.frozen, false);
    assert.deepEqual(readdirSync(rig.service.store.workDir), []);
    assert.ok(!readdirSync(mount).some((f) => f.includes('.tar.')));
    const [failed] = await rig.service.list();
    assert.equal(failed?.result, 'failed');
  });

  it('refuses up front when even the copy cannot fit', async () => {
    writeFileSync(join(mount, 'filler'), Buffer.alloc(2_000_000));
    const job = await rig.run(rig.service.startBackup('manual'));
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /Not enough free space in .*: the backup needs about .* MB, .* MB is free/);
    assert.equal(rig.data.frozen, false);
  });
});
