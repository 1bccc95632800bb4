/**
 * A live TLS handshake with any host:port (an s_client for the panel, seeds §3.48–3.50): the chain
 * the server presents, the protocol and cipher negotiated, whether verification and the host check
 * pass. One connection, bounded by a timeout, nothing followed or sent after the handshake.
 */
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { CertInfo } from '../model/cert-info.ts';
import { parseCertificate } from './inspect.ts';

export const PROBE_TIMEOUT_MS = 5000;

export interface ProbeInput {
  host: string;
  port: number;
  servername?: string;
  /** PEM CA bundle to verify against; default the system roots. */
  caPem?: string;
  clientCert?: { certPem: string; key: KeyObject };
  timeoutMs?: number;
}

export interface ProbeResult {
  connected: boolean;
  /** Connect / handshake failure, for a person. */
  error: string | null;
  protocol: string | null;
  cipher: { name: string; standardName: string; version: string } | null;
  /** The server's chain, leaf first, as Node reports it: what the server sent, completed with issuers from the CA bundle. */
  chain: CertInfo[];
  verified: boolean;
  verifyError: string | null;
  hostCheck: { name: string; ok: boolean; error: string | null } | null;
  clientCertSent: boolean;
  elapsedMs: number;
}

export function probeTls(input: ProbeInput): Promise<ProbeResult> {
  const started = Date.now();
  const timeout = Math.min(input.timeoutMs ?? PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS);
  const servername = input.servername ?? (isIP(input.host) ? undefined : input.host);
  return new Promise((resolve) => {
    let done = false;
    const result: ProbeResult = { connected: false, error: null, protocol: null, cipher: null, chain: [], verified: false, verifyError: null, hostCheck: null, clientCertSent: !!input.clientCert, elapsedMs: 0 };
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) result.error = error;
      result.elapsedMs = Date.now() - started;
      socket.destroy();
      resolve(result);
    };
    const socket = tls.connect({
      host: input.host,
      port: input.port,
      servername,
      ca: input.caPem,
      cert: input.clientCert?.certPem,
      key: input.clientCert ? (input.clientCert.key.export({ type: 'pkcs8', format: 'pem' }) as string) : undefined,
      rejectUnauthorized: false,
      // The host check is reported, not enforced, so the chain is still shown.
      checkServerIdentity: () => undefined,
      minVersion: 'TLSv1',
    });
    const timer = setTimeout(() => finish(`No TLS handshake within ${timeout / 1000} s.`), timeout);
    socket.once('secureConnect', () => {
      result.connected = true;
      result.protocol = socket.getProtocol();
      const c = socket.getCipher();
      result.cipher = c ? { name: c.name, standardName: c.standardName, version: c.version } : null;
      result.verified = socket.authorized;
      result.verifyError = socket.authorized ? null : String(socket.authorizationError ?? 'unknown');
      const peer = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      let cur: tls.DetailedPeerCertificate | undefined = peer && peer.raw ? peer : undefined;
      while (cur && cur.raw && !seen.has(cur.fingerprint256) && result.chain.length < 10) {
        seen.add(cur.fingerprint256);
        try {
          result.chain.push(parseCertificate(cur.raw).info);
        } catch {
          break;
        }
        cur = cur.issuerCertificate;
      }
      if (peer && peer.raw) {
        const name = servername ?? input.host;
        const err = tls.checkServerIdentity(name, peer);
        result.hostCheck = { name, ok: !err, error: err ? err.message : null };
      }
      // A server that requires a client certificate may refuse ours after the handshake (TLS 1.3):
      // wait briefly for an alert before reporting success.
      setTimeout(() => finish(), 150);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const m =
        err.code === 'ECONNREFUSED'
          ? `Connection refused by ${input.host}:${input.port}.`
          : err.code === 'ENOTFOUND'
            ? `The host name ${input.host} does not resolve.`
            : err.code === 'ECONNRESET'
              ? 'The server closed the connection during the handshake (it may require a client certificate, or not speak TLS).'
              : `TLS failed: ${err.message}`;
      if (result.connected) {
        result.connected = false;
        result.error = `The server ended the session after the handshake: ${err.message}`;
        finish();
      } else finish(m);
    });
    socket.once('close', () => finish(result.connected ? undefined : 'The connection closed before the TLS handshake completed.'));
  });
}
