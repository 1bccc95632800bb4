import type { CertExpiry, ExpiryWarning } from '../model/certificate.ts';
import type { Logger } from '../log/logger.ts';
import type { HaCore } from './core.ts';

export const EVENT_CERTIFICATE_EXPIRING = 'iris_edge_certificate_expiring';

const notificationId = (id: string) => `iris_edge_certificate_${id}`;

/**
 * Certificate expiry in Home Assistant: an `iris_edge_certificate_expiring` event automations can
 * use and a persistent notification at 30, 7 and 1 day(s) before expiry and once expired; the
 * notification goes when the certificate is renewed or removed.
 */
export class CertificateNotices {
  private readonly open = new Set<string>();

  constructor(
    private readonly core: HaCore,
    private readonly log: Logger,
  ) {}

  async onWarning(w: ExpiryWarning): Promise<void> {
    const when = w.threshold === 0 ? 'has expired' : `expires in ${w.daysLeft} day${w.daysLeft === 1 ? '' : 's'}`;
    const message =
      `The certificate "${w.name}" stored in IRIS Edge ${when} (${w.notAfter}). ` +
      'Renew it and import the new certificate on the Certificates page of the IRIS Edge panel; TLS connections that use it fail once it has expired.';
    try {
      await this.core.fireEvent(EVENT_CERTIFICATE_EXPIRING, { id: w.id, name: w.name, not_after: w.notAfter, days_left: w.daysLeft, threshold: w.threshold });
      await this.core.notify(notificationId(w.id), `Certificate ${w.name} ${when}`, message);
      this.open.add(w.id);
    } catch (err) {
      this.log.debug({ err }, 'Could not tell Home Assistant about an expiring certificate');
    }
  }

  /** Dismisses notifications of certificates that were renewed or removed. */
  async onChange(certs: CertExpiry[], stillWarned: (id: string) => boolean): Promise<void> {
    for (const id of [...this.open]) {
      if (certs.some((c) => c.id === id) && stillWarned(id)) continue;
      try {
        await this.core.dismiss(notificationId(id));
        this.open.delete(id);
      } catch (err) {
        this.log.debug({ err }, 'Could not dismiss a certificate notification');
      }
    }
  }
}
