import { createHash } from 'node:crypto';
import type { IrisClient } from '../iris/client.ts';
import type { SslConfig } from '../model/ssl.ts';
import type { ParsedCert } from './inspect.ts';
import { readCertFile } from './store.ts';

/** A certificate or CA file an IRIS SSL/TLS configuration names (a file on the IRIS server). */
export interface IrisCertFile {
  id: string;
  name: string;
  path: string;
  certs: ParsedCert[];
  error?: string;
}

/** An IRIS on this machine (the add-on's own, or the simulator): its files are readable here. */
export function isLocalIris(iris: IrisClient): boolean {
  return iris.kind === 'simulator' || /\/\/(127\.0\.0\.1|localhost)[:/]/.test(iris.target);
}

/**
 * The certificate and CA files every IRIS SSL/TLS configuration names. The bridge can read them
 * only for an IRIS on this machine (the add-on's own); a remote instance's files are listed as
 * not readable from here. An IRIS that does not answer contributes nothing this time.
 */
export async function irisCertFiles(clients: { id: string; iris: IrisClient }[]): Promise<IrisCertFile[]> {
  const out: IrisCertFile[] = [];
  for (const { id, iris } of clients) {
    const local = isLocalIris(iris);
    let configs: SslConfig[];
    try {
      configs = await iris.sslConfigs();
    } catch {
      continue;
    }
    for (const cfg of configs) {
      for (const [what, path] of [['certificate', cfg.certificateFile], ['CA file', cfg.caFile]] as const) {
        if (!path || path.startsWith('%')) continue; // %OSCertificateStore is not a file
        const read = local ? await readCertFile(path) : { certs: [], error: `on the IRIS server ${iris.target}; not readable from here` };
        out.push({
          id: `iris-${createHash('sha256').update(`${id}\0${path}`).digest('hex').slice(0, 16)}`,
          name: `${cfg.name} ${what}${clients.length > 1 ? ` (${id})` : ''}`,
          path,
          certs: read?.certs ?? [],
          error: read ? read.error : 'not a certificate file',
        });
      }
    }
  }
  return out;
}
