/**
 * The demo's round trip (npm run demo:ha) against a REAL Home Assistant: the bridge started from
 * the environment demo.ts gives it (the simulator's "home" scenario, the options file that
 * allows the round trip) with the helpers demo.ts declares. Switching the demo switch in Home
 * Assistant reaches the HOME production, whose logic calls input_number.set_value back through
 * IrisEdge.HA.Operation and IrisEdge.HA.Home: the level follows the switch, both ways, and the
 * panel's record shows the message each way.
 *
 * Needs: bash test/e2e/harness/prepare.sh (as root), mosquitto.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBridge, type RunningBridge } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { DEMO_LEVEL, DEMO_SWITCH } from '../../src/iris/simulator/home-demo.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { captureLogger } from '../support/fixtures.ts';
import { Mosquitto } from '../support/mosquitto.ts';
import { artifactDirFor, endRun, startHomeAssistant, type HomeAssistant } from './harness/home-assistant.ts';
import { HOME_DEMO_YAML, homeDemoEnv } from './harness/home-demo.ts';

const artifactDir = artifactDirFor('home-demo');
const dir = mkdtempSync(join(tmpdir(), 'home-demo-'));
let broker: Mosquitto;
let ha: HomeAssistant;
let bridge: RunningBridge | undefined;
const bridgeLog: string[] = [];

async function panelFlows(): Promise<{ toIris: { recent: { subject: string; outcome: string }[] }; fromIris: { recent: { subject: string; outcome: string }[] } }> {
  const r = await fetch(`${bridge?.panel?.url}api/ha-flows`);
  assert.equal(r.status, 200);
  return (await r.json()) as never;
}

describe('the demo round trip against a real Home Assistant', () => {
  before(async () => {
    broker = await Mosquitto.start();
    ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir, extraYaml: HOME_DEMO_YAML });
    const config = loadConfig({
      env: { MQTT_URL: broker.url, HA_URL: ha.url, HA_TOKEN: ha.token, IRIS_EDGE_STATE_DIR: join(dir, 'state'), IRIS_EDGE_CERT_DIR: join(dir, 'certs'), IRIS_EDGE_BACKUP_DIR: join(dir, 'backups'), PANEL_PORT: '0', MCP_PORT: '0', ...homeDemoEnv(dir) },
      argv: [],
    });
    const { log, lines } = captureLogger();
    lines.push = (...l: string[]) => bridgeLog.push(...l);
    bridge = await startBridge(config, log, { panelLogs: new LogBuffer(200), panelUrl: 'http://panel.invalid' });
    await ha.waitFor(() => bridgeLog.some((l) => /Connected to Home Assistant/.test(l)), 60_000, 'the bridge to connect to Home Assistant');
  });
  after(async () => {
    await endRun({ stopBridge: async () => bridge?.stop(), ha, broker, artifactDir, bridgeLog });
    rmSync(dir, { recursive: true, force: true });
  });

  it('the level follows the switch through the HOME production, both ways', async () => {
    await ha.callService('input_boolean', 'turn_on', { entity_id: DEMO_SWITCH });
    await ha.waitFor(async () => (await ha.state(DEMO_LEVEL))?.state === '100.0', 60_000, `${DEMO_LEVEL} to become 100`);
    await ha.callService('input_boolean', 'turn_off', { entity_id: DEMO_SWITCH });
    await ha.waitFor(async () => (await ha.state(DEMO_LEVEL))?.state === '0.0', 60_000, `${DEMO_LEVEL} to become 0`);
    const flows = await panelFlows();
    assert.deepEqual(flows.toIris.recent.filter((e) => e.subject === DEMO_SWITCH).map((e) => e.outcome), ['delivered', 'delivered']);
    assert.deepEqual(flows.fromIris.recent.filter((e) => e.subject === 'input_number.set_value').map((e) => e.outcome), ['delivered', 'delivered']);
    assert.ok(!bridgeLog.some((l) => /could not set|Refused a call/.test(l)), bridgeLog.join('\n'));
  });
});
