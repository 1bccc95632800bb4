/**
 * The blueprints in blueprints/automation/iris_edge/ in a REAL Home Assistant Core, with a real
 * mosquitto and the bridge on the simulator: HA takes each file as its import dialog saves it
 * and refuses a broken one, an automation is created from each with the bridge's entities as
 * inputs, and when IRIS does the thing (a production turns troubled, a certificate nears expiry,
 * a backup fails) the automation's notification reaches a real notify entity (an MQTT one, so
 * the message can be read off the broker) and its other actions run.
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
import { SimulatedDatabases } from '../../src/iris/simulator/databases.ts';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { blueprintFiles, declaredInputs, suggestedPath, type BlueprintFile } from '../support/blueprints.ts';
import { captureLogger, testConfig } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const artifactDir = artifactDirFor('blueprints');
/** The phone: an MQTT notify entity whose messages the test reads off the broker. */
const PHONE = { entity: 'notify.test_phone', topic: 'blueprint-e2e/phone/message', config: 'homeassistant/notify/blueprint_e2e_phone/config' };
/** What the blueprints' "other actions" input fires in these automations. */
const ACTION_EVENT = 'blueprint_e2e_action';
const [SERVER, PROXY, LAB_CA] = ['iris_server', 'old_proxy', 'lab_ca'].map((c) => `sensor.iris_certificate_${c}_expiry`) as [string, string, string];
const CERT_SENSORS = [SERVER, PROXY, LAB_CA];

let root: string;
let broker: Mosquitto;
let observer: Observer;
let ha: HomeAssistant;
let sim: IrisSimulator;
let bridge: RunningBridge | undefined;
const bridgeLog: string[] = [];
const actions: { blueprint: string; trigger: string; title: string; message: string; extra: string }[] = [];
/** When the certificate automation's daily reminder runs: after the certificates reach HA. */
let reminderAt: string;
let unsubscribe: (() => Promise<void>) | undefined;

const files = new Map(blueprintFiles().map((f) => [f.path.split('/').pop()!.replace(/\.yaml$/, ''), f]));
const file = (name: string): BlueprintFile => files.get(name) ?? assert.fail(`no blueprint ${name}`);
const sourceUrl = (f: BlueprintFile) => String((f.data.blueprint as { source_url: string }).source_url);

