/**
 * The two-way rig: a real Home Assistant (with the helpers `extraYaml` declares), mosquitto, and
 * the bridge on the simulator with the demo productions and the HOME production, whose
 * IrisEdge.HA.EventService and IrisEdge.HA.Operation the two-way tests and benches drive. The
 * bridge's log goes to `bridgeLog`; `close()` ends the run as endRun() does (the bridge first,
 * then Home Assistant's problems are checked, then the rest).
 */
import { startBridge, type RunningBridge } from '../../../src/app.ts';
import type { Config } from '../../../src/config/config.ts';
import { homeProduction } from '../../../src/iris/simulator/ha-event-service.ts';
import { IrisSimulator } from '../../../src/iris/simulator/index.ts';
import { demoScenario } from '../../../src/iris/simulator/scenarios.ts';
import { captureLogger, testConfig } from '../../support/fixtures.ts';
import { Mosquitto } from '../../support/mosquitto.ts';
import { endRun, startHomeAssistant, type HomeAssistant } from './home-assistant.ts';

export interface HomeRig {
  broker: Mosquitto;
  ha: HomeAssistant;
  sim: IrisSimulator;
  bridge: RunningBridge;
  close(): Promise<void>;
}

export async function startHomeRig(opts: { artifactDir: string; extraYaml: string; config: Partial<Config>; bridgeLog: string[] }): Promise<HomeRig> {
  const broker = await Mosquitto.start();
  const ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir: opts.artifactDir, extraYaml: opts.extraYaml });
  const sim = new IrisSimulator({ transitionMs: 100, productions: [...demoScenario(), homeProduction()] });
  const { log, lines } = captureLogger();
  lines.push = (...l: string[]) => opts.bridgeLog.push(...l);
  const config = testConfig({ mqtt: { source: 'default', url: broker.url }, pollIntervalMs: 1000, homeAssistant: { url: ha.url, token: ha.token }, ...opts.config });
  const bridge = await startBridge(config, log, { iris: sim, birthJitterMs: 500 });
  await ha.waitFor(() => opts.bridgeLog.some((l) => /Connected to Home Assistant/.test(l)), 30_000, 'the bridge to connect to Home Assistant');
  return {
    broker,
    ha,
    sim,
    bridge,
    close: () =>
      endRun({
        stopBridge: async () => {
          await bridge.stop();
          await sim.close();
        },
        ha,
        broker,
        artifactDir: opts.artifactDir,
        bridgeLog: opts.bridgeLog,
      }),
  };
}
