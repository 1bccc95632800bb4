/**
 * What the certificate manager shows of one certificate. Plain types with no imports: the panel's
 * UI reads the same shape from the API and imports it from here.
 */
export interface DnPart {
  /** Short name (CN, O, OU, …) or the OID when unknown. */
  type: string;
  oid: string;
  value: string;
}

export interface CertInfo {
  serial: string;
  version: number;
  subject: { text: string; parts: DnPart[] };
  issuer: { text: string; parts: DnPart[] };
  notBefore: string;
  notAfter: string;
  san: { dns: string[]; ip: string[]; email: string[]; uri: string[] };
  keyUsage: { critical: boolean; values: string[] } | null;
  extendedKeyUsage: { critical: boolean; values: string[] } | null;
  basicConstraints: { critical: boolean; ca: boolean; pathLen: number | null } | null;
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  publicKey: { algorithm: string; size: number | null; curve: string | null };
  signatureAlgorithm: string;
  fingerprints: { sha256: string; sha1: string };
  selfSigned: boolean;
  isCa: boolean;
}
