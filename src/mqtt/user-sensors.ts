/**
 * The user's own sensors (model/sensor-definition.ts) as entities on the IRIS device, or on the
 * device of the production a sensor names, merged into that device's one discovery message like
 * every other feature. All of them share one retained JSON state topic,
 * `{"values": {<key>: <value>}, "attributes": {<key>: {...}}}`: a sensor without a value has no
 * entry and goes unavailable through its own availability template, while the others keep showing
 * theirs. An SQL sensor with `attributes` takes the columns of its row as attributes.
 *
 * A sensor removed from a device since the last start (deleted, or moved to another device) is
 * sent there once more as `{"p": "sensor"}`, which is how Home Assistant removes one component
 * from a device message (research mqtt-discovery.md §1.8, from HA's MQTT device discovery docs);
 * omitting it would leave its entity behind. A moved sensor's unique id is made with its new
 * device's id, so the old entity and the new one never claim the same id.
 */
import { placementOf, productionPlace, type UserSensor } from '../model/sensor-definition.ts';
import type { ProductionSnapshot } from '../model/production.ts';
import { slug } from '../model/ids.ts';
import { componentNamer, type Component, type DiscoveryContext } from './discovery.ts';
import { UNKNOWN } from './instance-sensors.ts';
import { FeatureSignal, type InstanceFeature, type StateMessage } from './feature.ts';

/** Component keys of user sensors: apart from the built-in ones, whatever the user calls them. */
export const userComponentKey = (key: string): string => `user_${key}`;

/** A sensor on a device: its key and placementOf (model/sensor-definition.ts). */
export interface Placement {
  key: string;
  on: string;
}

/** What one device's user sensor components are built from. */
export interface UserSensorInputs {
  sensors: UserSensor[];
  /** Keys shown on this device by an earlier run (or before a change) and no longer there. */
  removed: string[];
}

type Namer = ReturnType<typeof componentNamer>;

function userSensorComponents(ctx: DiscoveryContext, c: Namer, stateTopic: string, inputs: UserSensorInputs): Record<string, Component> {
  const out: Record<string, Component> = {};
  for (const s of inputs.sensors) {
    const key = userComponentKey(s.key);
    const field = `value_json['values'][${JSON.stringify(s.key)}]`;
    const t = s.typing;
    out[key] = c('sensor', key, s.name, {
      stat_t: stateTopic,
      // HA renders the state template even while the entity is unavailable: without a default a
      // sensor with no value logs a template warning on every state message.
      val_tpl: `{{ ${field} | default('${UNKNOWN}') }}`,
      // Available while the bridge runs, IRIS answers and this sensor has a value.
      avty: [
        { t: ctx.topics.bridgeAvailability },
        { t: ctx.topics.irisAvailability },
        { t: stateTopic, val_tpl: `{{ 'online' if ${JSON.stringify(s.key)} in value_json['values'] else 'offline' }}` },
      ],
      avty_mode: 'all',
      ...(t.unit !== undefined ? { unit_of_meas: t.unit } : {}),
      ...(t.deviceClass !== undefined ? { dev_cla: t.deviceClass } : {}),
      ...(t.stateClass !== undefined ? { stat_cla: t.stateClass } : {}),
      ...(t.icon !== undefined ? { icon: t.icon } : {}),
      ...(t.displayPrecision !== undefined ? { sug_dsp_prc: t.displayPrecision } : {}),
      ...(t.entityCategory !== undefined ? { ent_cat: t.entityCategory } : {}),
      ...(t.options !== undefined ? { ops: t.options } : {}),
      // The state has no "attributes" until a row was read: .get keeps the template from failing.
      ...(s.source.kind === 'sql' && s.source.attributes
        ? { json_attr_t: stateTopic, json_attr_tpl: `{{ value_json.get('attributes', {}).get(${JSON.stringify(s.key)}, {}) | tojson }}` }
        : {}),
    }, key);
  }
  for (const k of inputs.removed) out[userComponentKey(k)] = { p: 'sensor' };
  return out;
}

/** The retained state: the values the sensors have now, by key, and an SQL row's columns. */
export function userSensorState(values: ReadonlyMap<string, number | string>, attributes: ReadonlyMap<string, Record<string, string>> = new Map()): string {
  return JSON.stringify({ values: Object.fromEntries(values), ...(attributes.size > 0 ? { attributes: Object.fromEntries(attributes) } : {}) });
}

/**
 * The sensors read from the metrics scrape. Each keeps its own interval: a value is taken from a
 * scrape only when the sensor's interval has passed since it last took one, so a sensor at 60 s
 * on a 10 s poll changes at most once a minute.
 */
export class UserSensorFeature extends FeatureSignal implements InstanceFeature<UserSensorInputs> {
  private readonly values = new Map<string, number | string>();
  private readonly attributes = new Map<string, Record<string, string>>();
  private readonly takenAt = new Map<string, number>();
  /** Sensors whose line the last successful scrape lacked, so that this is said once, not every poll. */
  private readonly missing = new Set<string>();
  private shown = false;
  private byDevice: Map<string, UserSensorInputs> | undefined;

