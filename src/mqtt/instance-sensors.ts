/**
 * Home Assistant discovery components for the IRIS instance's health figures (from one
 * /api/monitor/metrics scrape a tick), to be merged into the instance device's `cmps`
 * (discovery.ts instanceDiscovery). Pure. Same abbreviated keys as discovery.ts.
 *
 * HA rules this follows (research/mqtt-discovery.md §2): a unit must match the device class
 * (a schema error since 2025.7: the entity is silently not created); enum sensors have options and
 * neither unit nor state_class; timestamps are timezone-aware; sensors never get entity_category
 * config; any unit/state_class makes HA expect a number, so an unknown value is sent as the string
 * "None", which MQTT sensors treat as unknown. Names do not repeat the device name ("IRIS").
 */
import type { InstanceMetrics } from '../model/instance-health.ts';
import { SYSTEM_STATE_WORDS } from '../model/instance-health.ts';
import type { LicenseSnapshot } from '../model/production.ts';
import { componentNamer, irisAvailability, type Component, type DiscoveryContext } from './discovery.ts';
import { slug } from '../model/ids.ts';

/** MQTT sensors treat this payload as "unknown" (HA mqtt/sensor.py PAYLOAD_NONE). */
export const UNKNOWN = 'None';

/** The JSON published on the instance metrics state topic; every key is always present. */
export interface MetricsStatePayload {
  system_state: string;
  cpu: number | string;
  memory: number | string;
  license_consumed: number | string;
  license_available: number | string;
  license_expiry: string;
  disk_full: number | string;
  /** GiB (IRIS reports MB of 1024 x 1024 bytes). */
  journal_free: number | string;
  wij_free: number | string;
  glo_refs: number | string;
  cache_efficiency: number | string;
  wd_cycle: number | string;
  open_transactions: number | string;
  /** Database name -> size in GiB. */
  db_size_gib: Record<string, number | string>;
}

function num(v: number | null): number | string {
  return v === null || !Number.isFinite(v) ? UNKNOWN : Math.round(v * 1000) / 1000;
}

/**
 * IRIS's MB are 1024 x 1024 bytes; a 41,906 MB database reads 40.9 GiB. Four decimals keep a
 * small database (IRISTEMP's few MB) from reading 0.
 */
function gib(mb: number | null): number | string {
  return mb === null || !Number.isFinite(mb) ? UNKNOWN : Math.round((mb / 1024) * 10_000) / 10_000;
}

/** Component keys of the per-database sensors: `db_<slug>_size`, made unique if two names slug alike. */
export function databaseComponentKeys(names: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  const used = new Set<string>();
  for (const name of [...new Set(names)].sort()) {
    const base = `db_${slug(name)}_size`;
    let key = base;
    for (let i = 2; used.has(key); i++) key = `${base}_${i}`;
    used.add(key);
    keys.set(name, key);
  }
  return keys;
}

/**
 * The instance health sensors. `databases` are the database names to give a size sensor (normally
 * metrics.databases' names from the latest scrape); their unique ids derive from the name's slug.
 */
