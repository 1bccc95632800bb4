import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.ts';
import type { CertExpiry, ExpiryThreshold, ExpiryWarning } from '../model/certificate.ts';
import { daysLeft, reachedThreshold } from './expiry.ts';

interface Events {
  /** The stored certificates and their expiry dates changed (added, removed, renewed). */
  change: [CertExpiry[]];
  /** A certificate reached a threshold it had not reached at the previous look. */
  warning: [ExpiryWarning];
}

/**
 * Looks at the certificates in use now and then (the store and IRIS's SSL/TLS configurations
 * are small, and either may change at any time) and says when the list changes and when a certificate reaches 30, 7 or 1 day(s) before
 * its expiry, or expires. Each threshold is announced once per certificate while the bridge runs;
 * after a restart the current one is announced again.
 */
export class CertExpiryWatcher extends EventEmitter<Events> {
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private readonly announced = new Map<string, ExpiryThreshold>();

  constructor(
    /** The certificates to watch, soonest expiry first. */
    private readonly source: () => Promise<CertExpiry[]>,
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async check(): Promise<void> {
    let list: CertExpiry[];
    try {
      list = await this.source();
    } catch (err) {
      this.log.warn(`Could not read the certificates in use: ${(err as Error).message}`);
      return;
    }
    const now = this.now();
    const warnings: ExpiryWarning[] = [];
    for (const c of list) {
      const reached = reachedThreshold(c.notAfter, now);
      const before = this.announced.get(c.id);
      if (reached === null) {
        this.announced.delete(c.id); // renewed
      } else if (before === undefined || reached < before) {
        this.announced.set(c.id, reached);
        warnings.push({ ...c, threshold: reached, daysLeft: daysLeft(c.notAfter, now) });
      }
    }
    for (const id of [...this.announced.keys()]) if (!list.some((c) => c.id === id)) this.announced.delete(id);
    const key = JSON.stringify(list);
    if (key !== this.last) {
      this.last = key;
      this.emit('change', list);
    }
    for (const w of warnings) this.emit('warning', w);
  }

  /** The certificate has reached an expiry threshold and not been renewed since. */
  isWarned(id: string): boolean {
    return this.announced.has(id);
  }
}
