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
import { describeSensorProblem, deviceNameProblem, placementOf, type UserSensor } from '../model/sensor-definition.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import type { MonitorView } from '../model/view.ts';
import type { HealthSource } from '../monitor/monitor.ts';
import type { Topics } from '../mqtt/topics.ts';
import { UserSensorFeature, type Placement } from '../mqtt/user-sensors.ts';
import { AgentSensorReader, type SensorSource } from '../monitor/agent-sensors.ts';
import { AbsentProductions } from '../sensors/absent-productions.ts';
import { PanelSensorStore } from '../sensors/panel-store.ts';
import { sourceText, UserSensorSet } from '../sensors/sensor-set.ts';
import type { SensorReaders } from '../sensors/sensor-test.ts';

const SHOWN_FILE = 'user-sensors.json';
/** The panel's sensors, beside the list of those shown. */
export const PANEL_SENSORS_FILE = 'panel-sensors.json';

/**
 * Where each sensor was shown by the last run. The file of earlier versions lists keys only: they
 * were all on the IRIS device.
 */
async function shownBefore(stateDir: string, log: Logger): Promise<Placement[]> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(stateDir, SHOWN_FILE), 'utf8'));
    const shown = (parsed as { shown?: unknown }).shown;
    if (!Array.isArray(shown)) throw new Error('not a list of sensors');
    return shown.map((k: unknown) => {
      if (typeof k === 'string') return { key: k, on: '' };
      const p = k as Partial<Placement> | null;
      if (typeof p?.key === 'string' && typeof p.on === 'string') return { key: p.key, on: p.on };
      throw new Error('not a list of sensors');
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`The list of sensors shown before (${SHOWN_FILE}) is unreadable, so a sensor removed since cannot be removed from Home Assistant: ${(err as Error).message}`);
    return [];
  }
}

async function rememberShown(stateDir: string, shown: Placement[]): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeAtomic(join(stateDir, SHOWN_FILE), JSON.stringify({ shown }), { durable: true });
}

const placements = (sensors: readonly UserSensor[]): Placement[] => sensors.map((s) => ({ key: s.key, on: placementOf(s) }));
const samePlace = (a: Placement) => (b: Placement) => a.key === b.key && a.on === b.on;
/** What `from` had that `to` lacks: each one is removed from its device. */
const leftOut = (from: readonly Placement[], to: readonly Placement[]): Placement[] => from.filter((p) => !to.some(samePlace(p)));

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
      const problem = deviceNameProblem(s.name, deviceName);
      if (!problem) return true;
      log.warn(`Left out: ${describeSensorProblem(problem)}`);
      return false;
    });
  };

  let shown = showable(set.sensors());
  const before = await shownBefore(config.stateDir, log);
  let places = placements(shown);
  let removed = leftOut(before, places);
  if (JSON.stringify(places) !== JSON.stringify(before)) await rememberShown(config.stateDir, places);
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
    const previous = places;
    shown = showable(all);
    places = placements(shown);
    // A removal stays in the message until the next start: HA ignores one for a component it lacks.
    removed = leftOut([...removed, ...leftOut(previous, removed)], places);
    await rememberShown(config.stateDir, places);
    parts.health?.setSensorMetrics?.(metricSelectors(shown));
    reader = newReader();
    feature.redefine(shown, removed);
  });

  const absent = new AbsentProductions();
  return {
    feature,
    set,
    readers: { agent: parts.connection, metric: parts.health?.readSensorMetric?.bind(parts.health), packages },
    read(view) {
      if (view.inventoried) {
        const { lost, found } = absent.update(shown, view.productions);
        for (const s of lost) log.warn(`Sensor "${s.name}" is not shown: it goes on the device of production ${s.production!.name}, which IRIS does not have in namespace ${s.production!.namespace}. It appears when the production does.`);
        for (const s of found) log.info(`Sensor "${s.name}" is shown on the device of production ${s.production!.name}.`);
      }
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
