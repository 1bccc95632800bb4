/**
 * The panel on the simulator, optionally behind a reverse proxy that serves it the way Home
 * Assistant ingress does: mounted under /api/hassio_ingress/<token>/, the prefix stripped, the
 * X-Ingress-Path and X-Remote-User-* headers added (client copies dropped), Accept-Encoding
 * stripped, websockets relayed. The proxy connects from 127.0.0.2, the "Supervisor" the panel is
 * told to trust; a direct client connects from 127.0.0.1.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { IrisSimulator } from '../../src/iris/simulator/index.ts';
import { startSimulatedMonitorApi, type SimulatedMonitorApi } from '../../src/iris/simulator/monitor-api.ts';
import { MonitorApiClient } from '../../src/iris/monitor-api/client.ts';
import { Monitor } from '../../src/monitor/monitor.ts';
import { LogBuffer } from '../../src/panel/log-buffer.ts';
import { startPanel, type RunningPanel } from '../../src/panel/server.ts';
import { SelfCheckRunner } from '../../src/iris/diagnostics.ts';
import { loadBridgeRole } from '../../src/iris/privileges.ts';
import { SOURCE_AGENT_DIR } from '../../src/iris/agent/source-dir.ts';
import type { BackupService } from '../../src/backups/service.ts';
import { defaultIrisFilesOwner } from '../../src/certs/iris-files.ts';
import { CertService } from '../../src/certs/service.ts';
import { CertStore } from '../../src/certs/store.ts';
import { SslConfigs } from '../../src/monitor/ssl-configs.ts';
import { simulatorAccount } from '../../src/compose/account.ts';
import type { PersonAccountService } from '../../src/accounts/person-account.ts';

export const SUPERVISOR_STANDIN = '127.0.0.2';
export const INGRESS_TOKEN = 'x4Fz9Qk2TestToken';
export const INGRESS_PATH = `/api/hassio_ingress/${INGRESS_TOKEN}`;

export interface Harness {
  sim: IrisSimulator;
  monitorApi: SimulatedMonitorApi;
  monitor: Monitor;
  logs: LogBuffer;
  panel: RunningPanel;
  /** The panel's own URL (direct). */
  direct: string;
  /** The ingress-style URL (with trailing slash), when a proxy runs. */
  ingress: string | undefined;
  /** The bridge's own (service account) password. */
  password: string;
  /** The account for people (ha_admin on the simulator), unless the harness was told to have none. */
  account: PersonAccountService | undefined;
  /** Where its password is stored. */
  accountFile: string | undefined;
  /** Cuts every websocket relayed by the proxy (a restarting Supervisor). */
  dropWebsockets(): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode: 'addon' | 'standalone';
  proxy?: boolean;
  trustedPeers?: string[];
  allowedHosts?: string[];
  messagesLogPath?: string;
  cooldownMs?: number;
  certStoreDir?: string;
  haSslDir?: string;
  irisSslDir?: string;
  /** The IRIS to monitor (default: a fresh simulator); a backup rig brings its own. */
  sim?: IrisSimulator;
  backups?: BackupService;
  /** false: no account for people (a bridge outside the add-on with a real IRIS). */
  account?: false;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const sim = opts.sim ?? new IrisSimulator({ transitionMs: 60 });
  const monitorApi = await startSimulatedMonitorApi();
  const logs = new LogBuffer(500);
  // The wiring the bridge uses: pino teed into the panel's log buffer.
  const log = pino({ level: 'debug', base: undefined }, pino.multistream([{ level: 'debug', stream: logs }]));
  const monitor = new Monitor(
    sim,
    { pollIntervalMs: 400, removalGracePolls: 2, commandCooldownMs: opts.cooldownMs ?? 0, health: new MonitorApiClient({ baseUrl: monitorApi.url }) },
    log,
  );
  await monitor.start();
  const password = 'gen-Pa55word-' + Math.random().toString(36).slice(2, 8);
  const stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-harness-'));
  const account = opts.account === false ? undefined : await simulatorAccount(sim.iris, stateDir);
  // Without a store nothing is written, so the directory for IRIS's files only has to be named.
  const irisFiles = { dir: opts.irisSslDir ?? join(opts.certStoreDir ?? join(tmpdir(), 'certs'), '..', 'iris-ssl'), owner: defaultIrisFilesOwner(opts.mode) };
  const panel = await startPanel({
    monitors: [{ id: 'iris', monitor, instanceName: 'IRIS', simulator: sim.kind === 'simulator', portal: { host: null, webPort: 52773 }, eventLog: (ns, p) => sim.eventLog(ns, p), sslConfigs: new SslConfigs(sim, monitor, irisFiles) }],
    mode: opts.mode,
    host: '127.0.0.1',
    port: 0,
    connect: { superserverPort: 1972, webPort: 52773, portalPath: '/csp/sys/UtilHome.csp', serviceAccount: 'iris_edge', remoteInstances: ['office'] },
    account,
    accountUnavailable: account ? undefined : 'This bridge runs outside the IRIS Edge add-on (test).',
    logs,
    messagesLogPath: opts.messagesLogPath,
    certs: new CertService({ store: opts.certStoreDir ? new CertStore(opts.certStoreDir) : undefined, haSslDir: opts.haSslDir, irisClients: [{ id: 'iris', iris: sim }] }),
    ...(opts.backups ? { backups: opts.backups } : {}),
    diagnostics: new SelfCheckRunner([{ id: 'iris', iris: sim, local: true }], { bridgeVersion: 'test', role: loadBridgeRole(SOURCE_AGENT_DIR), inAddon: opts.mode === 'addon' }, log),
    log,
    trustedPeers: opts.trustedPeers ?? (opts.proxy ? [SUPERVISOR_STANDIN] : []),
    allowedHosts: opts.allowedHosts,
  });
  let proxy: http.Server | undefined;
  let ingress: string | undefined;
  const upgraded = new Set<net.Socket>();
  if (opts.proxy) {
    proxy = startIngressProxy(new URL(panel.url), upgraded);
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const port = (proxy.address() as net.AddressInfo).port;
    ingress = `http://127.0.0.1:${port}${INGRESS_PATH}/`;
  }
  return {
    sim,
    monitorApi,
    monitor,
    logs,
    panel,
    direct: panel.url,
    ingress,
    password,
    account,
    accountFile: account ? join(stateDir, 'secrets', 'iris_admin_password') : undefined,
    dropWebsockets() {
      for (const s of upgraded) s.destroy();
      upgraded.clear();
    },
    async close() {
      proxy?.closeAllConnections();
      if (proxy) await new Promise((r) => proxy?.close(r));
      await panel.close();
      monitor.stop();
      if (!opts.sim) await sim.close();
      await monitorApi.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The ingress-style proxy alone, in front of a panel started some other way (the whole bridge). */
export async function startIngressFor(panelUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const upgraded = new Set<net.Socket>();
  const proxy = startIngressProxy(new URL(panelUrl), upgraded);
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}${INGRESS_PATH}/`,
    async close() {
      for (const s of upgraded) s.destroy();
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    },
  };
}

function ingressHeaders(incoming: http.IncomingHttpHeaders, target: URL): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (k.startsWith('x-remote-user-') || k === 'x-ingress-path' || k === 'accept-encoding' || k === 'x-supervisor-token') continue;
    headers[k] = v;
  }
  headers.host = target.host;
  headers['x-ingress-path'] = INGRESS_PATH;
  headers['x-hass-source'] = 'core.ingress';
  headers['x-remote-user-id'] = 'abc123';
  headers['x-remote-user-name'] = 'anna';
  headers['x-remote-user-display-name'] = 'Anna';
  return headers;
}

function startIngressProxy(target: URL, upgraded: Set<net.Socket>): http.Server {
  const prefix = `${INGRESS_PATH}/`;
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found (outside the ingress prefix)');
      return;
    }
    const path = req.url.slice(prefix.length - 1);
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path, headers: ingressHeaders(req.headers, target), localAddress: SUPERVISOR_STANDIN },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.headersSent || res.writeHead(502).end('502: Bad Gateway'));
    req.pipe(up);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith(prefix)) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const path = req.url.slice(prefix.length - 1);
    upgraded.add(socket as net.Socket);
    socket.on('close', () => upgraded.delete(socket as net.Socket));
    const upstream = net.connect({ host: target.hostname, port: Number(target.port), localAddress: SUPERVISOR_STANDIN }, () => {
      const headers = ingressHeaders(req.headers, target);
      let head1 = `${req.method} ${path} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) head1 += `${k}: ${one}\r\n`;
      upstream.write(head1 + '\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });
  return server;
}

/**
 * Debian's Chromium, headless, as this machine allows it: no sandbox as root, and nothing that
 * would reach out to the network (the machine has none).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** How a test looks at the panel: a phone or a desk, the system set to light or dark. */
export interface ViewOptions {
  /** Default 1280 x 900. */
  viewport?: { width: number; height: number };
  /** What prefers-color-scheme answers (the panel's "auto" theme follows it). Default light. */
  colorScheme?: 'light' | 'dark';
}

/** A fresh context (its own storage, so no theme choice carries over) and a page in it. */
export async function newViewPage(browser: Browser, view: ViewOptions = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: view.viewport ?? { width: 1280, height: 900 }, colorScheme: view.colorScheme ?? 'light', acceptDownloads: true });
  return { ctx, page: await ctx.newPage() };
}
