/**
 * The simulated instance's clock keeps local time and UTC apart the way IRIS does:
 * [ZTS]  $ZTIMESTAMP is UTC ("Coordinated Universal Time ... not adjusted for local time zone"),
 *        docs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=RCOS_vztimestamp
 * [HOR]  $HOROLOG is local time, from the operating system's time zone (the TZ variable the
 *        Supervisor sets for an add-on's container), KEY=RCOS_vhorolog
 * [EHS]  Ens.Util.Statistics EnumerateHostStatus reports LastActivity as a local %TimeStamp
 *        ("YYYY-MM-DD HH:MM:SS"), which the agent converts to UTC (research: /work notes, issue 11).
 */

export interface SimClock {
  /** The instance's time zone (IANA name): the container's TZ, as Node's Intl reads it. */
  readonly timeZone: string;
  now(): Date;
}

export function systemClock(timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): SimClock {
  return { timeZone, now: () => new Date() };
}

// Making a DateTimeFormat costs far more than using one: the simulated agent formats a time for
// every host at every poll (1,000 hosts took 2.4 % of a core doing this alone).
const formats = new Map<string, Intl.DateTimeFormat>();
// formatToParts itself was then most of a simulated poll (bench:tick's profile: 38 %), for a few
// distinct seconds: many hosts share their last activity. The parts depend on the zone and the
// whole second only, so they are kept for recent seconds; the bound keeps the map small.
const recentParts = new Map<string, Record<string, string>>();
const RECENT_PARTS_MAX = 4096;

function parts(date: Date, timeZone: string): Record<string, string> {
  const key = `${timeZone}|${Math.floor(date.getTime() / 1000)}`;
  const known = recentParts.get(key);
  if (known) return known;
  let fmt = formats.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(timeZone, fmt);
  }
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) out[p.type] = p.value;
  if (recentParts.size >= RECENT_PARTS_MAX) recentParts.clear();
  recentParts.set(key, out);
  return out;
}

/** A moment as IRIS writes a local %TimeStamp: "YYYY-MM-DD HH:MM:SS" in the instance's zone. */
export function localTimestamp(date: Date, timeZone: string): string {
  const p = parts(date, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** The zone's offset from UTC at that moment, in minutes (east positive). */
function offsetMinutes(date: Date, timeZone: string): number {
  const p = parts(date, timeZone);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

/**
 * A local %TimeStamp back to the moment it names, as $ZDATETIMEH(local,3) followed by a
 * local-to-UTC conversion does. In the hour a DST change repeats, the first reading is taken.
 */
export function fromLocalTimestamp(local: string, timeZone: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(local);
  if (!m) throw new RangeError(`not a %TimeStamp: ${local}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const naive = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number((frac ?? '0').padEnd(3, '0').slice(0, 3)));
  // Two passes settle the offset on either side of a DST change.
  let guess = naive - offsetMinutes(new Date(naive), timeZone) * 60000;
  guess = naive - offsetMinutes(new Date(guess), timeZone) * 60000;
  return new Date(guess);
}

/** ISO 8601 UTC with milliseconds and "Z", as the agent writes every time it reports. */
export function isoUtc(date: Date): string {
  return date.toISOString();
}
