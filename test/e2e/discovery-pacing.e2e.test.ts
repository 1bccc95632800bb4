/**
 * Components that join a device after its first discovery message reach Home Assistant.
 *
 * The case users met: the certificate list is read after the IRIS device's first message, so the
 * certificate expiry sensors come with a second message about 110 ms later, while Home Assistant
 * still sets up the first one, and Home Assistant 2026.11 drops every component of a device message
 * after one that is still pending (components/mqtt/discovery.py; see src/mqtt/pacer.ts). Here the
 * real bridge starts with a stored certificate against a real Home Assistant, and every sensor,
 * the late ones included, must be there.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto, openssl.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { decodeInput } from '../../src/certs/decode.ts';
import { CertStore } from '../../src/certs/store.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { DEFAULT_DISCOVERY_HOLDOFF_MS } from '../../src/mqtt/bridge.ts';
import { Topics } from '../../src/mqtt/topics.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('discovery-pacing');
const topics = new Topics('iris');
const PANEL = 'homeassistant://hassio/ingress/iris_edge';

let dir: string;
let store: CertStore;
let broker: Mosquitto;
let ha: HomeAssistant;
let observer: Observer;
let bridge: RunningBridge | undefined;
const bridgeLog: string[] = [];

function certificate(cn: string): string {
  const out = join(dir, `${cn}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${cn}`, '-keyout', join(dir, `${cn}.key`), '-out', out], { stdio: 'ignore' });
  return readFileSync(out, 'utf8');
}

const cmpsOf = (payload: string) => Object.keys((JSON.parse(payload) as { cmps: Record<string, unknown> }).cmps);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iris-edge-pacing-'));
  store = new CertStore(join(dir, 'store'));
  await store.init();
  await store.add({ name: 'IRIS server', kind: 'certificate', certs: decodeInput({ pem: certificate('iris.lab.example') }).certs });
  broker = await Mosquitto.start();
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir });
  observer = await Observer.connect(broker.url);
  const { log, lines } = captureLogger();
  lines.push = (...l: string[]) => bridgeLog.push(...l);
  // The default hold-off, as users run it. DISCOVERY_HOLDOFF_MS=0 shows the loss this prevents
  // (without pacing the certificate sensors were missing in one run of two here).
  bridge = await startBridge(testConfig({ mqtt: { source: 'default', url: broker.url }, certDir: join(dir, 'store') }), log, {
    iris: new IrisSimulator(),
    panelUrl: PANEL,
    discoveryHoldoffMs: Number(process.env.DISCOVERY_HOLDOFF_MS ?? DEFAULT_DISCOVERY_HOLDOFF_MS),
  });
});

after(async () => {
  await bridge?.stop();
  await observer?.close();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(join(artifactDir, 'bridge.log'), bridgeLog.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

describe('discovery of components added after start, in a real Home Assistant', () => {
  it('creates the certificate sensors that only a later message of the IRIS device carries', async () => {
    // The case itself: the device's first message has no certificate sensor, a later one has.
    const messages = () => observer.messages.filter((m) => m.topic === topics.instanceDiscovery() && m.payload !== '');
    const late = await observer.waitFor(topics.instanceDiscovery(), (p) => cmpsOf(p).includes('cert_soonest'), DEFAULT_DISCOVERY_HOLDOFF_MS + 10_000);
    const first = messages()[0];
    assert.ok(first, 'the device was announced');
    assert.equal(cmpsOf(first.payload).includes('cert_soonest'), false, 'the first message came before the certificate list');
    assert.ok(late.at >= first.at);

    const expiry = await ha.waitFor(async () => {
      const st = await ha.state('sensor.iris_certificate_iris_server_expiry');
      return st && st.state !== 'unknown' && st.state !== 'unavailable' ? st : undefined;
    }, 30_000, 'the certificate expiry sensor');
    assert.equal(expiry.attributes.device_class, 'timestamp');
    const days = (Date.parse(expiry.state) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `expires in ${days} days`);
    assert.equal((await ha.state('sensor.iris_soonest_certificate_expiry'))?.state, expiry.state);
    // Nothing that came with the first message was lost either.
    assert.equal((await ha.state('binary_sensor.iris_reachable'))?.state, 'on');
    const registry = await ha.entityRegistry();
    for (const c of cmpsOf(late.payload)) {
      assert.ok(registry.some((e) => e.platform === 'mqtt' && e.unique_id === `${topics.instanceDeviceId}_${c === 'events' ? 'alerts' : c}`), `component ${c} is an entity`);
    }
  });

  it('links every device to the panel, and names InterSystems only for its own classes', async () => {
    const devices = (await ha.deviceRegistry()).filter((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id.startsWith(topics.nodeId)));
    assert.ok(devices.length >= 4, `${devices.length} devices`);
    for (const d of devices) assert.equal((d as { configuration_url?: string | null }).configuration_url, PANEL, d.name ?? '');
    const iris = devices.find((d) => d.identifiers.some(([, id]) => id === topics.instanceDeviceId));
    assert.equal(iris?.manufacturer, 'InterSystems');
    const orders = devices.find((d) => d.identifiers.some(([, id]) => id === topics.productionDeviceId({ namespace: 'ORDERS', name: 'Orders.Production' })));
    assert.equal(orders?.manufacturer, null, 'a production is the user\'s own class');
  });
});
