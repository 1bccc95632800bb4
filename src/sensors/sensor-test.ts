/**
 * The panel's Test button: one read of one sensor's source, before it is saved. A metric is read
 * from one scrape of /api/monitor/metrics; an SQL, global or method sensor from one
 * IrisEdge.Agent.ReadSensors call for it alone, as the sensors' own IRIS user, exactly as the
 * poll will read it. The answer says what Home Assistant would then show.
 */
import { sensorRequest, type SensorReading } from '../iris/agent/sensors.ts';
import type { UserSensor } from '../model/sensor-definition.ts';
import type { MetricSelector } from '../model/sensor-source.ts';
import { sensorValueOf, type SensorSource } from '../monitor/agent-sensors.ts';
import { haStateOf } from './ha-state.ts';

export interface SensorReaders {
  /** One scrape for one selector; absent when this bridge has no /api/monitor. */
  metric?: (selector: MetricSelector) => Promise<number | undefined>;
  /** The sensors' own connection; absent when the bridge has no login for that user. */
  agent?: SensorSource;
  packages: readonly string[];
}

export interface SensorTestResult {
  /** The value read; null when there is none. */
  value: number | string | null;
  type: 'number' | 'text' | null;
  attributes?: Record<string, string>;
  ms: number;
  /** What Home Assistant would show: the formatted state, or 'unavailable'. */
  state: string;
  /** Why it would be unavailable. */
  reason?: string;
}

const NO_AGENT =
  'SQL, global and method sensors run as the sensors\' own IRIS user, and this bridge has no login for it (IRIS_SENSORS_USER and IRIS_SENSORS_PASSWORD_FILE; the add-on sets both).';

async function readOnce(sensor: UserSensor, readers: SensorReaders): Promise<{ value: number | string; attributes?: Record<string, string> } | string> {
  const src = sensor.source;
  if (src.kind === 'metric') {
    if (!readers.metric) return "this bridge does not read IRIS's /api/monitor";
    const v = await readers.metric(src.selector);
    return v === undefined ? "IRIS's /api/monitor/metrics has no number for this metric" : { value: v };
  }
  const request = sensorRequest(sensor);
  if (!readers.agent || !request || !sensor.namespace) return NO_AGENT;
  const [r] = (await readers.agent.readSensors(sensor.namespace, [request], readers.packages)) as [SensorReading];
  if ('deferred' in r) return 'IRIS deferred it (the time budget of the call was spent)';
  if (!r.ok) return `IRIS answered ${r.code}: ${r.text}`;
  return sensorValueOf(sensor, r);
}

export async function testSensor(sensor: UserSensor, readers: SensorReaders, clock: () => number = performance.now.bind(performance)): Promise<SensorTestResult> {
  const started = clock();
  let got: Awaited<ReturnType<typeof readOnce>>;
  try {
    got = await readOnce(sensor, readers);
  } catch (err) {
    got = `IRIS could not be asked: ${(err as Error).message}`;
  }
  const ms = Math.round((clock() - started) * 10) / 10;
  if (typeof got === 'string') return { value: null, type: null, ms, state: 'unavailable', reason: got };
  const shown = haStateOf(sensor, got.value);
  return {
    value: got.value,
    type: typeof got.value === 'number' ? 'number' : 'text',
    ...(got.attributes ? { attributes: got.attributes } : {}),
    ms,
    state: shown.state,
    ...(shown.available ? {} : { reason: shown.reason }),
  };
}
