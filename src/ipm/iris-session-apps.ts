/**
 * The add-on's privileged path for apps: `iris session IRIS -U <namespace> <routine>` run by the
 * bridge process, which is irisowner, so IRIS authenticates it by the operating system as the
 * instance's owner (%All; research/iris.md §6), the same path as the setup, the account for
 * people and freeze/thaw. Installing code into IRIS is an administrator's action; the bridge's
 * own IRIS user could not do it and must not be able to (test/contract/README.md I1, N1).
 *
 * What runs: IPM's `##class(%IPM.Main).Shell("<command>")` (intersystems/ipm src/cls/IPM/Main.cls;
 * the command words are package names and versions the service has checked, or the path of an
 * archive in the offline folder whose file name the folder's listing has checked; never free text),
 * `$SYSTEM.OBJ.Load(file,"ck")` for IPM's installer (IPM's README), and IrisEdge.Setup's
 * AppsNamespaces, CreateAppsNamespace, DeleteAppsNamespace and SetIpmRegistry, which the setup
 * compiled into %SYS at this start. Registry credentials go in a 0600 file that only
 * SetIpmRegistry reads and that is deleted afterwards: never on a command line, never echoed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NAMESPACE_NAME, type AppsRunner } from '../model/ipm.ts';

export interface IrisSessionAppsOptions {
  irisBin?: string | undefined;
  instance?: string;
  /** Where bridge-role.json is (the setup's agent directory). */
  agentDir: string;
  /** A 0700 folder irisowner can read: installer files and the short-lived credentials file. */
  workDir: string;
  /** One IPM command; installs with dependencies take minutes. Default 20 min. */
  timeoutMs?: number;
}

const OK = 'IRIS-EDGE-APPS-OK';
const FAILED = 'IRIS-EDGE-APPS-FAILED:';
/** What may appear inside the "..." of a routine: no quote, no control character. */
const SAFE_ARG = /^[^"\u0000-\u001f\u007f]*$/;
/** An ObjectScript error line, e.g. "<CLASS DOES NOT EXIST> *%IPM.Main" or "<NAMESPACE>". */
const OBJECTSCRIPT_ERROR = /^\s*<[A-Z][A-Z ]*>/;

function arg(text: string): string {
  if (!SAFE_ARG.test(text)) throw new Error('A value for IRIS has a quote or a control character; it was not sent.');
  return `"${text}"`;
}

function checkNamespace(ns: string): string {
  if (!NAMESPACE_NAME.test(ns)) throw new Error(`"${ns.slice(0, 80)}" is not a namespace name.`);
  return ns;
}

export function irisSessionApps(o: IrisSessionAppsOptions): AppsRunner {
  const bin = o.irisBin ?? 'iris';
  const timeoutMs = o.timeoutMs ?? 20 * 60_000;

  /** Runs one routine; each line of output goes to `line` as it comes; resolves with all of them. */
  function session(namespace: string, routine: string, line: (l: string) => void = () => {}): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(bin, ['session', o.instance ?? 'IRIS', '-U', checkNamespace(namespace), routine], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let partial = '';
      let size = 0;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        size += chunk.length;
        // IPM's output is a few KiB; beyond 4 MiB something loops: stop keeping it.
        if (size > 4 * 1024 * 1024) return;
        const parts = (partial + chunk).split(/\r?\n/);
        partial = parts.pop() ?? '';
        for (const p of parts) {
          lines.push(p);
          line(p);
        }
      });
      child.stderr.resume();
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`The privileged IRIS session could not start (${e.message}).`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (partial) {
          lines.push(partial);
          line(partial);
        }
        const objectscript = lines.find((l) => OBJECTSCRIPT_ERROR.test(l));
        if (objectscript) return reject(new Error(`IRIS answered ${objectscript.trim().slice(0, 300)}`));
        if (signal === 'SIGKILL') return reject(new Error(`The privileged IRIS session did not finish within ${Math.round(timeoutMs / 60_000)} min.`));
        if (code !== 0 && !lines.some((l) => l.includes(OK) || l.includes(FAILED))) return reject(new Error(`The privileged IRIS session ended with exit status ${String(code)}.`));
        resolve(lines);
      });
    });
  }

  /** A Setup method's one outcome line. */
  async function setup(namespace: string, routine: string): Promise<string[]> {
    const lines = await session(namespace, routine);
    const failed = lines.find((l) => l.includes(FAILED));
    if (failed) throw new Error(failed.slice(failed.indexOf(FAILED) + FAILED.length).trim().slice(0, 500));
    if (!lines.some((l) => l.includes(OK))) throw new Error('IrisEdge.Setup gave no outcome; restart the add-on so that its setup loads the current IrisEdge.Setup.');
    return lines;
  }

  async function privateFile(name: string, data: string | Uint8Array): Promise<string> {
    await mkdir(o.workDir, { recursive: true, mode: 0o700 });
    const file = join(o.workDir, `${name}-${randomBytes(6).toString('hex')}`);
    await writeFile(file, data, { mode: 0o600, flag: 'wx' });
    return file;
  }

  return {
    async namespaces() {
      const lines = await setup('%SYS', '##class(IrisEdge.Setup).AppsNamespaces()');
      return lines.flatMap((l) => {
        const m = /IRIS-EDGE-NS: (\S+) ([01])/.exec(l);
        return m ? [{ name: m[1] as string, interop: m[2] === '1' }] : [];
      });
    },
    async createNamespace(name, interop) {
      await setup('%SYS', `##class(IrisEdge.Setup).CreateAppsNamespace(${arg(checkNamespace(name))},${interop ? 1 : 0},${arg(o.agentDir)})`);
      return name;
    },
    async deleteNamespace(name) {
      await setup('%SYS', `##class(IrisEdge.Setup).DeleteAppsNamespace(${arg(checkNamespace(name))})`);
    },
    async loadIpmInstaller(namespace, version, installer) {
      const file = await privateFile(`zpm-${version.replace(/[^0-9A-Za-z.-]/g, '')}.xml`, installer);
      try {
        await session(namespace, `##class(%SYSTEM.OBJ).Load(${arg(file)},"ck")`);
      } finally {
        await rm(file, { force: true });
      }
    },
    async setRegistry(namespace, repo, out) {
      const { username = '', password = '' } = repo.credentials ?? {};
      const file = await privateFile('registry', `${repo.url}\n${username}\n${password}\n`);
      try {
        await setup(namespace, `##class(IrisEdge.Setup).SetIpmRegistry(${arg(file)})`);
        out(`IPM in ${namespace} uses the registry ${repo.url}${username ? ` as ${username}` : ''}.`);
      } finally {
        await rm(file, { force: true });
      }
    },
    async zpm(namespace, command, out) {
      await session(namespace, `##class(%IPM.Main).Shell(${arg(command)})`, out);
    },
  };
}
