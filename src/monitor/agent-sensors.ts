/**
 * Reads the SQL, global and method sensors on each poll: the sensors whose interval has passed are
 * grouped by namespace and each namespace is read in ONE agent call (IrisEdge.Agent.ReadSensors),
 * the namespaces side by side. Each sensor keeps its own outcome: a value, or unavailable with
 * its error, which is logged once when it starts and once when the sensor has a value again.
 *
 * A slow sensor must not hold up the others. In-process SQL cannot be pre-empted, so the order of
 * the batch is what protects them: sensors the agent deferred last time go first, and a sensor
 * that was slow or failed goes last, after every sensor that answered; the agent stops starting
 * sensors once the call's time budget is spent and answers the rest "deferred".
 */
import type { SensorReading, SensorRequest } from '../iris/agent/sensors.ts';
import { sensorRequest } from '../iris/agent/sensors.ts';
import { SENSOR_DEVICE_CLASSES } from '../model/ha-sensor-rules.ts';
import type { UserSensor } from '../model/sensor-definition.ts';

/** What the reader needs of the sensors connection (AgentIrisClient.readSensors). */
export interface SensorSource {
  readSensors(namespace: string, requests: SensorRequest[], packages: readonly string[]): Promise<SensorReading[]>;
}

export interface SensorValue {
  value: number | string;
  attributes?: Record<string, string>;
}

/** What the reader says as sensors go unavailable and come back. */
export interface SensorReaderEvents {
  unavailable(sensor: UserSensor, reason: string): void;
  available(sensor: UserSensor): void;
}

/** A sensor Home Assistant shows as a number: a unit, a state class or a numeric device class. */
export function isNumericSensor(s: UserSensor): boolean {
  const t = s.typing;
  if (t.options !== undefined) return false;
  return t.unit !== undefined || t.stateClass !== undefined || (t.deviceClass !== undefined && SENSOR_DEVICE_CLASSES[t.deviceClass]?.numeric === true);
}

/** A reading as the sensor's value, or the reason it has none. */
export function sensorValueOf(s: UserSensor, r: Extract<SensorReading, { ok: true }>): SensorValue | string {
  if (!isNumericSensor(s)) return { value: String(r.value), ...(r.attributes ? { attributes: r.attributes } : {}) };
  const n = typeof r.value === 'number' ? r.value : Number(String(r.value).trim());
  if (String(r.value).trim() === '' || !Number.isFinite(n)) return `IRIS answered ${JSON.stringify(String(r.value).slice(0, 40))}, which is not a number (the sensor has a unit, state class or numeric device class)`;
  return { value: n, ...(r.attributes ? { attributes: r.attributes } : {}) };
}

export class AgentSensorReader {
  /** Agent calls made, for the bench. */
  calls = 0;
  private readonly values = new Map<string, SensorValue>();
  private readonly readAt = new Map<string, number>();
  private readonly failing = new Map<string, string>();
  private readonly deferred = new Set<string>();
  private readonly sensors: Array<{ sensor: UserSensor; request: SensorRequest; namespace: string }>;
  private running: Promise<void> | undefined;

  constructor(
    private readonly source: SensorSource,
    sensors: readonly UserSensor[],
    private readonly packages: readonly string[],
    private readonly events: SensorReaderEvents,
    private readonly now: () => number = Date.now,
  ) {
    this.sensors = sensors.flatMap((sensor) => {
      const request = sensorRequest(sensor);
      return request && sensor.namespace ? [{ sensor, request, namespace: sensor.namespace }] : [];
    });
  }

  /** The sensors this reader reads (the metric ones come from the scrape). */
  get count(): number {
    return this.sensors.length;
  }

  /** The current values by key; a sensor without one is unavailable. */
  current(): ReadonlyMap<string, SensorValue> {
    return this.values;
  }

  /** One poll: every namespace with a due sensor, one call each. A poll still running is not doubled. */
  tick(): Promise<void> {
    this.running ??= this.readDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private due(t: number): Map<string, typeof this.sensors> {
    const byNs = new Map<string, typeof this.sensors>();
    for (const e of this.sensors) {
      const last = this.readAt.get(e.sensor.key);
      if (last !== undefined && t - last < e.sensor.intervalS * 1000 && !this.deferred.has(e.sensor.key)) continue;
      const list = byNs.get(e.namespace) ?? [];
      list.push(e);
      byNs.set(e.namespace, list);
    }
    // Deferred first, then the ones that answered, then the failing (possibly slow) ones.
    const rank = (k: string) => (this.deferred.has(k) ? 0 : this.failing.has(k) ? 2 : 1);
    for (const list of byNs.values()) list.sort((a, b) => rank(a.sensor.key) - rank(b.sensor.key));
    return byNs;
  }

  private async readDue(): Promise<void> {
    const t = this.now();
    await Promise.all(
      [...this.due(t)].map(async ([namespace, list]) => {
        this.calls++;
        let readings: SensorReading[];
        try {
          readings = await this.source.readSensors(namespace, list.map((e) => e.request), this.packages);
        } catch (err) {
          for (const e of list) this.fail(e.sensor, `the sensors of namespace ${namespace} could not be read: ${(err as Error).message}`, t);
          return;
        }
        list.forEach((e, i) => {
          const r = readings[i] as SensorReading;
          if ('deferred' in r) {
            this.deferred.add(e.sensor.key);
            return;
          }
          this.deferred.delete(e.sensor.key);
          if (!r.ok) {
            this.fail(e.sensor, `IRIS answered ${r.code}: ${r.text}`, t);
            return;
          }
          const v = sensorValueOf(e.sensor, r);
          if (typeof v === 'string') {
            this.fail(e.sensor, v, t);
            return;
          }
          this.values.set(e.sensor.key, v);
          this.readAt.set(e.sensor.key, t);
          if (this.failing.delete(e.sensor.key)) this.events.available(e.sensor);
        });
      }),
    );
  }

  private fail(sensor: UserSensor, reason: string, t: number): void {
    this.values.delete(sensor.key);
    this.readAt.set(sensor.key, t);
    this.deferred.delete(sensor.key);
    if (!this.failing.has(sensor.key)) this.events.unavailable(sensor, reason);
    this.failing.set(sensor.key, reason);
  }
}
