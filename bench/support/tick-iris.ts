/**
 * The simulated IRIS of bench:tick, forked into a process of its own as IRIS is to the bridge in
 * the image: the bridge reaches it through its Native API connection process, and its work (the
 * agent's Snapshot, the queries behind it) is not counted as the bridge's. Over IPC it sends the
 * bridge's connection settings once it listens, then takes moves of hosts' queues between polls
 * and answers each batch once it is applied.
 * argv: the scenario ("PxH").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatedInstance } from '../../src/compose/simulated-instance.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import { createLogger } from '../../src/log/logger.ts';

/** [namespace, production, host, queue]. */
export type QueueMove = [string, string, string, number];

export interface TickIrisReady {
  host: string;
  port: number;
  webPort: number;
  username: string;
  password: string;
}

async function main(): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  const state = mkdtempSync(join(tmpdir(), 'iris-edge-bench-tick-'));
  const log = createLogger('error', process.stderr);
  const sim = await startSimulatedInstance({ mode: 'simulator', scenario: process.argv[2] ?? '10x100', dataDir: join(state, 'data'), writeIntervalMs: 0 }, { stateDir: state, agentDir: SOURCE_AGENT_DIR }, log);
  process.on('message', (moves: QueueMove[]) => {
    for (const [namespace, production, host, queue] of moves) {
      const h = sim.instance.interop.find(namespace, production)?.hosts.find((x) => x.name === host);
      if (!h) return send({ error: `bench:tick moved a host the scenario does not have: ${namespace}/${production}/${host}` });
      h.queue = queue;
    }
    send({ moved: moves.length });
  });
  // The bench ends (or dies): so does its IRIS.
  process.on('disconnect', () => {
    void sim.close().finally(() => {
      rmSync(state, { recursive: true, force: true });
      process.exit(0);
    });
  });
  const ready: TickIrisReady = { host: sim.superserver.host, port: sim.superserver.port, webPort: sim.api.port, ...sim.credentials };
  send(ready);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
