/**
 * The contract between the discovery payloads and the state payloads, judged by Home Assistant's
 * own template engine: every val_tpl the bridge announces is rendered by the real HA (websocket
 * render_template, strict, with the `value` and `value_json` variables MQTT gives a value template)
 * against the state payloads the bridge publishes, built by its real state functions for running,
 * stopped, troubled, unknown and missing figures. Each result must be a state HA accepts for that
 * entity: an option of an enum, a number where a unit or state class asks for one, a timestamp
 * with its timezone, the on/off payload of a switch or binary sensor; and, for the hand-written
 * cases below, the state a user must see.
 *
 * Why HA and not a copy of Jinja: MQTT templates run in HA's sandboxed environment, with its
 * filters and its handling of undefined values; only HA itself says what it renders.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toInstanceMetrics } from '../../src/iris/monitor-api/metrics.ts';
import { parsePrometheus } from '../../src/iris/monitor-api/prometheus.ts';
import { startSimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import type { HostSnapshot } from '../../src/model/production.ts';
import type { MonitorView, ProductionView } from '../../src/model/view.ts';
import { backupComponents, backupState } from '../../src/mqtt/backup-sensors.ts';
import { certificateComponents, certificateState } from '../../src/mqtt/cert-sensors.ts';
import { instanceDiscovery, productionDiscovery, type Component, type DevicePayload } from '../../src/mqtt/discovery.ts';
import { hostComponentsForProduction, hostDiscovery, hostIds } from '../../src/mqtt/hosts.ts';
import { instanceSensorComponents, metricsState } from '../../src/mqtt/instance-sensors.ts';
import { hostState, instanceState, namespaceState, productionState } from '../../src/mqtt/state.ts';
import { discoveryContext } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';

const ctx = discoveryContext();
const t = ctx.topics;

const host = (name: string, over: Partial<HostSnapshot> = {}): HostSnapshot => ({
  name, className: 'EnsLib.Demo', kind: 'operation', enabled: true, status: 'ok', queue: 0, errors: 0, lastActivity: null, ...over,
});
const production = (name: string, irisState: ProductionView['irisState'], hosts: HostSnapshot[], over: Partial<ProductionView> = {}): ProductionView => ({
  key: `ORDERS/${name}`, namespace: 'ORDERS', name, irisState, state: irisState, commandInFlight: null, hosts, needsUpdate: false, updateReason: '', ...over,
});

/** One situation of IRIS: the payload on every state topic, and the states a user must see then. */
interface Scenario {
  name: string;
  payloads: Map<string, string>;
  /** "device / component key" -> the rendered value HA must get. */
  expect: Record<string, string>;
}

const HOSTS = ['HL7.In.File', 'HL7.Out.Lab'];

/** Every discovery payload, built by the real builders (hosts both on the production's device and on their own). */
function discovery(): { device: string; payload: DevicePayload }[] {
  const p = production('Orders.Production', 'running', HOSTS.map((h) => host(h)));
  const own = production('Orders.Replay.Production', 'stopped', [host('Replay.In.File')]);
  const extras = {
    ...instanceSensorComponents(ctx, t.instanceMetrics, ['USER', 'IRISSYS']),
    ...certificateComponents(ctx, t.instanceCertificates, [{ id: 'c1', name: 'LabTLS' }]),
    ...backupComponents(ctx, t),
  };
  return [
    { device: 'IRIS', payload: instanceDiscovery(ctx, [p, own], extras) },
    { device: 'Orders Production', payload: productionDiscovery(ctx, p, hostComponentsForProduction(ctx, p), true) },
    { device: 'Orders Replay Production', payload: productionDiscovery(ctx, own, {}, true) },
    { device: 'Replay.In.File', payload: hostDiscovery(ctx, hostIds(ctx.topics, own, 'replay_in_file'), own.hosts[0]!) },
  ];
}

