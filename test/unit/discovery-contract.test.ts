/**
 * The contract between the discovery payloads and the bridge's command parser: every payload Home
 * Assistant will send for a command entity (its pl_on, pl_off, pl_prs, pl_inst, or a select's
 * option, with HA's own defaults where a key is missing) is fed to the real CommandHandler on the
 * entity's command topic, and must do what the user asked. The expected effects are written by
 * hand per entity and HA service; a command entity without a row fails the test.
 *
 * The state side (every val_tpl rendered by HA's template engine against the real state payloads)
 * needs Home Assistant itself: test/e2e/discovery-contract.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../src/log/logger.ts';
import type { HostSnapshot } from '../../src/model/production.ts';
import { Monitor, type CommandResult } from '../../src/monitor/monitor.ts';
import type { ProductionView } from '../../src/model/view.ts';
import { backupComponents } from '../../src/mqtt/backup-sensors.ts';
import { certificateComponents } from '../../src/mqtt/cert-sensors.ts';
import { CommandHandler } from '../../src/mqtt/commands.ts';
import { instanceDiscovery, productionDiscovery, type Component, type DevicePayload } from '../../src/mqtt/discovery.ts';
import { hostComponentsForProduction, hostDiscovery, hostIds } from '../../src/mqtt/hosts.ts';
import { instanceSensorComponents } from '../../src/mqtt/instance-sensors.ts';
import { captureLogger, discoveryContext, waitFor } from '../support/fixtures.ts';

const ctx = discoveryContext();
const t = ctx.topics;

const host = (name: string, enabled = true): HostSnapshot => ({
  name, className: 'EnsLib.Demo', kind: 'operation', enabled, status: enabled ? 'ok' : 'disabled', queue: 0, errors: 0, lastActivity: null,
});
const production = (namespace: string, name: string, irisState: 'running' | 'stopped', hosts: HostSnapshot[]): ProductionView => ({
  key: `${namespace}/${name}`, namespace, name, irisState, state: irisState, commandInFlight: null, hosts, needsUpdate: false, updateReason: '',
});
// Orders.Production runs with its hosts on its own device; Orders.Replay.Production is stopped
// with its host on its own device (past the threshold), so both host layouts are covered.
const ORDERS = production('ORDERS', 'Orders.Production', 'running', [host('HL7.In.File'), host('HL7.Out.Lab', false)]);
const REPLAY = production('ORDERS', 'Orders.Replay.Production', 'stopped', [host('Replay.In.File')]);
const PRODUCTIONS = [ORDERS, REPLAY];

/** Every discovery payload the bridge can publish for this view, built by the real builders. */
function allPayloads(): { device: string; payload: DevicePayload }[] {
  const extras = {
    ...instanceSensorComponents(ctx, t.instanceMetrics, ['USER']),
    ...certificateComponents(ctx, t.instanceCertificates, [{ id: 'c1', name: 'LabTLS' }]),
    ...backupComponents(ctx, t),
  };
  return [
    { device: 'IRIS', payload: instanceDiscovery(ctx, PRODUCTIONS, extras) },
    { device: 'Orders Production', payload: productionDiscovery(ctx, ORDERS, hostComponentsForProduction(ctx, ORDERS), true) },
    { device: 'Orders Replay Production', payload: productionDiscovery(ctx, REPLAY, hostComponentsForProduction(ctx, REPLAY, true)) },
    { device: 'Replay.In.File', payload: hostDiscovery(ctx, hostIds(ctx.topics, REPLAY, 'replay_in_file'), REPLAY.hosts[0]!) },
  ];
}

/**
 * What Home Assistant publishes on cmd_t for each service of a command entity, with its defaults
 * (HA 2026.11 mqtt/const.py DEFAULT_PAYLOAD_ON "ON", DEFAULT_PAYLOAD_OFF "OFF",
 * DEFAULT_PAYLOAD_PRESS "PRESS"; mqtt/update.py has no default for payload_install; a select sends
 * the option itself when it has no command template).
 */
function haCommands(c: Component): [service: string, payload: string | undefined][] {
  switch (c.p) {
    case 'switch':
      return [['turn_on', (c.pl_on as string | undefined) ?? 'ON'], ['turn_off', (c.pl_off as string | undefined) ?? 'OFF']];
    case 'button':
      return [['press', (c.pl_prs as string | undefined) ?? 'PRESS']];
    case 'update':
      return [['install', c.pl_inst as string | undefined]];
    case 'select':
      assert.equal(c.cmd_tpl, undefined, 'a select command template would change what HA sends');
      return (c.ops as string[]).map((o) => [`select_option ${o}`, o]);
    default:
      throw new Error(`no HA command mapping for platform ${String(c.p)}`);
  }
}

