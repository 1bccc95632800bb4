/**
 * User-defined sensors: the `sensors` add-on option (and, later, the panel's own list) read into
 * typed definitions. A bad definition never stops the bridge: it is left out with a problem that
 * names the sensor and the field, and every other sensor keeps working. The typing is checked
 * with the same table of Home Assistant's rules the built-in sensors are tested against
 * (ha-sensor-rules.ts), so a sensor HA would silently refuse is refused here, loudly.
 */
import { z } from 'zod';
import { slug } from './ids.ts';
import { SENSOR_DEVICE_CLASSES, sensorTypingProblems, STATE_CLASSES, type SensorTyping } from './ha-sensor-rules.ts';
import {
  CLASS_NAME,
  MAX_CLASS_NAME,
  PACKAGE_NAME,
  parseGlobalRef,
  parseMethodRef,
  parseMetricSelector,
  parseSqlQuery,
  type GlobalRef,
  type MethodRef,
  type MetricSelector,
  type Parsed,
} from './sensor-source.ts';

export const SENSOR_SOURCES = ['sql', 'global', 'method', 'metric'] as const;
export type SensorSourceKind = (typeof SENSOR_SOURCES)[number];

/** How many user sensors one instance takes; the rest are refused with a problem each. */
export const MAX_USER_SENSORS = 200;
export const MAX_ENUM_OPTIONS = 100;
/** Home Assistant keeps at most 255 characters of a state (homeassistant/const.py MAX_LENGTH_STATE_STATE). */
export const MAX_STATE_CHARS = 255;
export const MAX_INTERVAL_S = 86_400;

export type SensorSource =
  | { kind: 'sql'; query: string; attributes: boolean }
  | { kind: 'global'; ref: GlobalRef; count: boolean }
  | { kind: 'method'; ref: MethodRef }
  | { kind: 'metric'; selector: MetricSelector };

export interface UserSensorTyping {
  unit?: string;
  deviceClass?: string;
  stateClass?: (typeof STATE_CLASSES)[number];
  icon?: string;
  displayPrecision?: number;
  entityCategory?: 'diagnostic';
  options?: string[];
}

export interface UserSensor {
  /** slug(name): the sensor's identity (unique id, state topic); two sensors may not share it. */
  key: string;
  name: string;
  /** Upper case; undefined only for a metric sensor. */
  namespace: string | undefined;
  source: SensorSource;
  typing: UserSensorTyping;
  intervalS: number;
  /**
   * The production whose device shows the sensor, in the sensor's namespace; undefined: the IRIS
   * device. While that production is not in IRIS the sensor has no device, so it is not shown.
   */
  production?: ProductionRef;
}

export interface ProductionRef {
  /** Upper case, as the sensor's. */
  namespace: string;
  name: string;
}

/** Where a sensor is shown: '' for the IRIS device, else its production as NAMESPACE/Name. */
export function placementOf(s: Pick<UserSensor, 'production'>): string {
  return s.production ? productionPlace(s.production) : '';
}

export const productionPlace = (p: ProductionRef): string => `${p.namespace.toUpperCase()}/${p.name}`;

export interface SensorProblem {
  /** The sensor's name as written, or its place in the list when it has none. */
  sensor: string;
  field: string;
  message: string;
}

export function describeSensorProblem(p: SensorProblem): string {
  return `sensor "${p.sensor}", field "${p.field}": ${p.message}`;
}

/**
 * Home Assistant puts the device name before every entity name (its naming rule: an entity's name
 * does not repeat its device's), so a sensor named "IRIS CPU" on the device "IRIS" would show as
 * "IRIS IRIS CPU". The one check of it, for the panel's sensors and the options' alike.
 */
export function deviceNameProblem(name: string, deviceName: string): SensorProblem | null {
  if (!name.toLowerCase().startsWith(deviceName.toLowerCase())) return null;
  return { sensor: name, field: 'name', message: `Home Assistant already puts the device name "${deviceName}" before it; leave it out` };
}

// IRIS namespace names: a letter or %, then letters, digits, - and _ (InterSystems, "Configuring
// Namespaces"); IRIS compares them without regard to case.
const NAMESPACE = /^[A-Za-z%][A-Za-z0-9_-]{0,63}$/;
const ICON = /^mdi:[a-z0-9]+(-[a-z0-9]+)*$/;
const NAME_CHARS = /^[^\u0000-\u001f\u007f]+$/;

