/** Certificate expiry from a real store on disk to MQTT discovery and state. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { decodeInput } from '../../src/certs/decode.ts';
import { CertStore } from '../../src/certs/store.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { validateDiscovery } from '../support/discovery-validator.ts';
import { captureLogger, testConfig, waitFor } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';

const topics = new Topics('iris');
let dir: string;
let broker: Mosquitto;
let observer: Observer;
let running: RunningBridge;
let lines: string[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iris-edge-certs-'));
  // A certificate that expires in 5 days, made by openssl as a user's CA might.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '5', '-subj', '/CN=iris.lab.example', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  const store = new CertStore(join(dir, 'store'));
  await store.init();
  await store.add({ name: 'IRIS server', kind: 'certificate', certs: decodeInput({ pem: readFileSync(join(dir, 'c.pem'), 'utf8') }).certs });
  broker = await Mosquitto.start();
  observer = await Observer.connect(broker.url);
  const cap = captureLogger();
  lines = cap.lines;
  running = await startBridge(testConfig({ mqtt: { source: 'default', url: broker.url }, certDir: join(dir, 'store') }), cap.log, {
    iris: new IrisSimulator(),
    inventoryWindowMs: 200,
    discoveryHoldoffMs: 300,
  });
});
after(async () => {
  await running.stop();
  await observer.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('certificate expiry over MQTT', () => {
  it('shows each stored certificate and the soonest expiry as timestamp sensors, and warns in the log', async () => {
    const state = await waitFor(() => observer.latest(topics.instanceCertificates), 5000, 'the certificate state');
    const { soonest } = JSON.parse(state) as { soonest: string };
    const days = (Date.parse(soonest) - Date.now()) / 86_400_000;
    assert.ok(days > 4 && days <= 5, `expires in ${days} days`);
    // The list arrives after the device's first message: the sensors come with the next one.
    const withCert = (p: string) => Object.values((JSON.parse(p) as { cmps: Record<string, { name?: string }> }).cmps).some((c) => c.name === 'Certificate IRIS server expiry');
    await observer.waitFor(topics.instanceDiscovery(), withCert);
    assert.deepEqual(validateDiscovery(observer.retained('homeassistant/device/')), []);
    await waitFor(() => lines.find((l) => /stored certificate "IRIS server" expires in 4 days/.test(l)), 5000, 'the 7-day warning');
  });
});
