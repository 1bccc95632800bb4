/**
 * IRIS SSL/TLS configurations (Security.SSLConfigs in %SYS; research iris.md §4).
 * Numbers are IRIS's own: Type 0 client / 1 server; VerifyPeer client 0|1, server 0|1|3;
 * TLSMinVersion/TLSMaxVersion bitmask values 2 SSLv3, 4 TLS1.0, 8 TLS1.1, 16 TLS1.2, 32 TLS1.3.
 */
export type SslConfigType = 'client' | 'server';

export interface SslConfigUser {
  namespace: string;
  production: string;
  host: string;
}

export interface SslConfig {
  name: string;
  description: string;
  type: SslConfigType;
  enabled: boolean;
  caFile: string;
  certificateFile: string;
  privateKeyFile: string;
  /** IRIS's VerifyPeer value (client: 0 none, 1 require; server: 0 none, 1 request, 3 require). */
  verifyPeer: number;
  tlsMinVersion: number;
  tlsMaxVersion: number;
  /** Business hosts whose SSLConfig setting names this configuration. */
  usedBy: SslConfigUser[];
}

export interface SslConfigInput {
  name: string;
  type: SslConfigType;
  description?: string;
  caFile: string;
  certificateFile: string;
  privateKeyFile: string;
  /** Never logged, never returned. */
  privateKeyPassword?: string;
  verifyPeer: number;
  tlsMinVersion: number;
  tlsMaxVersion: number;
}

export const TLS_VERSIONS = { 'SSLv3': 2, 'TLSv1.0': 4, 'TLSv1.1': 8, 'TLSv1.2': 16, 'TLSv1.3': 32 } as const;
export const TLS_VERSION_VALUES: readonly number[] = Object.values(TLS_VERSIONS);

/** Allowed VerifyPeer values per type (iris.md §4.2). */
export function verifyPeerValues(type: SslConfigType): readonly number[] {
  return type === 'client' ? [0, 1] : [0, 1, 3];
}

/**
 * Names the bridge accepts for a configuration it writes: letters, digits, '.', '-', '_', 1–64
 * characters, not starting with '%' (the %-names such as %SuperServer are IRIS's own; §4.4).
 * Stricter than IRIS (whose exact rule is not in the research) and also safe as a directory name.
 */
export const SSL_CONFIG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks an input the way both the simulator and the API do; returns the problem or null. */
export function sslInputProblem(input: SslConfigInput): string | null {
  if (!SSL_CONFIG_NAME.test(input.name)) {
    return `"${input.name}" is not a valid configuration name: use 1–64 letters, digits, ".", "-" or "_", starting with a letter or digit.`;
  }
  if (!verifyPeerValues(input.type).includes(input.verifyPeer)) {
    return `VerifyPeer ${input.verifyPeer} is not valid for a ${input.type} configuration (allowed: ${verifyPeerValues(input.type).join(', ')}).`;
  }
  if (!TLS_VERSION_VALUES.includes(input.tlsMinVersion) || !TLS_VERSION_VALUES.includes(input.tlsMaxVersion)) {
    return `TLS versions must be one of ${TLS_VERSION_VALUES.join(', ')} (IRIS bitmask values).`;
  }
  if (input.tlsMinVersion > input.tlsMaxVersion) return 'The minimum TLS version is above the maximum.';
  if (input.type === 'server' && (!input.certificateFile || !input.privateKeyFile)) {
    return 'A server configuration needs a certificate and its private key.';
  }
  return null;
}