  constructor(
    private readonly stateTopic: string,
    private sensors: UserSensor[],
    private removed: Placement[],
    /** Told when a successful scrape first lacks a sensor's line (true) and when it is back (false). */
    private readonly onMissing: (sensor: UserSensor, missing: boolean) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /** Each sensor with its value now (undefined: unavailable) and an SQL row's columns. */
  readings(): { sensor: UserSensor; value: number | string | undefined; attributes: Record<string, string> | undefined }[] {
    return this.sensors.map((sensor) => ({ sensor, value: this.values.get(sensor.key), attributes: this.attributes.get(sensor.key) }));
  }

  /**
   * A new list of sensors (the panel added, changed or deleted one): discovery is rebuilt from it,
   * and each key in `removed` is sent as a removal. A sensor whose definition changed starts
   * without a value, so no value read under the old definition is shown under the new one.
   */
  redefine(sensors: UserSensor[], removed: Placement[]): void {
    const kept = new Map(sensors.map((s) => [s.key, JSON.stringify(s)]));
    for (const s of this.sensors) {
      if (kept.get(s.key) === JSON.stringify(s)) continue;
      this.values.delete(s.key);
      this.attributes.delete(s.key);
      this.takenAt.delete(s.key);
      this.missing.delete(s.key);
    }
    this.sensors = sensors;
    this.removed = removed;
    this.byDevice = undefined;
    this.changed();
  }

  /** The values the agent read (SQL, global and method sensors): a sensor absent from `read` has none. */
  updateRead(read: ReadonlyMap<string, { value: number | string; attributes?: Record<string, string> }>): void {
    this.settle(() => {
      for (const s of this.sensors) {
        if (s.source.kind === 'metric') continue;
        const r = read.get(s.key);
        if (r === undefined) this.values.delete(s.key);
        else this.values.set(s.key, r.value);
        if (r?.attributes) this.attributes.set(s.key, r.attributes);
        else this.attributes.delete(s.key);
      }
    });
  }

  /**
   * Applies an update and tells the bridge only when the retained state differs (or is shown for
   * the first time): each signal is a whole sync of every production and host, and polls where no
   * sensor moved are the common case.
   */
  private settle(apply: () => void): void {
    const before = this.shown ? this.statePayload() : undefined;
    apply();
    this.shown = true;
    if (this.statePayload() !== before) this.changed();
  }

  private statePayload(): string {
    return userSensorState(this.values, this.attributes);
  }

  /** The latest scrape's values (undefined: the scrape failed, so none has a value). */
  update(scraped: Readonly<Record<string, number>> | undefined): void {
    this.settle(() => this.take(scraped));
  }

  private take(scraped: Readonly<Record<string, number>> | undefined): void {
    const t = this.now();
    for (const s of this.sensors) {
      if (s.source.kind !== 'metric') continue;
      const last = this.takenAt.get(s.key);
      const v = scraped?.[s.key];
      if (scraped !== undefined && (v === undefined) !== this.missing.has(s.key)) {
        if (v === undefined) this.missing.add(s.key);
        else this.missing.delete(s.key);
        this.onMissing(s, v === undefined);
      }
      if (v === undefined) {
        this.values.delete(s.key);
        this.takenAt.delete(s.key);
      } else if (last === undefined || t - last >= s.intervalS * 1000) {
        this.values.set(s.key, v);
        this.takenAt.set(s.key, t);
      }
    }
  }

  /** Every sync asks once per production: sorted by device once per change of the sensors. */
  private inputsOn(on: string): UserSensorInputs {
    if (!this.byDevice) {
      const by = new Map<string, UserSensorInputs>();
      const of = (place: string) => by.get(place) ?? by.set(place, { sensors: [], removed: [] }).get(place)!;
      for (const s of this.sensors) of(placementOf(s)).sensors.push(s);
      for (const r of this.removed) of(r.on).removed.push(r.key);
      this.byDevice = by;
    }
    return this.byDevice.get(on) ?? { sensors: [], removed: [] };
  }

  discoveryInputs(): UserSensorInputs {
    return this.inputsOn('');
  }

  components(ctx: DiscoveryContext, inputs: UserSensorInputs): Record<string, Component> {
    return userSensorComponents(ctx, componentNamer(ctx, ctx.topics.instanceDeviceId, slug(ctx.instanceName)), this.stateTopic, inputs);
  }

  /** Undefined for a production none of the sensors is (or was) on: its device message stays as it was. */
  productionInputs(p: Pick<ProductionSnapshot, 'namespace' | 'name'>): UserSensorInputs | undefined {
    const inputs = this.inputsOn(productionPlace(p));
    return inputs.sensors.length > 0 || inputs.removed.length > 0 ? inputs : undefined;
  }

  productionComponents(ctx: DiscoveryContext, p: Pick<ProductionSnapshot, 'namespace' | 'name'>, inputs: UserSensorInputs): Record<string, Component> {
    return userSensorComponents(ctx, componentNamer(ctx, ctx.topics.productionDeviceId(p), slug(p.name)), this.stateTopic, inputs);
  }

  states(): StateMessage[] {
    // A panel with no sensor yet publishes no state topic for them.
    return this.shown && (this.sensors.length > 0 || this.removed.length > 0) ? [{ topic: this.stateTopic, payload: this.statePayload() }] : [];
  }
}
