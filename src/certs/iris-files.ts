/**
 * The PEM files an IRIS SSL/TLS configuration reads (CertificateFile, PrivateKeyFile, CAFile).
 * IRIS opens them itself, so they live where IRIS can read them (config/ names the folder):
 *   add-on:        /data/iris-edge/ssl/<config name>/   owned by irisowner (51773), key 0600
 *   outside HA:    <cert store dir>/../iris-ssl/<config name>/ (next to the store)
 * Files: cert.pem (leaf then chain), key.pem (0600; encrypted exactly as stored when the stored key
 * has a passphrase, which then goes to IRIS as PrivateKeyPassword), ca.pem (the chosen CA bundle).
 * Each file is written to a temporary name and renamed into place.
 */
import { chmod, chown, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SSL_CONFIG_NAME } from '../model/ssl.ts';
import { CertError } from './errors.ts';
import { writeAtomic } from '../files/atomic-write.ts';

/** irisowner in the InterSystems container images (iris.md §4.2, §6.1). */
export const IRISOWNER_UID = 51773;

/** In the add-on the bridge runs as root and IRIS as irisowner, who must own what it reads. */
export function defaultIrisFilesOwner(mode: 'addon' | 'standalone'): { uid: number; gid: number } | undefined {
  return mode === 'addon' && process.getuid?.() === 0 ? { uid: IRISOWNER_UID, gid: IRISOWNER_UID } : undefined;
}

export interface IrisFilesInput {
  /** Leaf first, then its chain; PEM. Empty: no certificate (a client config without one). */
  certPem: string;
  /** The key as it is to be written (PEM). */
  keyPem: string | null;
  /** The CA bundle (PEM); empty for none. */
  caPem: string;
}

export interface IrisFiles {
  dir: string;
  certificateFile: string;
  privateKeyFile: string;
  caFile: string;
  /** True when the directory did not exist before (removed again if IRIS refuses). */
  created: boolean;
}

export interface IrisFilesOptions {
  /** chown the directory and files to this owner (the add-on runs as root; IRIS as irisowner). */
  owner?: { uid: number; gid: number };
}

export async function writeIrisFiles(baseDir: string, configName: string, input: IrisFilesInput, opts: IrisFilesOptions = {}): Promise<IrisFiles> {
  if (!SSL_CONFIG_NAME.test(configName)) throw new CertError('bad-name', `"${configName}" cannot be used as a configuration name.`);
  const dir = join(baseDir, configName);
  const created = !(await stat(dir).then(() => true, () => false));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const put = async (file: string, text: string, mode: number): Promise<string> => {
    const path = join(dir, file);
    await writeAtomic(path, text, { mode, owner: opts.owner });
    return path;
  };
  const out: IrisFiles = { dir, certificateFile: '', privateKeyFile: '', caFile: '', created };
  if (input.certPem) out.certificateFile = await put('cert.pem', input.certPem, 0o644);
  else await rm(join(dir, 'cert.pem'), { force: true });
  if (input.keyPem) out.privateKeyFile = await put('key.pem', input.keyPem, 0o600);
  else await rm(join(dir, 'key.pem'), { force: true });
  if (input.caPem) out.caFile = await put('ca.pem', input.caPem, 0o644);
  else await rm(join(dir, 'ca.pem'), { force: true });
  if (opts.owner) await chown(dir, opts.owner.uid, opts.owner.gid);
  return out;
}

/** Undo a first write that IRIS then refused. */
export async function removeIrisFiles(files: IrisFiles): Promise<void> {
  if (files.created) await rm(files.dir, { recursive: true, force: true });
}
