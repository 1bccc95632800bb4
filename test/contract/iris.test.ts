/**
 * The IrisClient contract against a REAL IRIS, through the Native API client.
 * Runs only when IRIS_HOST is set; see test/contract/README.md.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { createNativeIrisClient } from '../../src/iris/native/client.ts';
import { NativeTransport } from '../../src/iris/native/transport.ts';
import { AGENT_FILE, agentVersionFromText } from '../../src/iris/agent/version.ts';
import type { AgentProblem } from '../../src/iris/agent/contract.ts';
import { selfCheck } from '../../src/iris/diagnostics.ts';
import { loadBridgeRole } from '../../src/iris/privileges.ts';
import { irisContract } from './expectations.ts';

const env = process.env;
const HOW =
  'set IRIS_HOST (and IRIS_PORT, default 1972; IRIS_USER; IRIS_PASSWORD; IRIS_NAMESPACE; IRIS_PRODUCTION; ' +
  'optionally IRIS_EDGE_AGENT_DIR, default rootfs/usr/share/iris-edge/agent) to run the contract suite ' +
  'against a real IRIS: see test/contract/README.md';

if (!env.IRIS_HOST) {
  it('IrisClient contract against a real IRIS', { skip: HOW }, () => {});
} else {
  const missing = ['IRIS_USER', 'IRIS_PASSWORD', 'IRIS_NAMESPACE', 'IRIS_PRODUCTION'].filter((k) => !env[k]);
  if (missing.length > 0) {
    it('IrisClient contract against a real IRIS: configuration', () => {
      assert.fail(`IRIS_HOST is set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not. ${HOW}`);
    });
  } else {
    const host = env.IRIS_HOST;
    const port = Number(env.IRIS_PORT ?? 1972);
    const agentDir = resolve(
      env.IRIS_EDGE_AGENT_DIR ?? fileURLToPath(new URL('../../rootfs/usr/share/iris-edge/agent/', import.meta.url)),
    );
    irisContract(`real IRIS at ${host}:${port}`, async () => ({
      client: createNativeIrisClient({
        host,
        port,
        username: env.IRIS_USER!,
        password: env.IRIS_PASSWORD!,
        agentDir,
      }),
      production: { namespace: env.IRIS_NAMESPACE!, name: env.IRIS_PRODUCTION! },
      // The sensors' own user, as IrisEdge.Setup.Install created it (IRIS_SENSORS_USER and IRIS_SENSORS_PASSWORD).
      sensors:
        env.IRIS_SENSORS_USER && env.IRIS_SENSORS_PASSWORD
          ? createNativeIrisClient({ host, port, username: env.IRIS_SENSORS_USER, password: env.IRIS_SENSORS_PASSWORD, agentDir })
          : undefined,
    }));

    // What only the real agent can show: raw answers a generic IrisClient does not expose.
    describe(`IrisEdge agent on the real IRIS at ${host}:${port}`, () => {
      const problems: AgentProblem[] = [];
      const client = createNativeIrisClient({
        host,
        port,
        username: env.IRIS_USER!,
        password: env.IRIS_PASSWORD!,
        agentDir,
        onProblems: (p) => problems.push(...p),
      });
      const raw = new NativeTransport({ host, port, username: env.IRIS_USER!, password: env.IRIS_PASSWORD! });
      after(async () => {
        await client.close();
        await raw.close();
      });

      it('runs as the bridge\'s own user: not an administrator', async () => {
        const p = await client.privileges([]);
        assert.doesNotMatch(p.roles, /(^|,)%All(,|$)/, `${p.user} holds %All: run the suite as the bridge's user that IrisEdge.Setup.Install created`);
      });

      it('the bridge\'s self-check passes every check, as its own user', async () => {
        const d = await selfCheck(client, { instanceId: 'contract', bridgeVersion: 'contract', role: loadBridgeRole(agentDir), inAddon: false, databases: true });
        const bad = d.checks.filter((c) => c.status === 'failed' || c.status === 'warning');
        assert.deepEqual(bad.map((c) => `${c.status} ${c.title}: ${c.detail}`), []);
      });

      it('the installed agent reports the VERSION of the shipped .cls', async () => {
        await client.snapshot();
        const shipped = agentVersionFromText(readFileSync(join(agentDir, AGENT_FILE), 'utf8'));
        assert.equal(await raw.classMethodValue('IrisEdge.Agent', 'Version'), shipped);
      });

      it(`the snapshot reads ${env.IRIS_NAMESPACE} without problems (host status, error counts, items)`, async () => {
        problems.length = 0;
        await client.snapshot();
        const mine = problems.filter((p) => p.namespace === env.IRIS_NAMESPACE);
        assert.deepEqual(mine, [], JSON.stringify(mine));
      });

      it('Control refuses an unknown action without touching IRIS', async () => {
        const answer = await raw.classMethodValue('IrisEdge.Agent', 'Control', env.IRIS_NAMESPACE!, env.IRIS_PRODUCTION!, 'explode', 10, 0);
        assert.equal(typeof answer, 'string');
        const parsed = JSON.parse(answer as string) as { ok: boolean; code?: string };
        assert.deepEqual([parsed.ok, parsed.code], [false, '<IrisEdge>UnknownAction']);
      });

      it('Control in a namespace that does not exist is <IrisEdge>UnknownNamespace', async () => {
        const answer = await raw.classMethodValue('IrisEdge.Agent', 'Control', 'IRISEDGENOSUCHNS', 'X.Production', 'start', 10, 0);
        assert.equal(JSON.parse(answer as string).code, '<IrisEdge>UnknownNamespace');
      });
    });
  }
}
