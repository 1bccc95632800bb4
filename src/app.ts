/**
 * The composition root: config -> IRIS -> monitor -> MQTT, Home Assistant and the panel, for
 * every instance. Wiring only: how each piece is built lives in compose/ and in its own room.
 */
import type { Config, RemoteInstance } from './config/config.ts';
import type { InstanceControl } from './backups/instance-control.ts';
import { BackupService } from './backups/service.ts';
import { certificateExpiries } from './certs/expiry.ts';
import { CertExpiryWatcher } from './certs/expiry-watcher.ts';
import { irisCertFiles, isLocalIris } from './certs/iris-inventory.ts';
import { CertStore } from './certs/store.ts';
import { heartbeat, instanceTopics, resolveMqtt, startInstance, type InstancePlan, type MqttTimings, type RunningInstance } from './compose/instance.ts';
import { appsInHomeAssistant, appsParts, applyOptionsApps } from './compose/apps.ts';
import { localIris, remotePlan, type LocalIris, type SensorConnection } from './compose/iris.ts';
import { haFlowsSource } from './compose/ha-flows.ts';
import { startHaToIris, type RunningHaToIris } from './compose/ha-to-iris.ts';
import { startIrisToHa } from './compose/iris-to-ha.ts';
import { startMcpFor } from './compose/mcp.ts';
import { startPanelFor } from './compose/panel.ts';
import { startUserSensors } from './compose/user-sensors.ts';
import { AssistExposure } from './ha/assist.ts';
import { AssistAutomation } from './ha/assist-automation.ts';
import { AssistResponder } from './ha/assist-responder.ts';
import { AutomationConfigApi } from './ha/automation-config.ts';
import { BackupNotices } from './ha/backup-notices.ts';
import { CertificateNotices } from './ha/cert-notices.ts';
import { HaCore } from './ha/core.ts';
import { HaFlowRecord } from './ha/flow-record.ts';
import { HaReactions } from './ha/ha-bridge.ts';
import type { IrisToHa } from './ha/iris-to-ha.ts';
import { createAddonBackup, getAddonSlug } from './ha/supervisor.ts';
import type { IrisClient } from './iris/client.ts';
import { SelfCheckRunner } from './iris/diagnostics.ts';
import { loadBridgeRole } from './iris/privileges.ts';
import type { AppsService } from './ipm/apps-service.ts';
import type { Logger } from './log/logger.ts';
import { describeSensorProblem } from './model/sensor-definition.ts';
import type { MonitorView } from './model/view.ts';
import type { HealthSource } from './monitor/monitor.ts';
import { describeBroker } from './mqtt/connection.ts';
import { BackupFeature } from './mqtt/backup-sensors.ts';
import { CertificateFeature } from './mqtt/cert-sensors.ts';
import type { LogBuffer } from './panel/log-buffer.ts';
import type { RunningPanel } from './panel/server.ts';
import { BRIDGE_VERSION } from './version.ts';

export type { RunningInstance };

/** The local (or simulated) instance first, then the remote ones from the options. */
export interface RunningBridge extends RunningInstance {
  instances: RunningInstance[];
  /** IRIS Edge backups of the local instance; absent when its files are out of reach. */
  backups: BackupService | undefined;
  /** The self-check of every instance: run once after the start, again when the panel asks. */
  selfCheck: SelfCheckRunner;
  /** The ingress panel, when it was asked for and could start. */
  panel: RunningPanel | undefined;
  /** Apps (IPM) in the local instance, when the bridge can act as its owner. */
  apps: AppsService | undefined;
  /** Home Assistant events into the local production, when the options allow any. */
  toIris: RunningHaToIris | undefined;
  /** The local IRIS's calls to Home Assistant (IrisEdge.HA.Home), when the options allow any. */
  fromIris: IrisToHa | undefined;
}

export interface StartOptions extends MqttTimings {
  /** An IRIS client to use instead of the one the configuration names (tests, benches). */
  iris?: IrisClient;
  /** Its /api/monitor, when `iris` is given (tests); none when omitted. */
  health?: HealthSource;
  /** Stops and starts `iris` (tests): with it, the local instance gets IRIS Edge backups. */
  control?: InstanceControl;
  /** The sensors connection to use with `iris` (tests): logged in as the sensors' own user. */
  sensors?: SensorConnection;
  /** Clients for the remote instances of the configuration (tests), instead of the Native API. */
  remoteIris?: (r: RemoteInstance) => Pick<InstancePlan, 'iris' | 'health'>;
  /** Starts the ingress panel too, showing these recent log lines on its Logs page. */
  panelLogs?: LogBuffer;
  /** The devices' link to the panel, instead of asking the Supervisor (tests). */
  panelUrl?: string;
}

/**
 * This add-on's slug, asked of the Supervisor once: the panel link on every device and the host
 * name in the MCP URL both come from it.
 */
