/**
 * Bench: a call from IRIS (IrisEdge.HA.Home.CallAction in a production's process, on the
 * simulator) to the Home Assistant action being done, against a real Home Assistant (the e2e
 * chroot: run as root after test/e2e/harness/prepare.sh). CALLS (default 100) calls of
 * input_number.set_value, one at a time, then a burst of them side by side; prints the median,
 * 95th and 99th percentile of the caller's wait (outbox -> bridge's poll -> Home Assistant ->
 * answer -> caller woken) and, per call, how far Home Assistant's state change came after the call
 * began (for the changes whose event reached this bench before the answer: n says how many). The
 * bridge looks at the outboxes every 250 ms, which bounds the first leg. Figures only;
 * nothing passes or fails. The load average is printed beside them: the machine may be shared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowList } from '../src/model/allow-list.ts';
import { startHomeRig } from '../test/e2e/harness/home-rig.ts';

const CALLS = Number(process.env.CALLS ?? 100);
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? 0;
const line = (what: string, xs: number[]) =>
  console.log(`${what.padEnd(40)} median ${pct(xs, 0.5).toFixed(1)} ms  p95 ${pct(xs, 0.95).toFixed(1)} ms  p99 ${pct(xs, 0.99).toFixed(1)} ms  (n=${xs.length})`);

async function main(): Promise<void> {
  const artifactDir = mkdtempSync(join(tmpdir(), 'bench-iris-to-ha-'));
  const fromIris = { actions: new AllowList(['input_number.set_value']), events: new AllowList([]), states: new AllowList([]) };
  const extraYaml = 'input_number:\n  level:\n    name: Level\n    min: 0\n    max: 100000\n';
  const rig = await startHomeRig({ artifactDir, extraYaml, bridgeLog: [], config: { pollIntervalMs: 10_000, fromIris } });
  const { ha, sim } = rig;
  const changed = new Map<number, number>();
  await ha.connection.subscribeEvents<{ data: { entity_id: string; new_state: { state: string } | null } }>((e) => {
    if (e.data.entity_id === 'input_number.level' && e.data.new_state) changed.set(Number(e.data.new_state.state), performance.now());
  }, 'state_changed');
  const set = (value: number) =>
    sim.callHomeAssistant('HOME', { kind: 'action', domain: 'input_number', service: 'set_value', data: { value }, target: { entity_id: 'input_number.level' } }, 10);
  // Until the bridge's websocket is up, calls fail fast: wait for a first one to go through.
  await ha.waitFor(async () => (await set(1)).ok, 60_000, 'a first call');

  const waits: number[] = [];
  const toChange: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const value = 1000 + i;
    const t0 = performance.now();
    const r = await set(value);
    if (!r.ok) throw new Error(r.text);
    waits.push(performance.now() - t0);
    const at = changed.get(value);
    if (at !== undefined) toChange.push(at - t0);
  }
  const t0 = performance.now();
  const burst = await Promise.all(Array.from({ length: CALLS }, async (_, i) => {
    const s = performance.now();
    const r = await set(5000 + i);
    return { ok: r.ok, ms: performance.now() - s };
  }));
  const burstMs = performance.now() - t0;

  console.log(`IrisEdge.HA.Home on the simulator -> Home Assistant ${ha.version}; the bridge polls every 250 ms; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  line('caller waits (one at a time)', waits);
  line('call -> state changed in HA (one at a time)', toChange);
  line(`caller waits (burst of ${CALLS})`, burst.map((b) => b.ms));
  console.log(`burst of ${CALLS}: all answered after ${burstMs.toFixed(0)} ms; failed ${burst.filter((b) => !b.ok).length}`);

  await rig.close();
  rmSync(artifactDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
