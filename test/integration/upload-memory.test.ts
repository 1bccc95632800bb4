/**
 * The bridge does not hold an upload in memory: the whole bridge as a separate process (as in
 * the add-on), a 256 MiB backup archive sent to it through the ingress stand-in (streamed, as
 * the Supervisor streams it with ingress_stream), and the process's peak resident memory measured
 * by the kernel around the upload. Linux resets the peak ("VmHWM") to the current size when "5"
 * is written to /proc/<pid>/clear_refs (proc(5)), so the growth counts from the upload's start.
 * A bridge that buffered the body would grow by at least the body's size.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBridge, type BridgeProcess } from '../support/bridge-process.ts';
import { writeLargeArchive } from '../support/backups.ts';
import { waitFor } from '../support/fixtures.ts';
import { startIngressProxy, type IngressProxy } from '../support/ingress-proxy.ts';
import { Mosquitto } from '../support/mosquitto.ts';

const MiB = 1024 * 1024;
const BODY = 256 * MiB;
/** Well under the body: buffers, socket chunks and garbage not yet collected, never the upload. */
const BOUND = 96 * MiB;

/** A "Vm..." figure of /proc/<pid>/status, in bytes. */
function vm(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `${field} of ${pid}`);
  return Number(m[1]) * 1024;
}

let broker: Mosquitto;
let bridge: BridgeProcess;
let proxy: IngressProxy;
let dir: string;

before(async () => {
  broker = await Mosquitto.start();
  dir = mkdtempSync(join(tmpdir(), 'iris-edge-upload-memory-'));
  bridge = runBridge({
    MQTT_URL: broker.url,
    IRIS_EDGE_STATE_DIR: join(dir, 'state'),
    IRIS_EDGE_BACKUP_DIR: join(dir, 'backups'),
    IRIS_EDGE_CERT_DIR: join(dir, 'certs'),
    IRIS_EDGE_SIMULATOR_WRITE_MS: '0',
  });
  const url = await waitFor(() => /Panel at (http:\/\/\S+\/)/.exec(bridge.output())?.[1], 30_000, 'the panel').catch((err: Error) => {
    bridge.proc.kill('SIGKILL');
    throw new Error(`${err.message}\n${bridge.output()}`);
  });
  proxy = await startIngressProxy(url);
});
after(async () => {
  await proxy?.close();
  bridge?.proc.kill('SIGTERM');
  await bridge?.exited();
  await broker?.close();
});

describe('a large upload and the bridge’s memory', () => {
  it(`receives ${BODY / MiB} MiB through ingress with its peak memory growing by less than ${BOUND / MiB} MiB`, { skip: !existsSync('/proc/self/clear_refs') && 'needs Linux /proc' }, async (t) => {
    const file = join(dir, 'large.tar.gz');
    const { id, bytes } = await writeLargeArchive(file, BODY, new Date('2026-09-01T06:00:00Z'));
    const pid = bridge.proc.pid as number;
    // The bridge settled: a request answered, the start-up's garbage left behind, then the peak reset.
    assert.equal((await fetch(`${proxy.url}api/backups`)).status, 200);
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const start = vm(pid, 'VmRSS');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${proxy.url}api/backups/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-iris-edge': '1', 'content-length': String(bytes) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      createReadStream(file).pipe(req);
    });
    const growth = vm(pid, 'VmHWM') - start;
    assert.equal(status, 201, bridge.output().slice(-2000));
    const listed = (await (await fetch(`${proxy.url}api/backups`)).json()) as { backups: { id: string }[] };
    assert.ok(listed.backups.some((b) => b.id === id));
    t.diagnostic(`upload of ${(bytes / MiB).toFixed(0)} MiB: bridge RSS ${(start / MiB).toFixed(0)} MiB at the start, peak +${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(growth < BOUND, `the bridge's peak memory grew by ${(growth / MiB).toFixed(1)} MiB while receiving ${(bytes / MiB).toFixed(0)} MiB`);
  });
});
