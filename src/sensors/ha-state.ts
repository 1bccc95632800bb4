/**
 * What Home Assistant would show for a value read for a sensor: the number rounded to the
 * sensor's display precision with its unit, the text as it is, or "unavailable" with the reason,
 * following the checks HA's sensor entity makes before it accepts a state
 * (homeassistant/components/sensor/__init__.py: an enum's value must be one of its options, a
 * timestamp needs a date and time with a zone, a date an ISO date; a numeric sensor needs a number).
 */
import { MAX_STATE_CHARS, type UserSensor } from '../model/sensor-definition.ts';
import { isNumericSensor } from '../monitor/agent-sensors.ts';

export type ShownState = { available: true; state: string } | { available: false; state: 'unavailable'; reason: string };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function haStateOf(sensor: UserSensor, value: number | string): ShownState {
  const no = (reason: string): ShownState => ({ available: false, state: 'unavailable', reason });
  const t = sensor.typing;
  if (isNumericSensor(sensor)) {
    if (typeof value !== 'number') return no(`${JSON.stringify(String(value).slice(0, 40))} is not a number, and the sensor has a unit, state class or numeric device class`);
    const shown = t.displayPrecision === undefined ? String(value) : value.toFixed(t.displayPrecision);
    return { available: true, state: t.unit ? `${shown} ${t.unit}` : shown };
  }
  const text = String(value);
  if (text.length > MAX_STATE_CHARS) return no(`the value is longer than the ${MAX_STATE_CHARS} characters Home Assistant keeps`);
  if (t.deviceClass === 'enum' && !(t.options ?? []).includes(text)) return no(`"${text.slice(0, 40)}" is not one of the options (${(t.options ?? []).join(', ').slice(0, 200)})`);
  if (t.deviceClass === 'timestamp' && !(ISO_WITH_ZONE.test(text) && Number.isFinite(Date.parse(text)))) return no(`"${text.slice(0, 40)}" is not a date and time with a time zone, such as 2026-05-01T12:00:00Z`);
  if (t.deviceClass === 'date' && !(ISO_DATE.test(text) && Number.isFinite(Date.parse(text)))) return no(`"${text.slice(0, 40)}" is not a date such as 2026-05-01`);
  return { available: true, state: text };
}
