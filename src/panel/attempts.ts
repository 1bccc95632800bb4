/**
 * A cap on how often a sensitive route may be used: at most `limit` uses in any `windowMs`. Behind
 * ingress every request comes from the Supervisor's address, so the cap is per route, not per
 * client: it bounds what a stolen session or a runaway script can do (read the administrator's
 * password over and over, try passwords against IRIS's rules), at a rate no person reaches.
 */
export class AttemptLimiter {
  private readonly times: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one use; 0 when it is allowed, else the seconds until one is. Memory: `limit` numbers. */
  take(): number {
    const t = this.now();
    while (this.times.length > 0 && (this.times[0] as number) <= t - this.windowMs) this.times.shift();
    if (this.times.length >= this.limit) return Math.max(1, Math.ceil(((this.times[0] as number) + this.windowMs - t) / 1000));
    this.times.push(t);
    return 0;
  }
}
