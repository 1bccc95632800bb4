/**
 * The local instance's user sensors as a device feature. Which sensors were shown is remembered
 * in the state directory (under /data in the add-on, so in its backups), so that a sensor taken
 * out of the options is removed from Home Assistant at the next start instead of lingering there.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { writeAtomic } from '../files/atomic-write.ts';
import type { Logger } from '../log/logger.ts';
import { describeSensorProblem, type UserSensor } from '../model/sensor-definition.ts';
import type { Topics } from '../mqtt/topics.ts';
import { UserSensorFeature } from '../mqtt/user-sensors.ts';
import { AgentSensorReader, type SensorSource } from '../monitor/agent-sensors.ts';

const SHOWN_FILE = 'user-sensors.json';

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

/**
 * The feature for the sensors the bridge can read (metric sensors from the scrape; SQL, global and
 * method sensors when `agentReadable`, i.e. the sensors connection exists), or undefined when there
 * is nothing to show or remove. A name that begins with the device's name is refused: Home
 * Assistant shows the device name before it already, and warns about such names.
 */
export async function userSensorFeature(config: Config, topics: Topics, deviceName: string, log: Logger, agentReadable: boolean): Promise<UserSensorFeature | undefined> {
  const shown: UserSensor[] = [];
  const unread = config.userSensors.sensors.filter((s) => s.source.kind !== 'metric' && !agentReadable);
  if (unread.length > 0) {
    log.warn(
      `Not read: ${unread.map((s) => `"${s.name}"`).join(', ')}. SQL, global and method sensors run as the sensors' own IRIS user, and this bridge has no login for it ` +
        '(IRIS_SENSORS_USER and IRIS_SENSORS_PASSWORD_FILE; the add-on sets both).',
    );
  }
  for (const s of config.userSensors.sensors) {
    if (s.source.kind !== 'metric' && !agentReadable) continue;
    if (s.name.toLowerCase().startsWith(deviceName.toLowerCase())) {
      log.warn(`Left out: ${describeSensorProblem({ sensor: s.name, field: 'name', message: `Home Assistant already puts the device name "${deviceName}" before it; leave it out` })}`);
      continue;
    }
    shown.push(s);
  }
  const before = await shownBefore(config.stateDir, log);
  const keys = shown.map((s) => s.key);
  const removed = before.filter((k) => !keys.includes(k));
  if (keys.join('\n') !== before.join('\n')) {
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
    await writeAtomic(join(config.stateDir, SHOWN_FILE), JSON.stringify({ shown: keys }), { durable: true });
  }
  if (shown.length === 0 && removed.length === 0) return undefined;
  if (removed.length > 0) log.info(`Removing ${removed.length} sensor(s) no longer in the options from Home Assistant`);
  return new UserSensorFeature(topics.instanceSensors, shown, removed, (s, missing) => {
    const line = s.source.kind === 'metric' ? s.source.selector : undefined;
    const what = line ? `${line.name}${Object.keys(line.labels).length ? `{${Object.entries(line.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : ''}` : s.key;
    if (missing) log.warn(`Sensor "${s.name}" is unavailable: IRIS's /api/monitor/metrics has no number for ${what}.`);
    else log.info(`Sensor "${s.name}" has a value again.`);
  });
}

/** The reader of the feature's SQL, global and method sensors over the sensors connection. */
export function agentSensorReader(connection: SensorSource, feature: UserSensorFeature, config: Config, log: Logger): AgentSensorReader {
  return new AgentSensorReader(connection, feature.discoveryInputs().sensors, config.userSensors.packages ?? [], {
    unavailable: (s, reason) => log.warn(`Sensor "${s.name}" is unavailable: ${reason}`),
    available: (s) => log.info(`Sensor "${s.name}" has a value again.`),
  });
}
