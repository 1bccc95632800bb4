/**
 * The local instance's user sensors, from the options and from the panel (sensors/sensor-set.ts),
 * as a device feature that follows every change the panel makes without a restart: discovery is
 * rebuilt, the scrape reads the new metric sensors, a new agent reader takes the SQL, global and
 * method ones, and a deleted sensor is removed from Home Assistant. Which sensors were shown is
 * remembered in the state directory (under /data in the add-on, so in its backups), so that a
 * sensor taken out of the options is removed at the next start instead of lingering there.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { writeAtomic } from '../files/atomic-write.ts';
import type { Logger } from '../log/logger.ts';
import { describeSensorProblem, type UserSensor } from '../model/sensor-definition.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import type { MonitorView } from '../model/view.ts';
import type { HealthSource } from '../monitor/monitor.ts';
import type { Topics } from '../mqtt/topics.ts';
import { UserSensorFeature } from '../mqtt/user-sensors.ts';
import { AgentSensorReader, type SensorSource } from '../monitor/agent-sensors.ts';
import { PanelSensorStore } from '../sensors/panel-store.ts';
import { sourceText, UserSensorSet } from '../sensors/sensor-set.ts';
import type { SensorReaders } from '../sensors/sensor-test.ts';

const SHOWN_FILE = 'user-sensors.json';
/** The panel's sensors, beside the list of those shown. */
export const PANEL_SENSORS_FILE = 'panel-sensors.json';

async function shownBefore(stateDir: string, log: Logger): Promise<string[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(stateDir, SHOWN_FILE), 'utf8'));
    const keys = (parsed as { shown?: unknown }).shown;
    if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) return keys;
    throw new Error('not a list of sensor keys');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`The list of sensors shown before (${SHOWN_FILE}) is unreadable, so a sensor removed since cannot be removed from Home Assistant: ${(err as Error).message}`);
    return [];
  }
}

async function rememberShown(stateDir: string, keys: string[]): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeAtomic(join(stateDir, SHOWN_FILE), JSON.stringify({ shown: keys }), { durable: true });
}

/** The sensors' metric selectors by key: the scrape reads them too. */
export function metricSelectors(sensors: readonly UserSensor[]): Map<string, MetricSelector> {
  return new Map(sensors.flatMap((s) => (s.source.kind === 'metric' ? [[s.key, s.source.selector] as const] : [])));
}

export interface UserSensors {
  feature: UserSensorFeature;
  /** The options' and the panel's sensors, for the panel's Sensors page. */
  set: UserSensorSet;
  /** How the panel's Test reads one sensor. */
  readers: SensorReaders;
  /** Each poll's view: the metric values, and one agent call per namespace for the due others. */
  read(view: MonitorView): void;
}

/**
 * The user sensors of the local instance, or undefined when there is nothing to show or remove
 * and no panel to define any. SQL, global and method sensors are read when `connection` (the
 * sensors' own login) exists; without it they are left out with a warning naming them.
 */
export async function startUserSensors(
  config: Config,
  topics: Topics,
  deviceName: string,
  log: Logger,
  parts: { connection: SensorSource | undefined; health: HealthSource | undefined; panel: boolean },
): Promise<UserSensors | undefined> {
  const packages = config.userSensors.packages ?? [];
  const set = new UserSensorSet({
    options: config.userSensors.sensors,
    context: { pollIntervalS: config.pollIntervalMs / 1000, packages },
    store: new PanelSensorStore(join(config.stateDir, PANEL_SENSORS_FILE)),
    deviceName,
    log,
  });
  if (parts.panel) await set.load();
  const showable = (all: UserSensor[]): UserSensor[] => {
    const unread = all.filter((s) => s.source.kind !== 'metric' && !parts.connection);
    if (unread.length > 0) {
      log.warn(
        `Not read: ${unread.map((s) => `"${s.name}"`).join(', ')}. SQL, global and method sensors run as the sensors' own IRIS user, and this bridge has no login for it ` +
          '(IRIS_SENSORS_USER and IRIS_SENSORS_PASSWORD_FILE; the add-on sets both).',
      );
    }
    return all.filter((s) => {
      if (s.source.kind !== 'metric' && !parts.connection) return false;
      if (!s.name.toLowerCase().startsWith(deviceName.toLowerCase())) return true;
      log.warn(`Left out: ${describeSensorProblem({ sensor: s.name, field: 'name', message: `Home Assistant already puts the device name "${deviceName}" before it; leave it out` })}`);
      return false;
    });
  };

  let shown = showable(set.sensors());
  const before = await shownBefore(config.stateDir, log);
  let keys = shown.map((s) => s.key);
  let removed = before.filter((k) => !keys.includes(k));
  if (keys.join('\n') !== before.join('\n')) await rememberShown(config.stateDir, keys);
  if (!parts.panel && shown.length === 0 && removed.length === 0) return undefined;
  if (removed.length > 0) log.info(`Removing ${removed.length} sensor(s) no longer defined from Home Assistant`);

  const feature = new UserSensorFeature(topics.instanceSensors, shown, removed, (s, missing) => {
    if (missing) log.warn(`Sensor "${s.name}" is unavailable: IRIS's /api/monitor/metrics has no number for ${sourceText(s.source)}.`);
    else log.info(`Sensor "${s.name}" has a value again.`);
  });
  const newReader = () =>
    parts.connection
      ? new AgentSensorReader(parts.connection, shown, packages, {
          unavailable: (s, reason) => log.warn(`Sensor "${s.name}" is unavailable: ${reason}`),
          available: (s) => log.info(`Sensor "${s.name}" has a value again.`),
        })
      : undefined;
  let reader = newReader();
  parts.health?.setSensorMetrics?.(metricSelectors(shown));

  set.onChange(async (all) => {
    const previous = keys;
    shown = showable(all);
    keys = shown.map((s) => s.key);
    // A removal stays in the message until the next start: HA ignores one for a component it lacks.
    removed = [...new Set([...removed, ...previous])].filter((k) => !keys.includes(k));
    await rememberShown(config.stateDir, keys);
    parts.health?.setSensorMetrics?.(metricSelectors(shown));
    reader = newReader();
    feature.redefine(shown, removed);
  });

  return {
    feature,
    set,
    readers: { agent: parts.connection, metric: parts.health?.readSensorMetric?.bind(parts.health), packages },
    read(view) {
      feature.update(view.metrics?.sensorValues);
      const current = reader;
      // One agent call per namespace per poll for the due SQL, global and method sensors.
      if (!current?.count) return;
      current
        .tick()
        // A reader replaced meanwhile (the panel changed the sensors) reports nothing.
        .then(() => current === reader && feature.updateRead(current.current()))
        .catch((err: unknown) => log.warn(`Reading the SQL, global and method sensors: ${(err as Error).message}`));
    },
  };
}