/** The state payloads the bridge publishes for `view` (src/mqtt/bridge.ts sync). */
function statePayloads(view: MonitorView, extra: [string, string][]): Map<string, string> {
  const out = new Map<string, string>(extra);
  out.set(t.instanceState, instanceState(view, '1.2.3'));
  out.set(t.irisAvailability, view.reachable ? 'online' : 'offline');
  for (const p of view.productions) {
    const interop = view.metrics?.interop.find((i) => i.production === p.name);
    out.set(t.productionState(p), productionState(p, interop ?? { production: p.name, namespace: null, queued: null, errored: null, messages: null }));
    for (const h of p.hosts) out.set(t.hostState(p, h.name), hostState(h));
    out.set(t.namespaceState(p.namespace), namespaceState(p.namespace, view.productions));
  }
  return out;
}

async function scenarios(): Promise<Scenario[]> {
  // A full scrape as IRIS's /api/monitor/metrics serves it (the simulated one), with interop figures.
  const api = await startSimulatedMonitorApi();
  let text: string;
  try {
    api.enableInterop('Orders.Production', 'ORDERS', { messages: 120 });
    const res = await fetch(`${api.url}/api/monitor/metrics`, { signal: AbortSignal.timeout(10_000) });
    text = await res.text();
  } finally {
    await api.close();
  }
  const now = new Date('2026-12-02T10:00:00Z');
  const full = toInstanceMetrics(parsePrometheus(text).samples, now);
  const none = toInstanceMetrics([], now);
  const instance = { version: 'IRIS for UNIX 2026.1', versionNumber: '2026.1.0.213.0' };

  const running: MonitorView = {
    reachable: true, inventoried: true, instance, metrics: full,
    productions: [
      production('Orders.Production', 'running', [host('HL7.In.File', { queue: 12, errors: 2, lastActivity: '2026-12-02T09:59:58.123Z' }), host('HL7.Out.Lab', { enabled: false, status: 'disabled' })]),
      production('Orders.Replay.Production', 'stopped', [host('Replay.In.File', { status: 'stopped' })]),
    ],
  };
  const troubled: MonitorView = {
    reachable: false, inventoried: true, instance: null, metrics: none,
    productions: [
      production('Orders.Production', 'troubled', [host('HL7.In.File', { status: 'error', errors: 7 }), host('HL7.Out.Lab', { status: 'retry' })], { needsUpdate: true, updateReason: 'HL7.In.File settings changed' }),
      production('Orders.Replay.Production', 'stopped', [host('Replay.In.File', { status: 'stopped' })], { commandInFlight: 'start', state: 'starting' }),
    ],
  };
  const certs = (notAfter: string | null): [string, string] => [t.instanceCertificates, certificateState(notAfter ? [{ id: 'c1', name: 'LabTLS', notAfter }] : [])];
  return [
    {
      name: 'IRIS running, every figure known, a backup made',
      payloads: statePayloads(running, [
        [t.instanceMetrics, metricsState(full)],
        certs('2027-01-01T00:00:00Z'),
        [t.instanceBackups, backupState({ last: { at: '2026-12-02T03:30:00Z', result: 'ok', id: 'b1', error: null }, nextRun: '2026-12-03T03:30:00Z', totalBytes: 123_456_789, count: 1 })],
      ]),
      expect: {
        'IRIS / reachable': 'online',
        'IRIS / version': '2026.1.0.213.0',
        'IRIS / bridge_version': '1.2.3',
        'IRIS / ns_orders_production': 'Orders Production',
        'IRIS / backup_result': 'success',
        'IRIS / backup_size': '123.5',
        'Orders Production / running': 'ON',
        'Orders Production / status': 'running',
        'Orders Production / troubled': 'OFF',
        'Orders Production / config_pending': 'OFF',
        'Orders Production / queue': '10',
        'Orders Production / errors': '2',
        'Orders Production / h_hl7_in_file_enabled': 'ON',
        'Orders Production / h_hl7_in_file_queue': '10',
        'Orders Production / h_hl7_out_lab_enabled': 'OFF',
        'Orders Production / h_hl7_out_lab_status': 'disabled',
        'Orders Replay Production / running': 'OFF',
        'Orders Replay Production / status': 'stopped',
        'Replay.In.File / status': 'stopped',
      },
    },
    {
      name: 'IRIS unreachable, figures unknown, a production troubled, a start in flight, no backup yet',
      payloads: statePayloads(troubled, [
        [t.instanceMetrics, metricsState(none)],
        certs(null),
        [t.instanceBackups, backupState({ last: null, nextRun: null, totalBytes: 0, count: 0 })],
      ]),
      expect: {
        'IRIS / reachable': 'offline',
        'IRIS / version': 'None',
        'IRIS / cpu': 'None',
        'IRIS / db_user_size': 'None',
        'IRIS / cert_c1': 'None',
        'IRIS / backup_last': 'None',
        'IRIS / ns_orders_production': 'Orders Production',
        // Troubled is still running: the switch stays on, the problem sensor goes on.
        'Orders Production / running': 'ON',
        'Orders Production / status': 'troubled',
        'Orders Production / troubled': 'ON',
        'Orders Production / config_pending': 'ON',
        'Orders Production / h_hl7_in_file_status': 'error',
        'Orders Replay Production / status': 'starting',
        'Orders Replay Production / running': 'OFF',
      },
    },
    {
      name: 'IRIS gives a state code the bridge does not know',
      payloads: statePayloads({ ...running, productions: running.productions.map((p, n) => (n === 0 ? { ...p, irisState: 'unknown' as const, state: 'unknown' as const } : p)) }, [
        [t.instanceMetrics, metricsState(full)],
        certs('2027-01-01T00:00:00Z'),
        [t.instanceBackups, backupState({ last: null, nextRun: null, totalBytes: 0, count: 0 })],
      ]),
      expect: {
        // Home Assistant's own unknown, not an option of the enum.
        'Orders Production / status': 'None',
        'Orders Production / running': 'OFF',
      },
    },
  ];
}

