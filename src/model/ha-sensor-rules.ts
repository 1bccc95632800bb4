/**
 * Home Assistant's rules for a sensor's typing (device class, unit, state class, enum options,
 * display precision, entity category), shared by the bridge (user-defined sensors are refused before
 * Home Assistant ever sees them) and the tests' discovery validator (every built-in sensor is
 * checked against the same table). HA reports a bad combination only in its log, and since 2025.7 a
 * unit that does not fit the device class is a discovery schema error: the entity silently never
 * appears (research/mqtt-discovery.md §2).
 *
 * Source: HA core homeassistant/components/sensor/const.py DEVICE_CLASS_UNITS and
 * DEVICE_CLASS_STATE_CLASSES, homeassistant/const.py UnitOf*, mqtt/sensor.py
 * validate_sensor_state_and_device_class_config. Only the device classes below are offered; each
 * lists units HA has accepted for that class for several releases (a unit HA added recently is left
 * out rather than risk an entity an older HA rejects; so are the micro units, whose sign HA changed
 * from µ to the Greek μ). test/e2e/sensor-rules.e2e.test.ts checks the table against the tables of
 * the Home Assistant release the e2e tests run.
 */

export const STATE_CLASSES = ['measurement', 'total', 'total_increasing'] as const;
export type StateClass = (typeof STATE_CLASSES)[number];

const ALL_STATE_CLASSES: readonly StateClass[] = STATE_CLASSES;
const MEASUREMENT: readonly StateClass[] = ['measurement'];
const TOTALS: readonly StateClass[] = ['total', 'total_increasing'];

interface DeviceClassRule {
  /** Units HA accepts; 'none': no unit at all; 'any': HA does not check (monetary: an ISO 4217 code). */
  units: readonly string[] | 'none' | 'any';
  /** True when HA also accepts no unit beside `units` (power_factor). */
  unitOptional?: boolean;
  stateClasses: readonly StateClass[];
  /** enum, timestamp, date: the state is text, not a number. */
  numeric: boolean;
}

const INFORMATION = ['bit', 'kbit', 'Mbit', 'Gbit', 'B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
const DATA_RATE = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'B/s', 'kB/s', 'MB/s', 'GB/s', 'KiB/s', 'MiB/s', 'GiB/s'];
const ENERGY = ['J', 'kJ', 'MJ', 'GJ', 'Wh', 'kWh', 'MWh', 'GWh', 'TWh'];
const PERCENT = ['%'];

export const SENSOR_DEVICE_CLASSES: Readonly<Record<string, DeviceClassRule>> = {
  enum: { units: 'none', stateClasses: [], numeric: false },
  timestamp: { units: 'none', stateClasses: [], numeric: false },
  date: { units: 'none', stateClasses: [], numeric: false },
  aqi: { units: 'none', stateClasses: MEASUREMENT, numeric: true },
  ph: { units: 'none', stateClasses: MEASUREMENT, numeric: true },
  battery: { units: PERCENT, stateClasses: MEASUREMENT, numeric: true },
  humidity: { units: PERCENT, stateClasses: MEASUREMENT, numeric: true },
  moisture: { units: PERCENT, stateClasses: MEASUREMENT, numeric: true },
  power_factor: { units: PERCENT, unitOptional: true, stateClasses: MEASUREMENT, numeric: true },
  data_size: { units: INFORMATION, stateClasses: ALL_STATE_CLASSES, numeric: true },
  data_rate: { units: DATA_RATE, stateClasses: MEASUREMENT, numeric: true },
  duration: { units: ['d', 'h', 'min', 's', 'ms'], stateClasses: ALL_STATE_CLASSES, numeric: true },
  temperature: { units: ['°C', '°F', 'K'], stateClasses: MEASUREMENT, numeric: true },
  frequency: { units: ['Hz', 'kHz', 'MHz', 'GHz'], stateClasses: MEASUREMENT, numeric: true },
  power: { units: ['W', 'kW', 'MW', 'GW', 'TW'], stateClasses: MEASUREMENT, numeric: true },
  energy: { units: ENERGY, stateClasses: TOTALS, numeric: true },
  energy_storage: { units: ENERGY, stateClasses: MEASUREMENT, numeric: true },
  voltage: { units: ['V', 'mV'], stateClasses: MEASUREMENT, numeric: true },
  current: { units: ['A', 'mA'], stateClasses: MEASUREMENT, numeric: true },
  signal_strength: { units: ['dB', 'dBm'], stateClasses: MEASUREMENT, numeric: true },
  illuminance: { units: ['lx'], stateClasses: MEASUREMENT, numeric: true },
  distance: { units: ['km', 'm', 'cm', 'mm', 'mi', 'yd', 'ft', 'in'], stateClasses: ALL_STATE_CLASSES, numeric: true },
  weight: { units: ['kg', 'g', 'mg', 'oz', 'lb'], stateClasses: ALL_STATE_CLASSES, numeric: true },
  water: { units: ['m³', 'L', 'gal', 'ft³', 'CCF'], stateClasses: TOTALS, numeric: true },
  monetary: { units: 'any', stateClasses: ['total'], numeric: true },
};

