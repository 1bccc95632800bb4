/** The copy under the freeze (src/backups/capture.ts): two files at a time, and nothing left running. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { captureDatabases } from '../../src/backups/capture.ts';
import { ProgressMeter } from '../../src/backups/progress.ts';
import type { DatabaseInfo } from '../../src/model/backup.ts';

const root = mkdtempSync(join(tmpdir(), 'iris-edge-capture-'));
after(() => rmSync(root, { recursive: true, force: true }));

function database(name: string, bytes: number): DatabaseInfo {
  const directory = join(root, 'mgr', name.toLowerCase()) + '/';
  mkdirSync(directory, { recursive: true });
  if (bytes >= 0) writeFileSync(join(directory, 'IRIS.DAT'), randomBytes(bytes));
  return { name, directory, sizeBytes: Math.max(bytes, 0), readOnly: false, mounted: true };
}

/** Names in the order the meter was told their copies were done. */
function recordingMeter(dbs: DatabaseInfo[]): { meter: ProgressMeter; done: string[] } {
  const done: string[] = [];
  let before = 0;
  // Every copy reports its whole size once: the growth of bytesDone names the database.
  const meter = new ProgressMeter((p) => {
    if (p.bytesDone > before) done.push(dbs.find((d) => d.sizeBytes === p.bytesDone - before)!.name);
    before = p.bytesDone;
  }, 0);
  meter.begin('copying', dbs.reduce((n, d) => n + d.sizeBytes, 0));
  return { meter, done };
}

describe('the copy under the freeze', () => {
  it('copies the largest file while the small ones are copied beside it, and lists them in the order given', async () => {
    const dbs = [database('ORDERS', 64 << 20), database('USER', 4096), database('IRISSECURITY', 8192)];
    const { meter, done } = recordingMeter(dbs);
    const staging = join(root, 'staging-order');
    const out = await captureDatabases(dbs, staging, meter);
    assert.deepEqual(done, ['IRISSECURITY', 'USER', 'ORDERS'], 'the small copies, larger first, were not made while the large one ran');
    assert.deepEqual(out.map((c) => c.name), ['ORDERS', 'USER', 'IRISSECURITY']);
    for (const c of out) assert.ok(readFileSync(c.staged).equals(readFileSync(join(c.directory, 'IRIS.DAT'))), `${c.name} copied whole`);
  });

  it('when a copy fails, returns the error only once no copy is running any more', async () => {
    const big = database('LAB', 96 << 20);
    const missing = database('GONE', -1);
    const staging = join(root, 'staging-failed');
    const { meter } = recordingMeter([big, missing]);
    await assert.rejects(captureDatabases([big, missing], staging, meter), /ENOENT/);
    assert.ok(existsSync(join(staging, 'LAB.DAT')));
    assert.equal(statSync(join(staging, 'LAB.DAT')).size, 96 << 20, 'the large copy was still being written after the error was returned');
  });
});