async function addonSlugOf(config: Config, log: Logger): Promise<string | null> {
  if (!config.supervisorToken) return null;
  try {
    return await getAddonSlug(config.supervisorToken);
  } catch (err) {
    log.warn(`Devices get no link to the panel, and the MCP URL names no host: ${(err as Error).message}`);
    return null;
  }
}

/**
 * `homeassistant://` opens a page of Home Assistant itself (cv.configuration_url accepts it): the
 * add-on's ingress panel. The panel's own pages are #routes inside its frame, which this link
 * cannot reach, so every device opens the panel's overview.
 */
const panelUrlOf = (slug: string | null): string | null => (slug ? `homeassistant://hassio/ingress/${slug}` : null);

function backupServiceFor(plan: InstancePlan, config: Config, log: Logger): BackupService | undefined {
  if (!plan.control) return undefined;
  const token = config.supervisorToken;
  return new BackupService({
    dir: config.backups.dir,
    stateDir: config.stateDir,
    instanceId: plan.id,
    iris: plan.iris,
    control: plan.control,
    bridgeVersion: BRIDGE_VERSION,
    uploadLimitBytes: config.backups.uploadLimitBytes,
    log,
    homeAssistantBackup: token ? (name) => createAddonBackup(token, name) : undefined,
  });
}