export const SENSOR_DEVICE_CLASS_NAMES = Object.keys(SENSOR_DEVICE_CLASSES);

/** A sensor's typing in Home Assistant's own terms (the discovery keys, unabbreviated). */
export interface SensorTyping {
  device_class?: string;
  unit_of_measurement?: string;
  state_class?: string;
  options?: readonly unknown[];
  suggested_display_precision?: number;
  entity_category?: string;
}

export interface TypingProblem {
  /** The discovery key at fault. */
  field: keyof SensorTyping;
  problem: string;
}

/**
 * Every way `t` breaks HA's rules; empty when HA takes it. Numeric typing (a unit, a state class,
 * a display precision) makes HA expect a number, so none of them goes with a text device class.
 */
export function sensorTypingProblems(t: SensorTyping): TypingProblem[] {
  const out: TypingProblem[] = [];
  const bad = (field: keyof SensorTyping, problem: string) => out.push({ field, problem });
  const dc = t.device_class;
  const rule = dc === undefined ? undefined : SENSOR_DEVICE_CLASSES[dc];
  if (dc !== undefined && !rule) bad('device_class', `"${dc}" is not a sensor device class IRIS Edge offers (one of ${SENSOR_DEVICE_CLASS_NAMES.join(', ')})`);
  const unit = t.unit_of_measurement;
  if (unit === '') bad('unit_of_measurement', 'an empty unit makes Home Assistant expect a number; leave it out instead');
  if (t.state_class !== undefined && !(STATE_CLASSES as readonly string[]).includes(t.state_class) && t.state_class !== 'measurement_angle') {
    bad('state_class', `"${t.state_class}" is not a state class (one of ${STATE_CLASSES.join(', ')})`);
  }
  if (t.state_class === 'measurement_angle' && unit !== '°') bad('state_class', 'measurement_angle needs the unit °');
  if (t.entity_category !== undefined && t.entity_category !== 'diagnostic') {
    bad('entity_category', t.entity_category === 'config' ? 'a sensor cannot be a configuration entity; use diagnostic' : `"${t.entity_category}" is not an entity category for a sensor (diagnostic)`);
  }
  if (dc === 'enum') {
    if (!Array.isArray(t.options) || t.options.length === 0) bad('options', 'an enum sensor needs the list of its possible values');
    else if (new Set(t.options).size !== t.options.length) bad('options', 'the values must differ from each other');
  } else if (t.options !== undefined) bad('options', 'possible values go only with device class enum');
  if (!rule) return out;
  if (!rule.numeric) {
    if (unit !== undefined) bad('unit_of_measurement', `device class ${dc} takes no unit`);
    if (t.state_class !== undefined) bad('state_class', `device class ${dc} takes no state class`);
    if (t.suggested_display_precision !== undefined) bad('suggested_display_precision', `device class ${dc} is not a number, so it has no display precision`);
    return out;
  }
  if (rule.units === 'none' && unit !== undefined) bad('unit_of_measurement', `device class ${dc} takes no unit`);
  if (Array.isArray(rule.units)) {
    if (unit === undefined && !rule.unitOptional) bad('unit_of_measurement', `device class ${dc} needs a unit (one of ${rule.units.join(', ')})`);
    else if (unit !== undefined && unit !== '' && !rule.units.includes(unit)) bad('unit_of_measurement', `"${unit}" is not a unit of device class ${dc} (one of ${rule.units.join(', ')})`);
  }
  if (rule.units === 'any' && unit === undefined) bad('unit_of_measurement', `device class ${dc} needs a unit`);
  if (t.state_class !== undefined && (STATE_CLASSES as readonly string[]).includes(t.state_class) && !rule.stateClasses.includes(t.state_class as StateClass)) {
    bad('state_class', `device class ${dc} goes only with ${rule.stateClasses.length ? rule.stateClasses.join(' or ') : 'no state class'}`);
  }
  return out;
}
