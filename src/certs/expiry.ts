/**
 * Which stored certificates expire when, and when a person must be told: 30, 7 and 1 day(s)
 * before, and once expired. Pure, so the thresholds are tested without waiting days.
 */
import type { IrisCertFile } from './iris-inventory.ts';
import type { Entry } from './store.ts';
import { EXPIRY_THRESHOLDS, type CertExpiry, type ExpiryThreshold } from '../model/certificate.ts';
import { byText } from '../model/text-order.ts';


const DAY = 86_400_000;

/**
 * The first certificate of every stored entry (CSRs still waiting have none) and of every file an
 * IRIS SSL/TLS configuration uses (its certificate and its CA file), soonest expiry first.
 */
export function certificateExpiries(entries: Entry[], irisFiles: IrisCertFile[] = []): CertExpiry[] {
  const out: CertExpiry[] = [];
  const add = (id: string, name: string, notAfter: string | undefined) => {
    if (notAfter) out.push({ id, name, notAfter: new Date(notAfter).toISOString() });
  };
  for (const e of entries) add(e.meta.id, e.meta.name, e.certs[0]?.info.notAfter);
  for (const f of irisFiles) add(f.id, `IRIS ${f.name}`, f.certs[0]?.info.notAfter);
  return out.sort((a, b) => byText(a.notAfter, b.notAfter));
}

/** The threshold a certificate has reached (the smallest one it is within), or null. */
export function reachedThreshold(notAfter: string, now: Date): ExpiryThreshold | null {
  const left = Date.parse(notAfter) - now.getTime();
  if (left <= 0) return 0;
  let reached: ExpiryThreshold | null = null;
  for (const t of EXPIRY_THRESHOLDS) if (t > 0 && left <= t * DAY) reached = t;
  return reached;
}

export function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / DAY);
}
