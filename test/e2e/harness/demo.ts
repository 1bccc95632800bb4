/**
 * One command for a person to click through: a real Home Assistant (with the frontend) + mosquitto
 * + the bridge on its IRIS simulator. Run through demo.sh (which prepares the chroot first):
 *   bash test/e2e/harness/demo.sh            (as root)
 * Env: DEMO_HA_PORT (default 8123, a free port if that one is taken). Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mosquitto, freePort } from '../../support/mosquitto.ts';
import { DEMO_LEVEL, DEMO_SWITCH } from '../../../src/iris/simulator/home-demo.ts';
import { startHomeAssistant, type HomeAssistant } from './home-assistant.ts';
import { HOME_DEMO_YAML, homeDemoEnv } from './home-demo.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const wanted = Number(process.env.DEMO_HA_PORT ?? 8123);
  const port = (await portIsFree(wanted)) ? wanted : await freePort();
  const broker = await Mosquitto.start();
  console.log(`mosquitto on ${broker.url}`);
  console.log('starting Home Assistant (frontend on) ...');
  let ha: HomeAssistant;
  try {
    ha = await startHomeAssistant({ mqttPort: broker.port, artifactDir: join(repo, '.artifacts', 'demo'), port, frontend: true, extraYaml: HOME_DEMO_YAML });
  } catch (err) {
    await broker.close();
    throw err;
  }

  let bridge: ChildProcess | undefined;
  const main = join(repo, 'src', 'main.ts');
  if (existsSync(main)) {
    const stateDir = join(repo, '.artifacts', 'demo', 'bridge');
    mkdirSync(stateDir, { recursive: true });
    bridge = spawn(join(repo, 'node_modules', '.bin', 'tsx'), [main], {
      cwd: repo,
      stdio: 'inherit',
      env: { ...process.env, MQTT_URL: broker.url, HA_URL: ha.url, HA_TOKEN: ha.token, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...homeDemoEnv(stateDir) },
    });
    bridge.on('exit', (code, signal) => {
      if (!stopping) console.log(`\nthe bridge exited (code ${code}, signal ${signal}); Home Assistant keeps running. Ctrl-C to stop.`);
    });
  } else {
    console.log(`\nthe bridge was not found (${main}); Home Assistant runs without it.`);
  }

  console.log(`
==========================================================================
 Home Assistant ${ha.version}:  ${ha.url}
 username: ${ha.username}
 password: ${ha.password}
 broker:   ${broker.url}   bridge: ${bridge ? 'npx tsx src/main.ts (simulator)' : 'not running'}
 Round trip: switch "IRIS Edge demo switch" (${DEMO_SWITCH}) on or off; the simulated
 HOME production sets "IRIS Edge demo level" (${DEMO_LEVEL}) to 100 or 0 through
 IrisEdge.HA.Operation. The panel's "Home Assistant ↔ IRIS" page shows both messages.
 Ctrl-C stops Home Assistant, the bridge and the broker.
==========================================================================
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping ...');
    if (bridge && bridge.exitCode === null && bridge.signalCode === null) {
      const gone = new Promise((r) => bridge!.once('exit', r));
      bridge.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (bridge.exitCode === null && bridge.signalCode === null) bridge.kill('SIGKILL');
    }
    await ha.stop();
    await broker.close();
    console.log(`stopped (Home Assistant log: ${join(repo, '.artifacts', 'demo', 'home-assistant.log')})`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