/** device name -> component key -> HA service -> what must reach the monitor. Written by hand. */
const EXPECTED: Record<string, Record<string, Record<string, string[]>>> = {
  IRIS: {
    backup_now: { press: ['backup'] },
    // Choosing the stopped production stops the running one first; "No production" only stops.
    ns_orders_production: {
      'select_option Orders Production': [],
      'select_option Orders Replay Production': ['stop ORDERS/Orders.Production', 'start ORDERS/Orders.Replay.Production'],
      'select_option No production': ['stop ORDERS/Orders.Production'],
    },
  },
  'Orders Production': {
    running: { turn_on: ['start ORDERS/Orders.Production'], turn_off: ['stop ORDERS/Orders.Production'] },
    restart: { press: ['restart ORDERS/Orders.Production'] },
    apply_update: { press: ['update ORDERS/Orders.Production'] },
    recover: { press: ['recover ORDERS/Orders.Production'] },
    h_hl7_in_file_enabled: { turn_on: ['enable ORDERS/Orders.Production HL7.In.File'], turn_off: ['disable ORDERS/Orders.Production HL7.In.File'] },
    h_hl7_out_lab_enabled: { turn_on: ['enable ORDERS/Orders.Production HL7.Out.Lab'], turn_off: ['disable ORDERS/Orders.Production HL7.Out.Lab'] },
  },
  'Orders Replay Production': {
    running: { turn_on: ['start ORDERS/Orders.Replay.Production'], turn_off: ['stop ORDERS/Orders.Replay.Production'] },
    restart: { press: ['restart ORDERS/Orders.Replay.Production'] },
    apply_update: { press: ['update ORDERS/Orders.Replay.Production'] },
    recover: { press: ['recover ORDERS/Orders.Replay.Production'] },
  },
  'Replay.In.File': {
    enabled: { turn_on: ['enable ORDERS/Orders.Replay.Production Replay.In.File'], turn_off: ['disable ORDERS/Orders.Replay.Production Replay.In.File'] },
  },
};

/** A monitor that records what the command parser asks of it. */
function recordingMonitor(calls: string[]): Monitor {
  const done = async (): Promise<CommandResult> => ({ outcome: 'done' });
  return {
    view: { productions: PRODUCTIONS },
    execute: (ns: string, name: string, action: string) => (calls.push(`${action} ${ns}/${name}`), done()),
    setHostEnabled: (ns: string, name: string, h: string, enable: boolean) => (calls.push(`${enable ? 'enable' : 'disable'} ${ns}/${name} ${h}`), done()),
    // The real rule of which production to stop and start, over the recording execute() above.
    switchNamespace(this: Monitor, ns: string, production: string | null) {
      return Monitor.prototype.switchNamespace.call(this, ns, production);
    },
  } as unknown as Monitor;
}

/** Sends `payload` on `topic` through a fresh CommandHandler; resolves to what reached the monitor. */
async function effectOf(topic: string, payload: string, expected: number): Promise<{ calls: string[]; warnings: string[] }> {
  const calls: string[] = [];
  const { log, lines } = captureLogger();
  const handler = new CommandHandler(t, recordingMonitor(calls), log as Logger, () => () => calls.push('backup'));
  assert.equal(handler.handle(topic, Buffer.from(payload), { retain: false }), true, `${topic} is a command topic of ours`);
  // The handler runs commands asynchronously (a select stops, then starts).
  if (expected > 0) await waitFor(() => calls.length >= expected, 2000, `${expected} monitor call(s) for ${payload} on ${topic}`);
  return { calls, warnings: lines.filter((l) => / (WARN|ERROR): /.test(l)) };
}

describe('the update entity this replaced', () => {
  it('is gone: its INSTALL is ignored with a warning, and no production device has an update entity', async () => {
    const { calls, warnings } = await effectOf(t.productionUpdate(ORDERS), 'INSTALL', 0);
    assert.deepEqual(calls, []);
    assert.equal(warnings.length, 1);
    for (const { payload } of allPayloads()) assert.deepEqual(Object.values(payload.cmps).filter((c) => c.p === 'update'), []);
  });
});

describe('discovery contract: every command payload HA sends does what the user asked', () => {
  it('has a hand-written expectation for every command entity, and none for one that does not exist', () => {
    const found = allPayloads().flatMap(({ device, payload }) =>
      Object.entries(payload.cmps).filter(([, c]) => c.cmd_t !== undefined).map(([key]) => `${device} / ${key}`),
    );
    const expected = Object.entries(EXPECTED).flatMap(([device, cmps]) => Object.keys(cmps).map((key) => `${device} / ${key}`));
    assert.deepEqual(found.sort(), expected.sort());
  });

  for (const { device, payload } of allPayloads()) {
    for (const [key, c] of Object.entries(payload.cmps).filter(([, x]) => x.cmd_t !== undefined)) {
      it(`${device} / ${key} (${String(c.p)})`, async () => {
        const want = EXPECTED[device]?.[key];
        assert.ok(want, 'an expectation exists');
        const sent = haCommands(c);
        assert.deepEqual(sent.map(([service]) => service).sort(), Object.keys(want).sort(), 'the services HA offers');
        for (const [service, p] of sent) {
          assert.ok(p, `HA has a payload to send for ${service}`);
          const { calls, warnings } = await effectOf(c.cmd_t as string, p, want[service]!.length);
          assert.deepEqual(calls, want[service], `${service} sends ${JSON.stringify(p)}`);
          assert.deepEqual(warnings, [], `${service}: the parser accepts ${JSON.stringify(p)}`);
        }
      });
    }
  }
});