/** One item of the `sensors` option, as the add-on's schema (config.yaml) and the panel give it. */
export const rawSensorSchema = z
  .object({
    name: z.string().trim().min(1, 'a name is required').max(64, 'at most 64 characters').regex(NAME_CHARS, 'no control characters'),
    namespace: z.string().trim().regex(NAMESPACE, 'an IRIS namespace name such as USER or ORDERS').optional(),
    sql: z.string().optional(),
    global: z.string().optional(),
    count_subscripts: z.boolean().optional(),
    method: z.string().optional(),
    metric: z.string().optional(),
    attributes: z.boolean().optional(),
    unit: z.string().max(32, 'at most 32 characters').optional(),
    device_class: z.string().optional(),
    state_class: z.enum(STATE_CLASSES).optional(),
    icon: z.string().regex(ICON, 'a Material Design icon such as mdi:cart').optional(),
    display_precision: z.number().int().min(0).max(10).optional(),
    entity_category: z.literal('diagnostic').optional(),
    options: z.string().optional(),
    interval: z.number().int().min(2).max(MAX_INTERVAL_S).optional(),
    production: z
      .string()
      .trim()
      .max(MAX_CLASS_NAME, `at most ${MAX_CLASS_NAME} characters`)
      .regex(CLASS_NAME, "the production's class name as IRIS shows it, e.g. Orders.Production")
      .optional(),
  })
  .strict();
export type RawSensor = z.input<typeof rawSensorSchema>;

export interface SensorContext {
  /** The poll interval: the default interval and the shortest one (sensors are read on ticks). */
  pollIntervalS: number;
  /** Packages whose classes method sensors may call (the `sensor_packages` option). */
  packages: readonly string[];
}

const TYPING_FIELD: Record<keyof SensorTyping, keyof RawSensor> = {
  device_class: 'device_class',
  unit_of_measurement: 'unit',
  state_class: 'state_class',
  options: 'options',
  suggested_display_precision: 'display_precision',
  entity_category: 'entity_category',
};

/** zod's wording ("Invalid input: expected string, received undefined") said for a person. */
function issueText(issue: z.core.$ZodIssue, given: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return given === undefined ? 'is required' : `must be ${issue.expected === 'string' ? 'text' : issue.expected}`;
    case 'invalid_value':
      return `must be ${issue.values.map(String).join(' or ')}`;
    case 'too_small':
      return issue.origin === 'string' ? issue.message : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string' ? issue.message : `must be at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function sensorLabel(raw: unknown, index: number): string {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 64) : `#${index + 1}`;
}

function readSource(r: z.output<typeof rawSensorSchema>, ctx: SensorContext): { field: string; parsed: Parsed<SensorSource> } {
  const given = SENSOR_SOURCES.filter((k) => r[k] !== undefined);
  if (given.length !== 1) {
    const message = given.length === 0 ? `set one of ${SENSOR_SOURCES.join(', ')}` : `set only one of ${given.join(', ')}`;
    return { field: 'source', parsed: { ok: false, reason: message } };
  }
  const kind = given[0] as SensorSourceKind;
  const text = r[kind] as string;
  const map = <T>(p: Parsed<T>, f: (v: T) => SensorSource): Parsed<SensorSource> => (p.ok ? { ok: true, value: f(p.value) } : p);
  switch (kind) {
    case 'sql':
      return { field: kind, parsed: map(parseSqlQuery(text), (query) => ({ kind, query, attributes: r.attributes ?? false })) };
    case 'global':
      return { field: kind, parsed: map(parseGlobalRef(text), (ref) => ({ kind, ref, count: r.count_subscripts ?? false })) };
    case 'method':
      return { field: kind, parsed: map(parseMethodRef(text, ctx.packages), (ref) => ({ kind, ref })) };
    case 'metric':
      return { field: kind, parsed: map(parseMetricSelector(text), (selector) => ({ kind, selector })) };
  }
}

function enumOptions(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(',').map((o) => o.trim());
}

