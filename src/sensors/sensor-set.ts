/**
 * The local instance's user sensors from both places they are declared: the `sensors` option and
 * the panel's Sensors page. The options are the declarative source of truth: a panel sensor
 * whose name makes the same entity as an option's sensor is kept but not shown, and the panel
 * says so. The panel's sensors are checked by the same validator as the options'; a change is
 * saved first, then applied to Home Assistant, without a restart.
 */
import type { Logger } from '../log/logger.ts';
import { deviceNameProblem, MAX_USER_SENSORS, readSensorDefinitions, type SensorContext, type SensorProblem, type SensorSource, type UserSensor } from '../model/sensor-definition.ts';
import { slug } from '../model/ids.ts';
import type { PanelSensorStore } from './panel-store.ts';

export type SensorSetErrorKind = 'invalid' | 'conflict' | 'not-found' | 'full' | 'read-only';

/** A change the set refuses; `problems` name the fields of an invalid definition. */
export class SensorSetError extends Error {
  constructor(
    readonly kind: SensorSetErrorKind,
    message: string,
    readonly problems: SensorProblem[] = [],
  ) {
    super(message);
    this.name = 'SensorSetError';
  }
}

export interface SensorEntry {
  key: string;
  name: string;
  origin: 'options' | 'panel';
  /** The definition in the option's fields (as saved for a panel sensor; rebuilt for an option's). */
  definition: Record<string, unknown>;
  /** A panel sensor an option's sensor of the same name overrides: kept, not shown. */
  overridden?: boolean;
  /** A saved panel sensor that no longer holds (e.g. its package left `sensor_packages`). */
  problems?: SensorProblem[];
}

function quoteSubscript(v: string | number): string {
  return typeof v === 'number' ? String(v) : `"${v.replaceAll('"', '""')}"`;
}

