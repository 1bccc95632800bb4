/** Certificate expiry as every consumer shows it (Home Assistant sensors, notifications, the panel). */

export interface CertExpiry {
  id: string;
  name: string;
  /** ISO-8601 with timezone. */
  notAfter: string;
}

/** Days before expiry at which Home Assistant gets a notification; 0 = expired. */
export const EXPIRY_THRESHOLDS = [30, 7, 1, 0] as const;
export type ExpiryThreshold = (typeof EXPIRY_THRESHOLDS)[number];

/** A certificate reached a threshold it had not reached at the previous look. */
export interface ExpiryWarning extends CertExpiry {
  threshold: ExpiryThreshold;
  daysLeft: number;
}