export function instanceSensorComponents(
  ctx: DiscoveryContext,
  stateTopic: string,
  databases: readonly string[] = [],
): Record<string, Component> {
  const c = componentNamer(ctx, ctx.topics.instanceDeviceId, slug(ctx.instanceName));
  // Unlike the device's "Reachable" sensor, these figures mean nothing while IRIS is down: they go
  // unavailable then rather than showing stale values.
  const avty = irisAvailability(ctx);
  const sensor = (key: string, name: string, field: string, extra: Component): [string, Component] => [
    key,
    c('sensor', key, name, {
      stat_t: stateTopic,
      val_tpl: `{{ value_json.${field} }}`,
      ...avty,
      ...extra,
    }),
  ];
  const measurement = { stat_cla: 'measurement' };
  const cmps: Record<string, Component> = Object.fromEntries([
    sensor('system_state', 'System state', 'system_state', { dev_cla: 'enum', ops: [...SYSTEM_STATE_WORDS], icon: 'mdi:heart-pulse' }),
    sensor('cpu', 'CPU', 'cpu', { unit_of_meas: '%', ...measurement, icon: 'mdi:cpu-64-bit', sug_dsp_prc: 0 }),
    sensor('memory', 'Memory used', 'memory', { unit_of_meas: '%', ...measurement, icon: 'mdi:memory', sug_dsp_prc: 0 }),
    sensor('license_consumed', 'License units used', 'license_consumed', { ...measurement, ent_cat: 'diagnostic', icon: 'mdi:license', sug_dsp_prc: 0 }),
    sensor('license_available', 'License units available', 'license_available', { ...measurement, ent_cat: 'diagnostic', icon: 'mdi:license', sug_dsp_prc: 0 }),
    sensor('license_expiry', 'License expiry', 'license_expiry', { dev_cla: 'timestamp', ent_cat: 'diagnostic' }),
    sensor('disk_full', 'Disk used', 'disk_full', { unit_of_meas: '%', ...measurement, icon: 'mdi:harddisk', sug_dsp_prc: 0 }),
    sensor('journal_free', 'Journal free space', 'journal_free', { dev_cla: 'data_size', unit_of_meas: 'GiB', ...measurement, ent_cat: 'diagnostic', sug_dsp_prc: 1 }),
    sensor('wij_free', 'WIJ free space', 'wij_free', { dev_cla: 'data_size', unit_of_meas: 'GiB', ...measurement, ent_cat: 'diagnostic', sug_dsp_prc: 1 }),
    sensor('glo_refs', 'Global references', 'glo_refs', { unit_of_meas: 'refs/s', ...measurement, ent_cat: 'diagnostic', icon: 'mdi:speedometer', sug_dsp_prc: 0 }),
    sensor('cache_efficiency', 'Cache efficiency', 'cache_efficiency', { ...measurement, ent_cat: 'diagnostic', icon: 'mdi:cached', sug_dsp_prc: 1 }),
    // iris_wd_cycle_time is in milliseconds (see InstanceMetrics.writeDaemonCycleTime); HA converts.
    sensor('wd_cycle', 'Write daemon cycle', 'wd_cycle', { dev_cla: 'duration', unit_of_meas: 'ms', ...measurement, ent_cat: 'diagnostic', sug_dsp_prc: 0 }),
    sensor('open_transactions', 'Open transactions', 'open_transactions', { ...measurement, ent_cat: 'diagnostic', icon: 'mdi:swap-horizontal', sug_dsp_prc: 0 }),
  ]);
  for (const [name, key] of databaseComponentKeys(databases)) {
    cmps[key] = c('sensor', key, `Database ${name} size`, {
      stat_t: stateTopic,
      ...avty,
      // default: a database that vanished from the scrape reads unknown, not a template error.
      val_tpl: `{{ value_json.db_size_gib[${JSON.stringify(name)}] | default('${UNKNOWN}') }}`,
      dev_cla: 'data_size',
      unit_of_meas: 'GiB',
      stat_cla: 'measurement',
      sug_dsp_prc: 2,
      ent_cat: 'diagnostic',
    });
  }
  return cmps;
}

/**
 * The state the components above read; publish it retained on `stateTopic`, on change. The
 * licence comes from %SYSTEM.License through the agent when IRIS gave it: some releases publish
 * no iris_license_* lines in /api/monitor/metrics.
 */
export function metricsStatePayload(m: InstanceMetrics, license?: LicenseSnapshot): MetricsStatePayload {
  const db: Record<string, number | string> = {};
  for (const d of m.databases) db[d.name] = gib(d.sizeMb);
  return {
    system_state: m.systemStateWord ?? UNKNOWN,
    cpu: num(m.cpuPercent),
    memory: num(m.memoryUsedPercent),
    license_consumed: num(license ? license.unitsConsumed : m.licenseConsumed),
    license_available: num(license ? license.unitsAvailable : m.licenseAvailable),
    license_expiry: (license ? license.expires : m.licenseExpiry) ?? UNKNOWN,
    disk_full: num(m.diskPercentFull),
    journal_free: gib(m.journalFreeMb),
    wij_free: gib(m.wijFreeMb),
    glo_refs: num(m.globalRefsPerSec),
    cache_efficiency: num(m.cacheEfficiency),
    wd_cycle: num(m.writeDaemonCycleTime),
    open_transactions: num(m.openTransactions),
    db_size_gib: db,
  };
}

/** metricsStatePayload as the JSON string to publish. */
export function metricsState(m: InstanceMetrics, license?: LicenseSnapshot): string {
  return JSON.stringify(metricsStatePayload(m, license));
}