/** The source as the option's field writes it. */
export function sourceText(s: SensorSource): string {
  switch (s.kind) {
    case 'sql':
      return s.query;
    case 'global':
      return `^${s.ref.name}${s.ref.subscripts.length ? `(${s.ref.subscripts.map(quoteSubscript).join(',')})` : ''}`;
    case 'method':
      return `${s.ref.className}.${s.ref.method}`;
    case 'metric': {
      const labels = Object.entries(s.selector.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
      return `${s.selector.name}${labels.length ? `{${labels.join(',')}}` : ''}`;
    }
  }
}

/** An option's sensor in the option's own fields, for the page to show. */
export function definitionOf(s: UserSensor): Record<string, unknown> {
  const t = s.typing;
  const d: Record<string, unknown> = { name: s.name, namespace: s.namespace, [s.source.kind]: sourceText(s.source) };
  if (s.source.kind === 'sql' && s.source.attributes) d.attributes = true;
  if (s.source.kind === 'global' && s.source.count) d.count_subscripts = true;
  Object.assign(d, { unit: t.unit, device_class: t.deviceClass, state_class: t.stateClass, icon: t.icon, display_precision: t.displayPrecision, entity_category: t.entityCategory, options: t.options?.join(', '), interval: s.intervalS });
  return Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
}

export interface SensorSetOptions {
  /** The options' sensors that hold (config.userSensors.sensors). */
  options: readonly UserSensor[];
  context: SensorContext;
  store: PanelSensorStore;
  /** HA puts the device name before every entity name: a sensor name may not start with it. */
  deviceName: string;
  log: Logger;
}

export class UserSensorSet {
  private panel: Record<string, unknown>[] = [];
  /** Why the panel's saved sensors cannot be changed (their file is unreadable); undefined: they can. */
  private readOnly: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private listener: (sensors: UserSensor[]) => Promise<void> = async () => {};

  constructor(private readonly opts: SensorSetOptions) {}

  async load(): Promise<void> {
    try {
      this.panel = await this.opts.store.load();
    } catch (err) {
      this.readOnly = (err as Error).message;
      this.opts.log.warn(this.readOnly);
    }
    for (const p of this.panelRead().problems) this.opts.log.warn(`Left out (panel): sensor "${p.sensor}", field "${p.field}": ${p.message}`);
  }

  /** Called with the sensors to show after every change (compose/user-sensors.ts applies them). */
  onChange(listener: (sensors: UserSensor[]) => Promise<void>): void {
    this.listener = listener;
  }

  private panelRead(): { sensors: UserSensor[]; problems: SensorProblem[] } {
    return readSensorDefinitions(this.panel, this.opts.context);
  }

  /** Every sensor to show: the options' first, then the panel's that no option's sensor overrides. */
  sensors(): UserSensor[] {
    const fromOptions = new Set(this.opts.options.map((s) => s.key));
    return [...this.opts.options, ...this.panelRead().sensors.filter((s) => !fromOptions.has(s.key))].slice(0, MAX_USER_SENSORS);
  }

  /** The page's list: the options' sensors (read-only), then the panel's in the order made. */
  list(): { sensors: SensorEntry[]; readOnly?: string } {
    const fromOptions = new Set(this.opts.options.map((s) => s.key));
    const entries: SensorEntry[] = this.opts.options.map((s) => ({ key: s.key, name: s.name, origin: 'options', definition: definitionOf(s) }));
    this.panel.forEach((raw, i) => {
      const one = readSensorDefinitions([raw], this.opts.context);
      const name = typeof raw.name === 'string' ? raw.name : `#${i + 1}`;
      const key = slug(name);
      entries.push({ key, name, origin: 'panel', definition: raw, ...(fromOptions.has(key) ? { overridden: true } : {}), ...(one.problems.length ? { problems: one.problems } : {}) });
    });
    return { sensors: entries, ...(this.readOnly ? { readOnly: this.readOnly } : {}) };
  }

  /** The definition checked on its own, as create and update check it (for Test before saving). */
  check(raw: unknown): UserSensor {
    const { sensors, problems } = readSensorDefinitions([raw], this.opts.context);
    const sensor = sensors[0];
    if (!sensor) throw new SensorSetError('invalid', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
    const p = deviceNameProblem(sensor.name, this.opts.deviceName);
    if (p) throw new SensorSetError('invalid', `name: ${p.message}`, [p]);
    return sensor;
  }

  create(raw: Record<string, unknown>): Promise<SensorEntry> {
    return this.change(() => {
      const sensor = this.check(raw);
      this.refuseTaken(sensor, undefined);
      if (this.opts.options.length + this.panel.length >= MAX_USER_SENSORS) throw new SensorSetError('full', `At most ${MAX_USER_SENSORS} sensors (the options' and the panel's together); delete one first.`);
      return { next: [...this.panel, raw], key: sensor.key };
    });
  }

  update(key: string, raw: Record<string, unknown>): Promise<SensorEntry> {
    return this.change(() => {
      const at = this.indexOf(key);
      const sensor = this.check(raw);
      this.refuseTaken(sensor, key);
      return { next: this.panel.map((d, i) => (i === at ? raw : d)), key: sensor.key };
    });
  }

  remove(key: string): Promise<void> {
    return this.change(() => {
      const at = this.indexOf(key);
      return { next: this.panel.filter((_, i) => i !== at), key: undefined };
    }).then(() => undefined);
  }

  private indexOf(key: string): number {
    const at = this.panel.findIndex((d) => typeof d.name === 'string' && slug(d.name) === key);
    if (at !== -1) return at;
    if (this.opts.options.some((s) => s.key === key)) throw new SensorSetError('read-only', 'This sensor is defined in the add-on options; change or remove it there (Settings > Add-ons > IRIS Edge > Configuration).');
    throw new SensorSetError('not-found', `There is no panel sensor "${key.slice(0, 64)}".`);
  }

  private refuseTaken(sensor: UserSensor, own: string | undefined): void {
    if (this.opts.options.some((s) => s.key === sensor.key)) {
      throw new SensorSetError('conflict', `name: the add-on options already define a sensor "${sensor.name}", and the options win; give this one a different name.`, [{ sensor: sensor.name, field: 'name', message: 'the add-on options define a sensor of this name' }]);
    }
    if (sensor.key !== own && this.panel.some((d) => typeof d.name === 'string' && slug(d.name) === sensor.key)) {
      throw new SensorSetError('conflict', `name: a panel sensor makes the same entity as "${sensor.name}"; give it a different name.`, [{ sensor: sensor.name, field: 'name', message: 'another sensor makes the same entity' }]);
    }
  }

  /** One change at a time: checked against the list as it is, saved, then applied. */
  private change(plan: () => { next: Record<string, unknown>[]; key: string | undefined }): Promise<SensorEntry> {
    const run = this.queue.then(async () => {
      if (this.readOnly) throw new SensorSetError('read-only', this.readOnly);
      const { next, key } = plan();
      await this.opts.store.save(next);
      this.panel = next;
      await this.listener(this.sensors());
      return this.list().sensors.find((e) => e.origin === 'panel' && e.key === key) as SensorEntry;
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