export async function startBridge(config: Config, log: Logger, options: StartOptions = {}): Promise<RunningBridge> {
  for (const p of config.userSensors.problems) log.warn(`Left out: ${describeSensorProblem(p)}`);
  const broker = await resolveMqtt(config, log);
  log.info(`Connecting to the MQTT broker at ${describeBroker(broker.url)}`);
  const { account, sensors: sensorConnection, apps: appsRunner, ...localParts }: LocalIris = options.iris
    ? { iris: options.iris, health: options.health, control: options.control, sensors: options.sensors }
    : await localIris(config, log);
  const appParts = appsRunner ? appsParts(appsRunner, config) : undefined;
  const apps = appParts?.service;
  const local: InstancePlan = {
    id: config.instanceId,
    topics: instanceTopics(config.instanceId, config),
    ...localParts,
    entityPrefix: '',
    instanceName: config.instanceId === 'iris' ? 'IRIS' : `IRIS ${config.instanceId}`,
    onTick: heartbeat(config.heartbeatFile),
  };
  const plans: InstancePlan[] = [local];
  for (const r of config.remoteInstances) {
    const topics = instanceTopics(r.id, config);
    plans.push(options.remoteIris ? { id: r.id, topics, entityPrefix: r.id, instanceName: `IRIS ${r.id}`, ...options.remoteIris(r) } : { ...(await remotePlan(r, config, log)), topics });
  }

  // The local instance's device shows its certificates and, when its files are in reach, its
  // backups. Backups start first so that the device's first discovery message already has them
  // (Home Assistant drops components added by a second device message while the first is pending).
  const certificates = new CertificateFeature(local.topics.instanceCertificates);
  local.features = [certificates];
  const backups = backupServiceFor(local, config, log);
  let backupFeature: BackupFeature | undefined;
  if (backups) {
    await backups.start();
    const backupNow = () => {
      backups.startBackup('manual').catch((err: unknown) => log.warn(`Backup now: ${(err as Error).message}`));
    };
    backupFeature = new BackupFeature(local.topics, await backups.status(), backupNow);
    local.features.push(backupFeature);
  }
  const userSensors = await startUserSensors(config, local.topics, local.instanceName, log, { connection: sensorConnection, health: local.health, panel: options.panelLogs !== undefined });
  if (userSensors) local.features.push(userSensors.feature);
  // Apps: an update entity per installed app and a sensor of them, on the local instance's device.
  const appsHa = appParts ? appsInHomeAssistant(appParts, local.topics, log) : undefined;
  if (appsHa) local.features.push(appsHa.feature);
  const addonSlug = await addonSlugOf(config, log);
  const panelUrl = options.panelUrl ?? panelUrlOf(addonSlug);
  for (const p of plans) p.panelUrl = panelUrl;
  // Instances start side by side: one that does not answer must not hold up the others.
  const instances = await Promise.all(plans.map((p) => startInstance(p, config, broker, log, options)));
  const primary = instances[0] as RunningInstance;
  if (userSensors) {
    primary.monitor.on('view', (v: MonitorView) => userSensors.read(v));
    userSensors.read(primary.monitor.view);
  }

  // Home Assistant Core (when reachable): events for automations, notifications, Assist.
  const ha = config.homeAssistant ? HaCore.start(config.homeAssistant, log) : undefined;
  const reactions = ha
    ? instances.map((inst) => {
        const assist = new AssistExposure(ha, inst.topics, config.exposeToAssist, log);
        const r = new HaReactions({ core: ha, monitor: inst.monitor, ids: inst.topics, log, assist });
        inst.monitor.on('alert', (a) => r.onAlert(a));
        r.start();
        return r;
      })
    : [];
  // Assist's sentences for restarts and questions: one automation for every instance, answered
  // here. With expose_to_assist off it is removed, and nothing answers a request fired by hand.
  const monitors = new Map(instances.map((i) => [i.id, i.monitor]));
  const voice = ha && config.homeAssistant ? new AssistAutomation(ha, new AutomationConfigApi(config.homeAssistant), monitors, config.exposeToAssist, log) : undefined;
  const responder = ha && config.exposeToAssist ? new AssistResponder(ha, monitors, log) : undefined;
  voice?.start();
  responder?.start();
  const flows = new HaFlowRecord();
  const toIris = await startHaToIris(ha, { client: primary.mqtt, base: primary.topics.base }, primary.iris, config, log, flows);
  const fromIris = ha ? startIrisToHa(ha, primary.iris, config, log, flows.sink('from-iris')) : undefined;
  const { actions, events, states } = config.fromIris;
  if (!ha && !(config.toIris.entities.empty && config.toIris.events.empty && actions.empty && events.empty && states.empty)) {
    log.warn('The to_iris and from_iris options allow traffic with Home Assistant, but Home Assistant is not configured (HA_URL and HA_TOKEN): none flows');
  }

  // The self-check runs beside the first polls, never in their way; its summary goes to the log.
  const selfCheck = new SelfCheckRunner(
    instances.map((i, n) => ({ id: i.id, iris: i.iris, local: n === 0 })),
    { bridgeVersion: BRIDGE_VERSION, role: loadBridgeRole(config.agentDir), inAddon: config.inAddon },
    log,
  );
  selfCheck.run().catch((err: unknown) => log.warn(`The self-check could not run: ${(err as Error).message}`));

  // Certificate expiry: sensors on the local instance's device, events and notifications in HA.
  const store = new CertStore(config.certDir);
  // A remote instance's files cannot be read from here: asking it every minute would be wasted.
  const readableIris = instances.filter((i) => isLocalIris(i.iris)).map((i) => ({ id: i.id, iris: i.iris }));
  const certificatesInUse = async () => certificateExpiries(await store.list(), await irisCertFiles(readableIris));
  const certWatch = new CertExpiryWatcher(certificatesInUse, log);
  const notices = ha ? new CertificateNotices(ha, log) : undefined;
  certWatch.on('change', (list) => {
    certificates.update(list);
    void notices?.onChange(list, (id) => certWatch.isWarned(id));
  });
  certWatch.on('warning', (w) => {
    log.warn(`The stored certificate "${w.name}" ${w.threshold === 0 ? 'has expired' : `expires in ${w.daysLeft} days`} (${w.notAfter}).`);
    void notices?.onWarning(w);
  });
  certWatch.start();

  if (backups) {
    const backupNotices = ha ? new BackupNotices(ha, log) : undefined;
    backups.on('status', (s) => {
      backupFeature?.update(s);
      if (s.last?.result === 'ok') void backupNotices?.onBackupOk();
    });
    backups.on('failed', (f) => void backupNotices?.onFailed(f));
    backups.on('thawed', (m) => void backupNotices?.onThawed(m));
  }

  // The options' apps, beside the first polls (IPM installs take minutes).
  if (apps && appsHa) {
    void applyOptionsApps(apps, config, log).then(() => appsHa.watch.refresh());
    appsHa.watch.start();
  }

  const running = { instances, backups, selfCheck, certStore: store, account, apps };
  // The MCP server goes with the panel: its token and URL are shown there and nowhere else.
  const mcp = options.panelLogs ? await startMcpFor(running, certificatesInUse, config, log, addonSlug, { feature: userSensors?.feature, connection: sensorConnection }) : undefined;
  const panel = options.panelLogs
    ? await startPanelFor({ ...running, apps: appParts, sensors: userSensors }, config, options.panelLogs, log, mcp?.access, haFlowsSource(config, flows, toIris, fromIris))
    : undefined;

  return {
    ...primary,
    ...running,
    panel,
    toIris,
    fromIris,
    async stop() {
      fromIris?.stop();
      toIris?.stop();
      backups?.stop();
      appsHa?.watch.stop();
      certWatch.stop();
      for (const r of reactions) r.stop();
      voice?.stop();
      responder?.stop();
      ha?.close();
      // Home Assistant hears "offline" first; then the panel closes, cutting open uploads and
      // downloads (an upload cut short leaves nothing behind), which must not hold the stop up.
      await Promise.all(instances.map((i) => i.stop()));
      await sensorConnection?.close().catch((err: unknown) => log.warn(`Closing the sensors' IRIS connection: ${(err as Error).message}`));
      await panel?.close().catch((err: unknown) => log.error({ err }, 'Error while stopping the panel'));
      await mcp?.server.close();
      await backups?.settle();
    },
  };
}
