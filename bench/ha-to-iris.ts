/**
 * Bench: Home Assistant state change -> the production's business service. A real Home Assistant
 * (the e2e chroot: run as root after test/e2e/harness/prepare.sh), mosquitto, and the bridge on the
 * simulator with a HOME production whose IrisEdge.HA.EventService takes the changes of
 * input_boolean.*. Toggles one helper TOGGLES times (default 100), one at a time, and prints the
 * median, 95th and 99th percentile of two delays: from Home Assistant's time_fired to the service
 * receiving the event, and from the toggle call to the service receiving it. Then the same with a
 * burst of toggles sent without waiting. Figures only; nothing passes or fails. The load average
 * is printed beside them: the machine may be shared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowList } from '../src/model/allow-list.ts';
import { startHomeRig } from '../test/e2e/harness/home-rig.ts';

const TOGGLES = Number(process.env.TOGGLES ?? 100);
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;
const line = (what: string, xs: number[]) =>
  console.log(`${what.padEnd(44)} median ${pct(xs, 0.5).toFixed(1)} ms  p95 ${pct(xs, 0.95).toFixed(1)} ms  p99 ${pct(xs, 0.99).toFixed(1)} ms  (n=${xs.length})`);

async function main(): Promise<void> {
  const artifactDir = mkdtempSync(join(tmpdir(), 'bench-ha-to-iris-'));
  const toIris = { entities: new AllowList(['input_boolean.*']), events: new AllowList([]), namespace: 'HOME', service: 'HomeAssistant', maxQueue: 10_000, mqttServices: [] };
  const rig = await startHomeRig({ artifactDir, extraYaml: 'input_boolean:\n  bench:\n    name: Bench\n', bridgeLog: [], config: { pollIntervalMs: 10_000, toIris } });
  const { ha, sim, bridge } = rig;
  const arrivals: Array<() => void> = [];
  const receive = sim.iris.haEvents.processInput.bind(sim.iris.haEvents);
  sim.iris.haEvents.processInput = (service, json) => {
    receive(service, json);
    arrivals.shift()?.();
  };
  const received = () => sim.iris.haEvents.receivedBy('HOME', 'HomeAssistant');
  // The bridge's subscription is up once a first toggle arrives.
  await ha.waitFor(async () => {
    await ha.callService('input_boolean', 'toggle', { entity_id: 'input_boolean.bench' });
    return received().length > 0;
  }, 60_000, 'the first event');

  const fromFired: number[] = [];
  const fromCall: number[] = [];
  for (let i = 0; i < TOGGLES; i++) {
    const arrived = new Promise<void>((r) => arrivals.push(r));
    const t0 = performance.now();
    await ha.callService('input_boolean', 'toggle', { entity_id: 'input_boolean.bench' });
    await arrived;
    fromCall.push(performance.now() - t0);
    const last = received().at(-1)!;
    fromFired.push(last.receivedAt.getTime() - Date.parse(String(last.message.time)));
  }
  const before = received().length;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: TOGGLES }, () => ha.callService('input_boolean', 'toggle', { entity_id: 'input_boolean.bench' })));
  await ha.waitFor(() => received().length >= before + TOGGLES, 120_000, 'the burst');
  const burst = performance.now() - t0;
  const burstDelays = received().slice(before).map((e) => e.receivedAt.getTime() - Date.parse(String(e.message.time)));

  console.log(`Home Assistant ${ha.version} -> IrisEdge.HA.EventService on the simulator; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  line('time_fired -> business service (one at a time)', fromFired);
  line('toggle call -> business service (one at a time)', fromCall);
  line(`time_fired -> business service (burst of ${TOGGLES})`, burstDelays);
  console.log(`burst of ${TOGGLES} toggles: all received after ${burst.toFixed(0)} ms; dropped ${bridge.toIris?.stats().dropped ?? 0}`);

  await rig.close();
  rmSync(artifactDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
