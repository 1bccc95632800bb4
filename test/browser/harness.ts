/**
 * The panel on the simulator, optionally behind the ingress stand-in (test/support/ingress-proxy.ts):
 * mounted under /api/hassio_ingress/<token>/, the ingress headers added, request bodies buffered
 * or streamed as the Supervisor does for config.yaml. The proxy connects from 127.0.0.2, the
 * "Supervisor" the panel is told to trust; a direct client connects from 127.0.0.1.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
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
import { simulatorAccount } from '../../src/compose/simulator-account.ts';
import type { PersonAccountService } from '../../src/accounts/person-account.ts';
import type { HaFlowsSource, McpAccess } from '../../src/panel/context.ts';
import { INGRESS_PATH, startIngressProxy, SUPERVISOR_STANDIN, type IngressProxy } from '../support/ingress-proxy.ts';
import type { PanelApps } from '../../src/panel/context.ts';
import { AppsService } from '../../src/ipm/apps-service.ts';
import { AppsJobs } from '../../src/ipm/apps-jobs.ts';
import { sourceOf } from '../../src/compose/apps.ts';
import { RegistrySettings } from '../../src/ipm/registry-settings.ts';
import { simulatedAppsRunner } from '../../src/iris/simulator/apps-runner.ts';
import { PanelSensorStore } from '../../src/sensors/panel-store.ts';
import { UserSensorSet } from '../../src/sensors/sensor-set.ts';

export { INGRESS_PATH, SUPERVISOR_STANDIN };

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
  /** The MCP server as the AI assistants page sees it. */
  mcp?: McpAccess;
  /** Apps on the simulator's owner path, with this IPM registry (the stand-in of test/support/ipm-registry.ts). */
  appsRegistry?: string;
  /** The offline folder of package archives the Apps page may switch to. */
  appsOfflineFolder?: string;
  /** The traffic with Home Assistant as its page sees it. */
  haFlows?: HaFlowsSource;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const sim = opts.sim ?? new IrisSimulator({ transitionMs: 60 });
  const monitorApi = await startSimulatedMonitorApi();
  const logs = new LogBuffer(500);
  // The wiring the bridge uses: pino teed into the panel's log buffer.
  const log = pino({ level: 'debug', base: undefined }, pino.multistream([{ level: 'debug', stream: logs }]));
  const health = new MonitorApiClient({ baseUrl: monitorApi.url });
  const monitor = new Monitor(sim, { pollIntervalMs: 400, removalGracePolls: 2, commandCooldownMs: opts.cooldownMs ?? 0, health }, log);
  await monitor.start();
  const password = 'gen-Pa55word-' + Math.random().toString(36).slice(2, 8);
  const stateDir = mkdtempSync(join(tmpdir(), 'iris-edge-harness-'));
  const account = opts.account === false ? undefined : await simulatorAccount(sim.iris, stateDir);
  const apps = opts.appsRegistry ? await harnessApps(sim, opts.appsRegistry, stateDir, opts.appsOfflineFolder) : undefined;
  // The Sensors page over the simulator's sensors user; without MQTT here, a change only saves.
  const sensorSet = new UserSensorSet({ options: [], context: { pollIntervalS: 2, packages: ['Orders'] }, store: new PanelSensorStore(join(stateDir, 'panel-sensors.json')), deviceName: 'IRIS', log });
  await sensorSet.load();
  const sensors = { set: sensorSet, readers: { metric: health.readSensorMetric.bind(health), agent: sim.sensorClient(), packages: ['Orders'] } };
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
    ...(opts.mcp ? { mcp: opts.mcp } : {}),
    ...(apps ? { apps } : {}),
    sensors,
    ...(opts.haFlows ? { haFlows: opts.haFlows } : {}),
    diagnostics: new SelfCheckRunner([{ id: 'iris', iris: sim, local: true }], { bridgeVersion: 'test', role: loadBridgeRole(SOURCE_AGENT_DIR), inAddon: opts.mode === 'addon' }, log),
    log,
    trustedPeers: opts.trustedPeers ?? (opts.proxy ? [SUPERVISOR_STANDIN] : []),
    allowedHosts: opts.allowedHosts,
  });
  const proxy = opts.proxy ? await startIngressProxy(panel.url) : undefined;
  return {
    sim,
    monitorApi,
    monitor,
    logs,
    panel,
    direct: panel.url,
    ingress: proxy?.url,
    password,
    account,
    accountFile: account ? join(stateDir, 'secrets', 'iris_admin_password') : undefined,
    dropWebsockets() {
      proxy?.dropWebsockets();
    },
    async close() {
      await proxy?.close();
      await panel.close();
      monitor.stop();
      if (!opts.sim) await sim.close();
      await monitorApi.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Apps as compose/apps.ts wires them, on the simulator's owner path, with the registry given. */
async function harnessApps(sim: IrisSimulator, registryUrl: string, stateDir: string, offlineFolder: string | undefined): Promise<PanelApps> {
  const settings = new RegistrySettings(join(stateDir, 'secrets', 'ipm_registry.json'), offlineFolder);
  await settings.save({ url: registryUrl });
  const registry = sourceOf(settings);
  return { service: new AppsService({ runner: simulatedAppsRunner(sim.iris), registry }), settings, registry, jobs: new AppsJobs() };
}

/** The ingress-style proxy alone, in front of a panel started some other way (the whole bridge). */
export async function startIngressFor(panelUrl: string): Promise<IngressProxy> {
  return startIngressProxy(panelUrl);
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
