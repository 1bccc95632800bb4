/**
 * Home Assistant's MQTT discovery rules as a checker, for tests. HA reports a rejected payload only
 * in its log and the entity silently never appears, so every payload the bridge generates is run
 * through this. Sources: HA core homeassistant/components/mqtt (schemas.py, sensor.py,
 * abbreviations.py, discovery.py). A sensor's typing goes through src/model/ha-sensor-rules.ts, the
 * table the bridge checks user-defined sensors with (summarised in research/mqtt-discovery.md §2).
 */
import { sensorTypingProblems, type SensorTyping } from '../../src/model/ha-sensor-rules.ts';

const TOPIC_RE = /^(?<prefix>[^/#+]+)\/device\/(?:(?<node>[a-zA-Z0-9_-]+)\/)?(?<object>[a-zA-Z0-9_-]+)\/config$/;

const PLATFORMS = new Set([
  'binary_sensor', 'button', 'event', 'number', 'select', 'sensor', 'switch', 'text', 'update', 'device_automation',
]);

/** Keys HA accepts, by platform (abbreviated forms; the full names are accepted too via ABBREV). */
const COMMON = ['p', 'name', 'uniq_id', 'default_entity_id', 'object_id', 'icon', 'ent_cat', 'en', 'avty', 'avty_mode',
  'avty_t', 'qos', 'json_attr_t', 'json_attr_tpl', 'enabled_by_default', 'ent_pic', 'dev_cla', 'stat_t', 'val_tpl',
  'frc_upd', 'exp_aft', 'platform', 'unique_id', 'entity_category', 'device_class', 'state_topic', 'value_template'];
const BY_PLATFORM: Record<string, string[]> = {
  sensor: ['unit_of_meas', 'stat_cla', 'ops', 'sug_dsp_prc', 'lrst_val_tpl'],
  binary_sensor: ['pl_on', 'pl_off', 'off_dly'],
  switch: ['cmd_t', 'pl_on', 'pl_off', 'stat_on', 'stat_off', 'opt', 'ret', 'cmd_tpl'],
  button: ['cmd_t', 'pl_prs', 'ret', 'cmd_tpl'],
  select: ['cmd_t', 'ops', 'opt', 'ret', 'cmd_tpl'],
  event: ['evt_typ'],
  number: ['cmd_t', 'min', 'max', 'step', 'unit_of_meas', 'mode', 'ret', 'opt', 'cmd_tpl'],
  update: ['cmd_t', 'pl_inst', 'l_ver_t', 'l_ver_tpl', 'ret', 'rel_s', 'rel_u', 'tit', 'dsp_prc'],
  text: ['cmd_t', 'min', 'max', 'mode', 'ptrn', 'ret', 'cmd_tpl'],
};

const BINARY_SENSOR_CLASSES = new Set(['battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door',
  'garage_door', 'gas', 'heat', 'light', 'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power',
  'presence', 'problem', 'running', 'safety', 'smoke', 'sound', 'tamper', 'update', 'vibration', 'window']);
const BUTTON_CLASSES = new Set(['identify', 'restart', 'update']);
const SWITCH_CLASSES = new Set(['outlet', 'switch']);
const UPDATE_CLASSES = new Set(['firmware']);
const EVENT_CLASSES = new Set(['button', 'doorbell', 'motion']);
const DEVICE_KEYS = new Set(['ids', 'identifiers', 'cns', 'connections', 'name', 'mf', 'manufacturer', 'mdl', 'model',
  'mdl_id', 'model_id', 'sw', 'sw_version', 'hw', 'hw_version', 'sa', 'suggested_area', 'via_device', 'cu',
  'configuration_url', 'sn', 'serial_number']);
const ORIGIN_KEYS = new Set(['name', 'sw', 'sw_version', 'url', 'support_url']);

export interface Finding {
  topic: string;
  component?: string;
  problem: string;
}

function isTopic(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0 && !/[+#]/.test(v);
}

/**
 * Validates a set of discovery messages (topic -> payload JSON) together, so that cross-payload
 * rules (unique ids per platform) are checked too. Returns every finding; empty means valid.
 */
export function validateDiscovery(messages: Map<string, string> | Record<string, string>): Finding[] {
  const entries = messages instanceof Map ? [...messages] : Object.entries(messages);
  const findings: Finding[] = [];
  const uniqueIds = new Map<string, string>();
  const entityIds = new Map<string, string>();
  for (const [topic, text] of entries) {
    const bad = (problem: string, component?: string) => findings.push({ topic, component, problem });
    if (!TOPIC_RE.test(topic)) bad('illegal discovery topic');
    if (text === '') continue; // removal
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch {
      bad('payload is not JSON');
      continue;
    }
    const dev = doc.dev as Record<string, unknown> | undefined;
    const origin = doc.o as Record<string, unknown> | undefined;
    if (!dev || typeof dev !== 'object') bad('device (dev) is required');
    else {
      const ids = dev.ids ?? dev.identifiers;
      if (!Array.isArray(ids) || ids.length === 0 || ids.some((i) => typeof i !== 'string' || !i)) bad('dev.ids must be a non-empty list of strings');
      for (const k of Object.keys(dev)) if (!DEVICE_KEYS.has(k)) bad(`unknown device key ${k} (HA rejects the whole device)`);
      if (typeof dev.name !== 'string' || !dev.name) bad('device name is required for has_entity_name naming');
      const cu = dev.cu ?? dev.configuration_url;
      if (cu !== undefined && !(typeof cu === 'string' && /^(https?|homeassistant):\/\//.test(cu))) bad('configuration_url must be an http(s) or homeassistant:// URL');
    }
    if (!origin || typeof origin.name !== 'string') bad('origin (o) with a name is required');
    else for (const k of Object.keys(origin)) if (!ORIGIN_KEYS.has(k)) bad(`unknown origin key ${k}`);
    const sharedAvty = doc.avty;
    if (sharedAvty !== undefined && (!Array.isArray(sharedAvty) || sharedAvty.some((a) => !isTopic((a as { t?: unknown }).t)))) bad('avty must be a list of {t: topic}');
    if (doc.avty_mode !== undefined && !['all', 'any', 'latest'].includes(doc.avty_mode as string)) bad('avty_mode must be all, any or latest');
    const cmps = doc.cmps as Record<string, Record<string, unknown>> | undefined;
    if (!cmps || typeof cmps !== 'object' || Object.keys(cmps).length === 0) {
      bad('cmps must hold at least one component');
      continue;
    }
    const devName = typeof dev?.name === 'string' ? dev.name.toLowerCase() : '';
    for (const [key, c] of Object.entries(cmps)) {
      const badC = (problem: string) => bad(problem, key);
      if (!/^[a-zA-Z0-9_-]+$/.test(key)) badC('component key has illegal characters');
      const p = c.p as string;
      // Only the platform: how HA removes one component from a device message (its MQTT docs).
      if (Object.keys(c).length === 1 && PLATFORMS.has(p)) continue;
      if (!PLATFORMS.has(p)) {
        badC(`unknown platform ${String(p)}`);
        continue;
      }
      const allowed = new Set([...COMMON, ...(BY_PLATFORM[p] ?? [])]);
      for (const k of Object.keys(c)) if (!allowed.has(k)) badC(`key ${k} is not valid for ${p}`);
      const uid = c.uniq_id ?? c.unique_id;
      if (typeof uid !== 'string' || !uid) badC('unique_id is required');
      else {
        const k2 = `${p}:${uid}`;
        if (uniqueIds.has(k2)) badC(`unique_id ${uid} already used by ${uniqueIds.get(k2)}`);
        uniqueIds.set(k2, `${topic}#${key}`);
      }
      if (c.default_entity_id !== undefined) {
        const e = c.default_entity_id as string;
        if (!new RegExp(`^${p}\\.[a-z0-9_]+$`).test(e)) badC(`default_entity_id ${e} must be ${p}.<lowercase_id>`);
        else if (entityIds.has(e)) badC(`default_entity_id ${e} already used by ${entityIds.get(e)}`);
        else entityIds.set(e, `${topic}#${key}`);
      }
      // Both are sent on purpose (discovery.ts entityId); HA 2025.10 on does not warn when
      // default_entity_id is there (core PR #151996, per its MQTT maintainer in zigbee2mqtt PR
      // #28560). They must name the same entity, or 2025.9 and 2025.10 would create different ids.
      if (c.object_id !== undefined && c.default_entity_id !== undefined && c.default_entity_id !== `${p}.${String(c.object_id)}`) {
        badC(`object_id ${String(c.object_id)} and default_entity_id ${String(c.default_entity_id)} name different entities`);
      }
      if (!('name' in c)) badC('name must be set explicitly (null for the main feature)');
      else if (c.name !== null && typeof c.name !== 'string') badC('name must be a string or null');
      else if (typeof c.name === 'string') {
        if (!c.name.trim()) badC('name must not be empty');
        if (devName && c.name.toLowerCase().startsWith(devName)) badC(`name "${c.name}" repeats the device name`);
      }
      if (c.ent_cat !== undefined && !['config', 'diagnostic'].includes(c.ent_cat as string)) badC('ent_cat must be config or diagnostic');
      if ((p === 'sensor' || p === 'binary_sensor') && c.ent_cat === 'config') badC(`${p} cannot have entity_category config`);
      for (const t of ['stat_t', 'cmd_t', 'json_attr_t', 'l_ver_t']) if (c[t] !== undefined && !isTopic(c[t])) badC(`${t} is not a valid topic`);
      const hasState = c.stat_t !== undefined || doc.stat_t !== undefined;
      if (['sensor', 'binary_sensor', 'event'].includes(p) && !hasState) badC(`${p} needs a state topic`);
      if (c.avty !== undefined && (!Array.isArray(c.avty) || c.avty.some((a) => !isTopic((a as { t?: unknown }).t)))) badC('avty must be a list of {t: topic}');
      const dc = c.dev_cla as string | undefined;
      switch (p) {
        case 'sensor': {
          // The rules user-defined sensors are checked with before they are published.
          const typing: SensorTyping = {
            device_class: dc,
            unit_of_measurement: c.unit_of_meas as string | undefined,
            state_class: c.stat_cla as string | undefined,
            options: c.ops as unknown[] | undefined,
            suggested_display_precision: c.sug_dsp_prc as number | undefined,
            entity_category: c.ent_cat as string | undefined,
          };
          for (const t of sensorTypingProblems(typing)) badC(`${t.field}: ${t.problem}`);
          break;
        }
        case 'binary_sensor':
          if (dc !== undefined && !BINARY_SENSOR_CLASSES.has(dc)) badC(`binary_sensor device_class ${dc} is not valid`);
          break;
        case 'switch':
          if (!isTopic(c.cmd_t)) badC('switch needs a command topic');
          if (dc !== undefined && !SWITCH_CLASSES.has(dc)) badC(`switch device_class ${dc} is not valid`);
          break;
        case 'button':
          if (!isTopic(c.cmd_t)) badC('button needs a command topic');
          if (dc !== undefined && !BUTTON_CLASSES.has(dc)) badC(`button device_class ${dc} is not valid`);
          break;
        case 'select':
          if (!isTopic(c.cmd_t)) badC('select needs a command topic');
          if (!Array.isArray(c.ops) || c.ops.length === 0) badC('select needs options');
          break;
        case 'event':
          if (!Array.isArray(c.evt_typ) || c.evt_typ.length === 0) badC('event needs event_types');
          if (dc !== undefined && !EVENT_CLASSES.has(dc)) badC(`event device_class ${dc} is not valid`);
          break;
        case 'update':
          if (dc !== undefined && !UPDATE_CLASSES.has(dc)) badC(`update device_class ${dc} is not valid`);
          break;
      }
    }
  }
  return findings;
}