/** Why `value` is not a state HA accepts for component `c`, or null. */
function unacceptable(c: Component, value: string): string | null {
  const on = (c.pl_on as string | undefined) ?? 'ON';
  const off = (c.pl_off as string | undefined) ?? 'OFF';
  switch (c.p) {
    case 'switch': {
      // HA mqtt/switch.py: state_on/state_off default to payload_on/payload_off.
      const states = [(c.stat_on as string | undefined) ?? on, (c.stat_off as string | undefined) ?? off];
      return states.includes(value) ? null : `not one of the switch states ${JSON.stringify(states)}`;
    }
    case 'binary_sensor':
      return [on, off].includes(value) ? null : `not one of the binary sensor payloads ${JSON.stringify([on, off])}`;
    case 'select':
      return (c.ops as string[]).includes(value) ? null : `not an option of ${JSON.stringify(c.ops)}`;
    case 'sensor': {
      if (value === 'None') return null; // HA mqtt/sensor.py PAYLOAD_NONE: unknown
      if (value.length > 255) return 'longer than 255 characters';
      if (c.dev_cla === 'enum') return (c.ops as string[]).includes(value) ? null : `not an option of ${JSON.stringify(c.ops)}`;
      if (c.dev_cla === 'timestamp') return /(?:Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value)) ? null : 'not a timestamp with a timezone';
      const numeric = c.unit_of_meas !== undefined || c.stat_cla !== undefined || c.sug_dsp_prc !== undefined;
      if (numeric) return value.trim() !== '' && Number.isFinite(Number(value)) ? null : 'not a number, although the sensor has a unit or state class';
      return value === '' ? 'empty' : null;
    }
    default:
      return `no rule for platform ${String(c.p)}`;
  }
}

