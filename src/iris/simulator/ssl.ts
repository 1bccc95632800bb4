/**
 * Security.SSLConfigs in the simulated instance, and the business-host settings that name one.
 * [SSL] Security.SSLConfigs class reference (%SYS) and "About Configurations" (TLS guide,
 *       KEY=GCAS_ssl), summarised in research iris.md §4: Name is the IdKey; Type 0 client /
 *       1 server; VerifyPeer client 0|1, server 0|1|3; TLSMin/MaxVersion bitmask 2..32. The
 *       privilege every call needs is enforced by the caller (IRIS_CALLS, %Admin_Secure:USE).
 * [CFG] Adapter and host settings named "SSLConfig" hold a configuration's name (iris.md §4.3).
 */
import type { SslConfig } from '../../model/ssl.ts';
import { sslInputProblem, type SslConfigInput } from '../../model/ssl.ts';
import { StatusError } from './security.ts';

/** A simulated Security.SSLConfigs object (the password is kept only to prove it never leaves). */
export interface SimSslConfig extends Omit<SslConfig, 'usedBy'> {
  privateKeyPassword?: string;
}

export function demoSslConfigs(): SimSslConfig[] {
  return [
    {
      name: 'LabTLS',
      description: 'Client TLS to the lab system',
      type: 'client',
      enabled: true,
      caFile: '/usr/irissys/mgr/lab-ca.pem',
      certificateFile: '',
      privateKeyFile: '',
      verifyPeer: 1,
      tlsMinVersion: 16,
      tlsMaxVersion: 32,
    },
    {
      name: 'ISC.FeatureTracker.SSLConfig',
      description: '',
      type: 'client',
      enabled: true,
      caFile: '',
      certificateFile: '',
      privateKeyFile: '',
      verifyPeer: 0,
      tlsMinVersion: 16,
      tlsMaxVersion: 32,
    },
  ];
}

export const DEMO_SSL_SETTINGS: Record<string, string> = { 'ORDERS/Orders.Production/HL7.Out.Lab': 'LabTLS' };

export class SimulatedSslConfigs {
  private readonly configs = new Map<string, SimSslConfig>();
  /** "namespace/production/host" -> configuration name. */
  private readonly settings: Map<string, string>;
  /** Names saved through %Save, for tests that must prove nothing reached IRIS. */
  readonly saved: string[] = [];

  constructor(configs: SimSslConfig[], settings: Record<string, string>) {
    for (const c of configs) this.configs.set(c.name, { ...c });
    this.settings = new Map(Object.entries(settings));
  }

  /** Security.SSLConfigs:List. */
  names(): string[] {
    return [...this.configs.keys()].sort((a, b) => a.localeCompare(b));
  }

  /** %OpenId(name): the object, without its password. */
  open(name: string): Omit<SimSslConfig, 'privateKeyPassword'> | undefined {
    const c = this.configs.get(name);
    if (!c) return undefined;
    const { privateKeyPassword: _pw, ...rest } = c;
    return rest;
  }

  /**
   * Exists/%OpenId or %New, properties set, %Save(). The simulator refuses what the bridge's own
   * checks refuse (sslInputProblem) with an IRIS-style %Status; whether IRIS checks that the files
   * exist at %Save is not documented, so it is not modelled.
   */
  save(input: SslConfigInput): void {
    const problem = sslInputProblem(input);
    if (problem) throw new StatusError('5001', `ERROR #5001: ${problem}`);
    const existing = this.configs.get(input.name);
    this.saved.push(input.name);
    this.configs.set(input.name, {
      name: input.name,
      description: input.description ?? existing?.description ?? '',
      type: input.type,
      enabled: existing?.enabled ?? true,
      caFile: input.caFile,
      certificateFile: input.certificateFile,
      privateKeyFile: input.privateKeyFile,
      verifyPeer: input.verifyPeer,
      tlsMinVersion: input.tlsMinVersion,
      tlsMaxVersion: input.tlsMaxVersion,
      ...(input.privateKeyPassword ? { privateKeyPassword: input.privateKeyPassword } : {}),
    });
  }

  delete(name: string): boolean {
    return this.configs.delete(name);
  }

  passwordOf(name: string): string | undefined {
    return this.configs.get(name)?.privateKeyPassword;
  }

  /** The SSLConfig settings of one namespace's items: [production, host, config]. */
  settingsIn(namespace: string): Array<{ production: string; host: string; config: string }> {
    const out: Array<{ production: string; host: string; config: string }> = [];
    for (const [key, config] of this.settings) {
      const [ns, production, host] = key.split('/') as [string, string, string];
      if (ns === namespace) out.push({ production, host, config });
    }
    return out;
  }

  setHostSetting(namespace: string, production: string, host: string, config: string): void {
    const key = `${namespace}/${production}/${host}`;
    if (config) this.settings.set(key, config);
    else this.settings.delete(key);
  }
}