/** One definition, or every problem it has (each naming its field). */
function readOne(raw: unknown, label: string, ctx: SensorContext): { sensor?: UserSensor; problems: SensorProblem[] } {
  const problems: SensorProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ sensor: label, field, message });
  const parsed = rawSensorSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const k of issue.keys) bad(k.trim() === '' ? JSON.stringify(k) : k.slice(0, 64), 'is not a sensor field');
      else if (issue.path.length === 0) bad('(sensor)', 'must be a mapping of sensor fields');
      else bad(String(issue.path[0]), issueText(issue, (raw as Record<string, unknown>)[String(issue.path[0])]));
    }
    return { problems };
  }
  const r = parsed.data;
  const { field, parsed: source } = readSource(r, ctx);
  if (!source.ok) bad(field, source.reason);
  if (r.attributes !== undefined && r.sql === undefined) bad('attributes', 'only an sql sensor has a row to take attributes from');
  if (r.count_subscripts !== undefined && r.global === undefined) bad('count_subscripts', 'only a global sensor counts subscripts');
  if (r.namespace === undefined && r.metric === undefined) bad('namespace', 'the IRIS namespace to read in is required (e.g. USER)');
  else if (r.namespace === undefined && r.production !== undefined) bad('namespace', "the namespace of the production whose device shows this sensor is required (e.g. USER)");
  if (r.metric !== undefined && r.device_class !== undefined && SENSOR_DEVICE_CLASSES[r.device_class]?.numeric === false) {
    bad('device_class', `a metric is a number, so it cannot be a ${r.device_class} sensor`);
  }
  const interval = r.interval ?? ctx.pollIntervalS;
  if (interval < ctx.pollIntervalS) bad('interval', `sensors are read at most once a poll; use at least the poll interval (${ctx.pollIntervalS} s)`);
  const options = enumOptions(r.options);
  if (options !== undefined) {
    if (options.length > MAX_ENUM_OPTIONS) bad('options', `at most ${MAX_ENUM_OPTIONS} values`);
    const long = options.find((o) => o === '' || o.length > MAX_STATE_CHARS);
    if (long !== undefined) bad('options', long === '' ? 'an empty value (two commas in a row, or a comma at the end)' : `a value is longer than ${MAX_STATE_CHARS} characters`);
  }
  const typing: SensorTyping = {
    device_class: r.device_class,
    unit_of_measurement: r.unit,
    state_class: r.state_class,
    options,
    suggested_display_precision: r.display_precision,
    entity_category: r.entity_category,
  };
  for (const t of sensorTypingProblems(typing)) bad(TYPING_FIELD[t.field], t.problem);
  if (problems.length > 0 || !source.ok) return { problems };
  return {
    problems,
    sensor: {
      key: slug(r.name),
      name: r.name,
      namespace: r.namespace?.toUpperCase(),
      source: source.value,
      typing: {
        unit: r.unit,
        deviceClass: r.device_class,
        stateClass: r.state_class,
        icon: r.icon,
        displayPrecision: r.display_precision,
        entityCategory: r.entity_category,
        options,
      },
      intervalS: interval,
      ...(r.production !== undefined && r.namespace !== undefined ? { production: { namespace: r.namespace.toUpperCase(), name: r.production } } : {}),
    },
  };
}

/** The allowed packages that are package names, and a problem for each entry that is not (it allows nothing). */
export function readSensorPackages(list: readonly string[]): { packages: string[]; problems: SensorProblem[] } {
  const valid = (p: string) => PACKAGE_NAME.test(p) && p.length <= 200;
  return {
    packages: list.filter(valid),
    problems: list
      .filter((p) => !valid(p))
      .map((p) => ({ sensor: '(all)', field: 'sensor_packages', message: `"${p.slice(0, 64)}" is not a package name such as Orders or Acme.Stats (no % packages)` })),
  };
}

/**
 * Every definition that holds, in the order given, and a problem for each that does not. A second
 * sensor whose name makes the same key as an earlier one is refused (it would take its entity).
 */
export function readSensorDefinitions(raws: readonly unknown[], ctx: SensorContext): { sensors: UserSensor[]; problems: SensorProblem[] } {
  const sensors: UserSensor[] = [];
  const problems: SensorProblem[] = [];
  const byKey = new Map<string, string>();
  raws.forEach((raw, index) => {
    const label = sensorLabel(raw, index);
    if (index >= MAX_USER_SENSORS) {
      problems.push({ sensor: label, field: '(sensor)', message: `at most ${MAX_USER_SENSORS} sensors; this one is left out` });
      return;
    }
    const one = readOne(raw, label, ctx);
    problems.push(...one.problems);
    if (!one.sensor) return;
    const taken = byKey.get(one.sensor.key);
    if (taken !== undefined) {
      problems.push({ sensor: label, field: 'name', message: `makes the same entity as sensor "${taken}"; give it a different name` });
      return;
    }
    byKey.set(one.sensor.key, one.sensor.name);
    sensors.push(one.sensor);
  });
  return { sensors, problems };
}
