/**
 * A pure function of a string, remembered for the strings it saw last. Each snapshot repeats most
 * of the host status words and timestamps of the one before (5,000 hosts a poll at 50 productions
 * x 100 hosts), and working each out again was about a fifth of reading a snapshot. Bounded: past
 * `capacity` strings it starts over. A call that throws remembers nothing.
 */
export function remembered<T>(compute: (s: string) => T, capacity: number): (s: string) => T {
  const seen = new Map<string, T>();
  return (s) => {
    let value = seen.get(s);
    if (value === undefined) {
      value = compute(s);
      if (seen.size >= capacity) seen.clear();
      seen.set(s, value);
    }
    return value;
  };
}