describe('discovery contract: every val_tpl, rendered by Home Assistant against the real state payloads', () => {
  let broker: Mosquitto;
  let ha: HomeAssistant;

  before(async () => {
    broker = await Mosquitto.start();
    ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir: artifactDirFor('discovery-contract') });
  });

  after(async () => {
    const problems = (await ha?.problems()) ?? [];
    await ha?.stop();
    await broker?.close();
    assert.deepEqual(problems, [], 'Home Assistant logged warnings or kept placeholder devices');
  });

  /**
   * HA's render_template (strict: an undefined variable is an error, not an empty string). The
   * websocket returns the result parsed into a native type ("None" comes back as null); MQTT
   * renders without that parsing (parse_result=False), so the template is framed by text that no
   * parser takes for a literal, and the frame is cut off again.
   */
  async function render(template: string, payload: string): Promise<string> {
    const FRAME = '<iris-edge>';
    let valueJson: unknown;
    try {
      valueJson = JSON.parse(payload);
    } catch {
      valueJson = undefined;
    }
    // mqtt/models.py MqttValueTemplate: `value` always, `value_json` when the payload is JSON.
    const variables = valueJson === undefined ? { value: payload } : { value: payload, value_json: valueJson };
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`render_template gave no result for ${template}`)), 10_000);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        void unsubscribe.then((u) => u()).catch(() => undefined);
        fn();
      };
      const unsubscribe = ha.connection.subscribeMessage<{ result?: unknown; error?: string; level?: string }>(
        (msg) => {
          if (msg.error !== undefined) done(() => reject(new Error(`${msg.level ?? 'error'}: ${msg.error}`)));
          else if (typeof msg.result === 'string' && msg.result.startsWith(FRAME) && msg.result.endsWith(FRAME)) done(() => resolve((msg.result as string).slice(FRAME.length, -FRAME.length)));
          else done(() => reject(new Error(`unframed result ${JSON.stringify(msg.result)}`)));
        },
        { type: 'render_template', template: FRAME + template + FRAME, variables, strict: true, report_errors: true },
      );
      unsubscribe.catch((err: unknown) => done(() => reject(err instanceof Error ? err : new Error(JSON.stringify(err)))));
    });
  }

  it('renders every val_tpl to a state HA accepts, and to the expected state in the hand-written cases', async () => {
    const payloads = discovery();
    let rendered = 0;
    const failures: string[] = [];
    for (const sc of await scenarios()) {
      const seen = new Set<string>();
      for (const { device, payload } of payloads) {
        for (const [key, c] of Object.entries(payload.cmps)) {
          // Buttons have no state; events and the update entity read JSON without a value template.
          if (c.p === 'event' || c.p === 'button' || c.p === 'update') continue;
          const name = `${device} / ${key}`;
          const topic = (c.stat_t ?? payload.stat_t) as string | undefined;
          assert.ok(topic, `${name} has a state topic`);
          const statePayload = sc.payloads.get(topic);
          assert.ok(statePayload !== undefined, `${sc.name}: the bridge publishes ${topic} (${name})`);
          const template = c.val_tpl as string | undefined;
          const want = sc.expect[name];
          if (want !== undefined) seen.add(name);
          let value: string;
          try {
            value = template === undefined ? statePayload : await render(template, statePayload);
          } catch (err) {
            failures.push(`${sc.name}: ${name}: ${template} fails on ${statePayload}: ${(err as Error).message}`);
            continue;
          }
          rendered++;
          if (typeof c.json_attr_tpl === 'string') {
            // HA mqtt/mixins MqttAttributesMixin: the rendered attributes must be a JSON object.
            const attrs = await render(c.json_attr_tpl, sc.payloads.get(c.json_attr_t as string) ?? '');
            let parsed: unknown;
            try {
              parsed = JSON.parse(attrs);
            } catch {
              parsed = undefined;
            }
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) failures.push(`${sc.name}: ${name}: json_attr_tpl gives ${JSON.stringify(attrs)}, not a JSON object`);
          }
          const why = unacceptable(c, value);
          if (why) failures.push(`${sc.name}: ${name}: ${template} gives ${JSON.stringify(value)}, ${why}`);
          if (want !== undefined && value !== want) failures.push(`${sc.name}: ${name}: ${template} gives ${JSON.stringify(value)}, expected ${JSON.stringify(want)}`);
        }
      }
      assert.deepEqual([...seen].sort(), Object.keys(sc.expect).sort(), `${sc.name}: every hand-written case names an existing component`);
    }
    assert.deepEqual(failures, []);
    console.log(`rendered ${rendered} value templates in Home Assistant ${ha.version}`);
  });

});
