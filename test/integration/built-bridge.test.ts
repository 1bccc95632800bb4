/**
 * The bridge as the image runs it: the build's bundle (scripts/build.ts, the CLI `npm run build`
 * calls) laid out as in the image (/opt/iris-edge: package.json, node_modules, dist/) and started
 * with node alone, against a real mosquitto. The rest of the suite runs the sources through tsx;
 * this is where the bundle's own risks show: files found from the installation
 * (src/model/install-dir.ts), the entry points started by path (the IRIS connection process, the
 * simulator's driver, the certificate worker), the panel built into dist/web, the MCP SDK loaded
 * from a chunk of its own, and class names kept through minification.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { IMAGE_ENTRIES } from '../../scripts/build.ts';
import { runBridge } from '../support/bridge-process.ts';
import { waitFor } from '../support/fixtures.ts';
import { fetchBody, JSON_POST } from '../support/http.ts';
import { freePort, Mosquitto } from '../support/mosquitto.ts';
import { Observer } from '../support/observer.ts';
import { makePki } from '../unit/certs-helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const AGENT_DIR = join(root, 'rootfs/usr/share/iris-edge/agent');
const VERSION = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

let install: string;
let broker: Mosquitto;

before(async () => {
  install = mkdtempSync(join(tmpdir(), 'iris-edge-built-'));
  cpSync(join(root, 'package.json'), join(install, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(install, 'node_modules'));
  await run(process.execPath, ['--import', 'tsx', 'scripts/build.ts', join(install, 'dist')], { cwd: root });
  broker = await Mosquitto.start();
});
after(async () => {
  await broker?.close();
});

/** `node dist/<entry>.js` in the installation, with only `env` (and PATH, HOME) set, as bridge/run starts it. */
const start = (entry: string, args: string[], env: Record<string, string>) => runBridge(env, { args: [join(install, 'dist', `${entry}.js`), ...args], cwd: install });

describe('the built bridge', () => {
  it('writes each entry point the image starts by path, and nothing from src/', () => {
    for (const entry of IMAGE_ENTRIES) assert.ok(readdirSync(join(install, 'dist', entry, '..')).includes(`${entry.split('/').at(-1)}.js`), `dist/${entry}.js`);
    assert.ok(readdirSync(join(install, 'dist', 'web')).includes('index.html'));
    const chunks = readdirSync(join(install, 'dist', 'chunks'));
    assert.ok(chunks.length > 0 && chunks.every((f) => f.endsWith('.js')), chunks.join(', '));
  });

  it('runs on the simulator: discovery with its version, the built panel, a certificate through its worker, MCP', async () => {
    const [panelPort, mcpPort] = [await freePort(), await freePort()];
    const observer = await Observer.connect(broker.url, ['iris-edge/built/#']);
    const stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-built-state-'));
    const bridge = start('main', [], {
      MQTT_URL: broker.url,
      INSTANCE_ID: 'built',
      PANEL_PORT: String(panelPort),
      MCP_PORT: String(mcpPort),
      IRIS_EDGE_STATE_DIR: stateDir,
      IRIS_EDGE_CERT_DIR: join(stateDir, 'certs'),
      IRIS_EDGE_AGENT_DIR: AGENT_DIR,
    });
    try {
      await observer.waitFor('iris-edge/built/bridge/availability', (p) => p === 'online', 30_000);
      assert.match(bridge.output(), /running against the built-in IRIS SIMULATOR/);
      // The bridge's version comes from the installation's package.json.
      const state = await observer.waitFor('iris-edge/built/state', (p) => p.includes('"reachable":true'), 30_000);
      assert.equal((JSON.parse(state.payload) as { bridge_version: string }).bridge_version, VERSION);

      await waitFor(() => bridge.output().includes(`Panel at http://127.0.0.1:${panelPort}/`), 30_000, 'the panel to listen');
      const base = `http://127.0.0.1:${panelPort}/`;
      const page = await fetchBody(base);
      assert.equal(page.status, 200);
      const script = /src="\.\/(assets\/main-\w+\.js)"/.exec(String(page.body))?.[1];
      assert.ok(script, 'the page names its content-hashed script');
      const asset = await fetchBody(base + script, { headers: { 'accept-encoding': 'br' } });
      assert.equal(asset.status, 200);
      assert.equal(asset.headers.get('content-encoding'), 'br', 'the precompressed form of dist/web is served');

      const pki = makePki();
      const cert = await fetchBody(`${base}api/certificates`, { method: 'POST', headers: JSON_POST, body: JSON.stringify({ name: 'built', pem: pki.read('leaf.pem') + pki.read('int.pem') }) });
      assert.equal(cert.status, 201, JSON.stringify(cert.body));
      const garbage = await fetchBody(`${base}api/certificates`, { method: 'POST', headers: JSON_POST, body: JSON.stringify({ name: 'garbage', pem: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' }) });
      assert.equal(garbage.status, 400, JSON.stringify(garbage.body));

      // A backup's archive is written and verified by the built archive process.
      const backup = await fetchBody(`${base}api/backups`, { method: 'POST', headers: JSON_POST, body: '{}' });
      assert.equal(backup.status, 202, JSON.stringify(backup.body));
      const job = await waitFor(async () => {
        const j = (await fetchBody(`${base}api/backups/job`)).body as { job: { state: string; error: string | null } };
        return j.job.state !== 'running' && j.job;
      }, 60_000, 'the backup to end');
      assert.equal(job.state, 'ok', job.error ?? '');

      const mcp = await fetchBody(`http://127.0.0.1:${mcpPort}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${readFileSync(join(stateDir, 'secrets', 'mcp_token'), 'utf8').trim()}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } }),
      });
      assert.equal(mcp.status, 200, mcp.raw.toString());
      assert.ok(mcp.raw.toString().includes(`"version":"${VERSION}"`), mcp.raw.toString());
    } finally {
      bridge.proc.kill('SIGTERM');
      await bridge.exited();
      await observer.close();
    }
  });

  it('names its errors by their class: an agent that cannot be read stops it with IrisUnavailableError', async () => {
    const state = mkdtempSync(join(tmpdir(), 'iris-edge-built-state-'));
    // The agent's role file without its class: the setup gets as far as reading the class.
    const agent = join(state, 'agent');
    mkdirSync(agent);
    cpSync(join(AGENT_DIR, 'bridge-role.json'), join(agent, 'bridge-role.json'));
    const bridge = start('main', [], { MQTT_URL: broker.url, INSTANCE_ID: 'built_fails', PANEL_PORT: '0', MCP_PORT: '0', IRIS_EDGE_STATE_DIR: state, IRIS_EDGE_AGENT_DIR: agent });
    assert.notEqual(await bridge.exited(), 0);
    assert.match(bridge.output(), /IrisUnavailableError: cannot read the agent class/);
  });

  it('runs the restore recovery the iris service starts: nothing to do in an empty state directory', async () => {
    const recover = start('backups/recover-cli', [mkdtempSync(join(tmpdir(), 'iris-edge-built-state-'))], {});
    assert.equal(await recover.exited(), 0, recover.output());
    const usage = start('backups/recover-cli', [], {});
    assert.equal(await usage.exited(), 2);
    assert.match(usage.output(), /usage: recover-cli <state dir>/);
  });
});