/** A self-signed certificate that expires in `days` days, as PEM. */
function certificatePem(name: string, days: number): string {
  const dir = mkdtempSync(join(root, 'cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', `/CN=${name}`, '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  return readFileSync(join(dir, 'c.pem'), 'utf8');
}

/** The automation editor's save: POST /api/config/automation/config/<id>. */
async function saveAutomation(id: string, config: object): Promise<Response> {
  return fetch(`${ha.url}/api/config/automation/config/${id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ha.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
}

/** An automation from a blueprint, as the UI creates it; resolves when HA runs it. */
async function automationFrom(id: string, blueprint: string, input: Record<string, unknown>): Promise<void> {
  const res = await saveAutomation(id, { alias: `Blueprint ${id}`, description: '', use_blueprint: { path: suggestedPath(sourceUrl(file(blueprint))), input } });
  assert.equal(res.status, 200, await res.text());
  await ha.waitFor(async () => (await ha.state(`automation.blueprint_${id}`))?.state === 'on', 15_000, `automation.blueprint_${id} to be on`);
}

const actionInput = (blueprint: string) => [
  { event: ACTION_EVENT, event_data: { blueprint, trigger: '{{ trigger.id }}', title: '{{ title }}', message: '{{ message }}', extra: `{{ ${blueprint === 'troubled' ? 'production' : blueprint === 'certificate' ? 'reported | join(",")' : 'kind'} }}` } },
];

interface TraceSummary {
  trigger: string;
  script_execution: string | null;
  state: string;
}
const traces = (id: string) => ha.connection.sendMessagePromise<TraceSummary[]>({ type: 'trace/list', domain: 'automation', item_id: id });

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'iris-edge-blueprints-e2e-'));
  broker = await Mosquitto.start();
  observer = await Observer.connect(broker.url, [PHONE.topic]);
  ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir, automations: true });
  await observer.publish(PHONE.config, JSON.stringify({ name: 'Test phone', unique_id: 'blueprint_e2e_phone', default_entity_id: PHONE.entity, command_topic: PHONE.topic }), true);
  await ha.waitFor(async () => (await ha.state(PHONE.entity))?.state === 'unknown', 15_000, 'the MQTT notify entity');
  unsubscribe = await ha.connection.subscribeEvents<{ data: (typeof actions)[number] }>((e) => actions.push(e.data), ACTION_EVENT);
});

after(async () => {
  await unsubscribe?.().catch(() => undefined);
  await bridge?.stop();
  await sim?.close();
  await observer?.close();
  const problems = (await ha?.problems()) ?? [];
  await ha?.stop();
  await broker?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  mkdirSync(artifactDir, { recursive: true });
  writeFileSync(join(artifactDir, 'bridge.log'), bridgeLog.join('\n') + '\n');
  assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
});

describe('the IRIS Edge blueprints in a real Home Assistant', () => {
  it('are taken as the import dialog saves them, and listed valid with their inputs', async () => {
    for (const f of files.values()) {
      const saved = await ha.connection.sendMessagePromise<{ overrides_existing: boolean }>({
        type: 'blueprint/save',
        domain: 'automation',
        path: suggestedPath(sourceUrl(f)),
        yaml: f.text,
        source_url: sourceUrl(f),
      });
      assert.equal(saved.overrides_existing, false);
    }
    const listed = await ha.connection.sendMessagePromise<Record<string, { metadata?: { source_url: string; input: Record<string, unknown> }; error?: string }>>({
      type: 'blueprint/list',
      domain: 'automation',
    });
    for (const f of files.values()) {
      const entry = listed[suggestedPath(sourceUrl(f))];
      assert.equal(entry?.error, undefined, `${f.path}: ${entry?.error}`);
      assert.equal(entry?.metadata?.source_url, sourceUrl(f));
      assert.deepEqual(Object.keys(entry?.metadata?.input ?? {}).sort(), [...declaredInputs(f.data).keys()].sort());
    }
  });

  it('refuses a blueprint with a broken selector, and an automation that leaves a required input out', async () => {
    const f = file('production_troubled');
    const broken = f.text.replace('device_class: problem', 'device_class: problem\n              colour: red');
    assert.notEqual(broken, f.text);
    await assert.rejects(
      ha.connection.sendMessagePromise({ type: 'blueprint/save', domain: 'automation', path: 'iris-edge/broken.yaml', yaml: broken }),
      (err: { code?: string; message?: string }) => err.code === 'invalid_format' && /colour/.test(err.message ?? ''),
    );
    const listed = await ha.connection.sendMessagePromise<Record<string, unknown>>({ type: 'blueprint/list', domain: 'automation' });
    assert.equal(listed['iris-edge/broken.yaml'], undefined);

    const res = await saveAutomation('missing_input', { alias: 'Missing input', use_blueprint: { path: suggestedPath(sourceUrl(f)), input: {} } });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /troubled_sensors/);
  });

  it('creates an automation from each, with the entities the bridge will publish as inputs', async () => {
    await automationFrom('troubled', 'production_troubled', {
      troubled_sensors: ['binary_sensor.orders_production_troubled'],
      notify_entities: [PHONE.entity],
      extra_actions: actionInput('troubled'),
    });
    // The bridge starts next and looks at the certificate store once a minute; HA runs in UTC.
    reminderAt = new Date(Date.now() + 150_000).toISOString().slice(11, 19);
    await automationFrom('certificate', 'certificate_expiring', {
      certificate_sensors: CERT_SENSORS,
      days: 30,
      notify_time: reminderAt,
      extra_actions: actionInput('certificate'),
    });
    await automationFrom('backup', 'backup_failed', { notify_entities: [PHONE.entity] });
  });

  it('starts the bridge; then certificates 5, 20 and 100 days before expiry are imported', async () => {
    const databases = new SimulatedDatabases(join(root, 'iris'), { namespaces: ['ORDERS', 'LAB'], writeIntervalMs: 20 });
    sim = new IrisSimulator({ transitionMs: 100, databases });
    const { log, lines } = captureLogger();
    lines.push = (...l: string[]) => bridgeLog.push(...l);
    bridge = await startBridge(
      testConfig({
        mqtt: { source: 'default', url: broker.url },
        pollIntervalMs: 1000,
        homeAssistant: { url: ha.url, token: ha.token },
        certDir: join(root, 'certs'),
        stateDir: join(root, 'state'),
        backups: { dir: join(root, 'backups'), uploadLimitBytes: 1 << 26 },
      }),
      log,
      { iris: sim, birthJitterMs: 500, control: sim.owner },
    );
    await ha.waitFor(async () => (await ha.state('binary_sensor.orders_production_troubled'))?.state === 'off', 30_000, 'the Orders production to be running, not troubled');
    await ha.waitFor(async () => (await ha.state('button.iris_backup_now'))?.state === 'unknown', 30_000, 'the IRIS device to be complete');
    // Imported once Home Assistant has set the IRIS device up: the bridge finds them at its
    // next look at the store (every minute), which the certificate test waits for.
    const pems = { 'IRIS server': certificatePem('IRIS server', 5), 'Old proxy': certificatePem('Old proxy', 20), 'Lab CA': certificatePem('Lab CA', 100) };
    const store = new CertStore(join(root, 'certs'));
    await store.init();
    for (const [name, pem] of Object.entries(pems)) await store.add({ name, kind: 'certificate', certs: decodeInput({ pem }).certs });
  });

  it('troubled blueprint: notifies the phone and runs the other actions when the production turns troubled', async () => {
    const since = Date.now();
    sim.makeTroubled('ORDERS', 'Orders.Production');
    const sent = await observer.waitFor(PHONE.topic, (m) => m.includes('Orders Production'), 30_000, since);
    assert.match(sent.payload, /^IRIS reports Orders Production as troubled since \d\d:\d\d\. Its event log/);
    const seen = await ha.waitFor(() => actions.find((a) => a.blueprint === 'troubled'), 10_000, 'the other actions');
    assert.equal(seen.title, 'Orders Production is troubled');
    assert.equal(seen.extra, 'Orders Production');
    assert.equal(seen.message, sent.payload);
  });

  it('backup blueprint: notifies the phone with the reason when a backup fails', async () => {
    const since = Date.now();
    sim.setReachable(false);
    try {
      await ha.callService('button', 'press', { entity_id: 'button.iris_backup_now' });
      const sent = await observer.waitFor(PHONE.topic, (m) => m.startsWith('An IRIS Edge backup'), 30_000, since);
      assert.match(sent.payload, /^An IRIS Edge backup failed: .*IRIS does not answer.* The Backups page of the IRIS Edge panel shows its steps\.$/s);
      // extra_actions was left at its default (nothing more to do): the run still finished.
      await ha.waitFor(async () => (await traces('backup')).find((t) => t.state === 'stopped' && t.script_execution === 'finished'), 10_000, 'the backup run to finish');
    } finally {
      sim.setReachable(true);
    }
  });

  it('certificate blueprint: names each new certificate within 30 days of expiry as it arrives, not the other one', async () => {
    const changed = () => actions.filter((a) => a.blueprint === 'certificate' && a.trigger === 'changed');
    await ha.waitFor(() => changed().length >= 2, 90_000, 'the certificate automation to report the two certificates');
    const byEntity = new Map(changed().map((a) => [a.extra, a]));
    assert.deepEqual([...byEntity.keys()].sort(), [SERVER, PROXY].sort());
    assert.equal(byEntity.get(SERVER)?.title, 'A certificate expires within 30 days');
    assert.match(byEntity.get(SERVER)!.message, /^IRIS Certificate IRIS server expiry: expires in 4 days, on \d{4}-\d\d-\d\d\.\nRenew and import/);
    assert.match(byEntity.get(PROXY)!.message, /^IRIS Certificate Old proxy expiry: expires in 19 days, on /);
    // The third certificate's new date ran the automation too, and its condition held it back.
    await ha.waitFor(
      async () => (await traces('certificate')).find((t) => t.trigger.includes(LAB_CA) && t.state === 'stopped' && t.script_execution === 'failed_conditions'),
      // All three were stored at once, but the bridge may have looked at the store in between.
      75_000,
      'the Lab CA run to stop at the condition',
    );
    assert.equal(changed().length, 2);
  });

  it('certificate blueprint: the daily reminder lists every certificate within 30 days of expiry', async () => {
    const daily = await ha.waitFor(() => actions.find((a) => a.blueprint === 'certificate' && a.trigger === 'daily'), 180_000, `the daily reminder at ${reminderAt}`);
    assert.equal(daily.title, '2 certificates expire within 30 days');
    assert.equal(daily.extra, `${SERVER},${PROXY}`);
    assert.match(daily.message, /^IRIS Certificate IRIS server expiry: expires in 4 days, on [-\d]+\.\nIRIS Certificate Old proxy expiry: expires in 19 days, on [-\d]+\.\nRenew and import/);
  });
});
