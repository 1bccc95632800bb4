/**
 * "Apply to IRIS" (DESIGN.md §8): an instance's IRIS SSL/TLS configurations, built from PEM files
 * written where IRIS reads them, and the restart of the business hosts that use one. Restarts go
 * through the monitor, which serialises commands per production and republishes what IRIS reports.
 * Bad input is a CertError and writes nothing (no file, no IRIS call). The key password goes to IRIS only.
 */
import { CertError } from '../certs/errors.ts';
import { removeIrisFiles, writeIrisFiles, type IrisFilesOptions } from '../certs/iris-files.ts';
import type { SslMaterial } from '../certs/service.ts';
import type { IrisClient } from '../iris/client.ts';
import { SSL_CONFIG_NAME, sslInputProblem, type SslConfig, type SslConfigInput, type SslConfigType, type SslConfigUser } from '../model/ssl.ts';
import type { Monitor } from './monitor.ts';

/** What a configuration is asked to be; its files come from the material. */
export interface SslConfigRequest {
  name: string;
  type: SslConfigType;
  description?: string;
  verifyPeer: number;
  tlsMinVersion: number;
  tlsMaxVersion: number;
  /** Apply even though a certificate is expired or not yet valid. */
  allowExpired: boolean;
}

export interface SslApplied {
  config: SslConfig | null;
  files: { dir: string; certificateFile: string; privateKeyFile: string; caFile: string };
  /** The date problems applied despite (allowExpired). */
  warnings: string[];
}

export interface HostRestart extends SslConfigUser {
  outcome: 'restarted' | 'skipped' | 'failed';
  reason?: string;
}

/** A name the bridge may write a configuration under; the CertError says why one is refused. */
export function checkSslConfigName(name: string): void {
  if (!SSL_CONFIG_NAME.test(name)) {
    throw new CertError('bad-name', `"${name}" is not a valid configuration name: use 1–64 letters, digits, ".", "-" or "_", starting with a letter or digit (names starting with "%" belong to IRIS).`);
  }
}

export class SslConfigs {
  constructor(
    private readonly iris: IrisClient,
    private readonly monitor: Monitor,
    /** Where the PEM files go (one directory per configuration) and who owns them. */
    private readonly files: { dir: string } & IrisFilesOptions,
  ) {}

  list(): Promise<SslConfig[]> {
    return this.iris.sslConfigs();
  }

  async find(name: string): Promise<SslConfig | null> {
    return (await this.list()).find((c) => c.name === name) ?? null;
  }

  /** Writes the files, creates or modifies the configuration; a first write IRIS refuses is removed again. */
  async apply(req: SslConfigRequest, material: SslMaterial): Promise<SslApplied> {
    checkSslConfigName(req.name);
    if (material.problems.length > 0 && !req.allowExpired) {
      throw new CertError('certificate-not-valid-now', `Not applied: ${material.problems.join('; ')}. IRIS would refuse or fail these TLS connections; tick "allow expired" to apply anyway.`);
    }
    const input: SslConfigInput = {
      name: req.name,
      type: req.type,
      ...(req.description !== undefined ? { description: req.description } : {}),
      caFile: '',
      certificateFile: '',
      privateKeyFile: '',
      verifyPeer: req.verifyPeer,
      tlsMinVersion: req.tlsMinVersion,
      tlsMaxVersion: req.tlsMaxVersion,
    };
    // Same checks as IRIS's documented values, with placeholder paths for the files still to write.
    const problem = sslInputProblem({ ...input, certificateFile: material.certPem ? 'x' : '', privateKeyFile: material.keyPem ? 'x' : '' });
    if (problem) throw new CertError('invalid-request', problem);

    const { dir, ...fileOptions } = this.files;
    const files = await writeIrisFiles(dir, req.name, material, fileOptions);
    try {
      await this.iris.applySslConfig({
        ...input,
        caFile: files.caFile,
        certificateFile: files.certificateFile,
        privateKeyFile: files.privateKeyFile,
        ...(material.keyPassword ? { privateKeyPassword: material.keyPassword } : {}),
      });
    } catch (err) {
      await removeIrisFiles(files);
      throw err;
    }
    return {
      config: await this.find(req.name),
      files: { dir: files.dir, certificateFile: files.certificateFile, privateKeyFile: files.privateKeyFile, caFile: files.caFile },
      warnings: material.problems,
    };
  }

  /**
   * Restarts (disable, then enable) the running, enabled hosts that use a configuration.
   * Ens.Director.EnableConfigItem off then on: UpdateProduction would not do, it restarts only
   * items whose production definition changed, and an SSL configuration is not part of the
   * definition (iris.md §4.3).
   */
  async restartHosts(name: string): Promise<HostRestart[]> {
    const config = await this.find(name);
    if (!config) throw new CertError('not-found', `IRIS has no SSL/TLS configuration "${name}".`, 404);
    const view = this.monitor.view;
    const results: HostRestart[] = [];
    for (const u of config.usedBy) {
      const p = view.productions.find((x) => x.namespace === u.namespace && x.name === u.production);
      const h = p?.hosts.find((x) => x.name === u.host);
      if (!p || !h) {
        results.push({ ...u, outcome: 'skipped', reason: 'not in the current inventory' });
        continue;
      }
      if (p.irisState !== 'running') {
        results.push({ ...u, outcome: 'skipped', reason: `the production is ${p.irisState}; it uses the new configuration when it starts` });
        continue;
      }
      if (!h.enabled) {
        results.push({ ...u, outcome: 'skipped', reason: 'the host is disabled' });
        continue;
      }
      try {
        await this.monitor.setHostEnabled(u.namespace, u.production, u.host, false);
        await this.monitor.setHostEnabled(u.namespace, u.production, u.host, true);
        results.push({ ...u, outcome: 'restarted' });
      } catch (err) {
        results.push({ ...u, outcome: 'failed', reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return results;
  }
}
