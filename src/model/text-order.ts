/**
 * The order of names, keys and ISO times in lists and views: case-insensitive, then by code unit,
 * without ICU. String.prototype.localeCompare loads ICU's collation data into the process: about
 * 2 MB resident in the bridge, measured, for strings that are IRIS names, keys and timestamps,
 * for which this order is the one a reader expects.
 */
export function byText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
