/**
 * Installs or upgrades the ObjectScript agent (IrisEdge.Agent, in %SYS) at bridge start.
 *
 *   installed = IrisEdge.Agent.Version()          (<CLASS DOES NOT EXIST> -> not installed)
 *   if installed >= VERSION of the shipped .cls: done
 *   %SYSTEM.OBJ.Load(<agentDir>/IrisEdge.Agent.cls, "ck-d")        -> %Status
 *   if that failed (e.g. a remote IRIS cannot read our file):
 *     %Compiler.UDL.TextServices.SetTextFromString("%SYS", "IrisEdge.Agent", <class text>)
 *     %SYSTEM.OBJ.Compile("IrisEdge.Agent", "ck-d")                    -> %Status
 *   IrisEdge.Agent.Version() must now equal VERSION.
 *
 * The shipped VERSION is read from the .cls text (`Parameter VERSION = n;`): one source of truth.
 * Written against the small NativeCalls interface so it is testable with a fake.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IrisUnavailableError } from '../errors.ts';

export const AGENT_CLASS = 'IrisEdge.Agent';
export const AGENT_FILE = 'IrisEdge.Agent.cls';

/** Scalar arguments and results that cross the Native API (BigInt is decoded to number or string). */
export type NativeArg = string | number | boolean | null;
export type NativeValue = string | number | boolean | null;

/** What the installer (and the client) needs from a transport: Iris.classMethodValue. */
export interface NativeCalls {
  classMethodValue(className: string, methodName: string, ...args: NativeArg[]): Promise<NativeValue>;
}

/** The agent could not be installed; IRIS is unusable for the bridge until that is fixed. */
export class AgentInstallError extends IrisUnavailableError {}

export interface ShippedAgent {
  path: string;
  text: string;
  version: number;
}

export function agentVersionFromText(text: string): number {
  const m = /^\s*Parameter\s+VERSION\s*=\s*(\d+)\s*;/m.exec(text);
  if (!m?.[1]) throw new AgentInstallError(`${AGENT_FILE} has no "Parameter VERSION = <n>;" line`);
  return Number(m[1]);
}

export async function readShippedAgent(agentDir: string): Promise<ShippedAgent> {
  const path = join(agentDir, AGENT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AgentInstallError(`cannot read the agent class ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { path, text, version: agentVersionFromText(text) };
}

/** True for the errors IRIS raises when a class or method is not there. */
export function isMissingClassError(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  return /<CLASS DOES NOT EXIST>|<METHOD DOES NOT EXIST>/i.test(text);
}

/** A %Status that means success: $$$OK arrives as 1, 1n (decoded to 1), "1" or true. */
export function isStatusOk(sc: NativeValue): boolean {
  return sc === 1 || sc === '1' || sc === true;
}

function printable(sc: NativeValue): string {
  return String(sc).replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim();
}

async function statusText(calls: NativeCalls, sc: NativeValue): Promise<string> {
  try {
    const text = await calls.classMethodValue('%SYSTEM.Status', 'GetErrorText', sc);
    if (typeof text === 'string' && text.trim() !== '') return text.trim();
  } catch {
    // best effort: fall through to the raw status
  }
  return printable(sc) || 'failed %Status';
}

export async function installedAgentVersion(calls: NativeCalls): Promise<number | null> {
  try {
    const v = await calls.classMethodValue(AGENT_CLASS, 'Version');
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n)) throw new AgentInstallError(`${AGENT_CLASS}.Version() returned ${String(v)}`);
    return n;
  } catch (err) {
    if (isMissingClassError(err)) return null;
    throw err;
  }
}

export interface AgentInstallResult {
  action: 'current' | 'installed' | 'upgraded';
  /** Version found in IRIS before, null when the class was missing. */
  from: number | null;
  to: number;
  /** How the class text reached IRIS when it was (re)installed. */
  via?: 'file' | 'text';
}

export async function ensureAgent(calls: NativeCalls, agentDir: string): Promise<AgentInstallResult> {
  const shipped = await readShippedAgent(agentDir);
  const from = await installedAgentVersion(calls);
  if (from !== null && from >= shipped.version) return { action: 'current', from, to: from };

  let via: 'file' | 'text' = 'file';
  const loadSc = await calls.classMethodValue('%SYSTEM.OBJ', 'Load', shipped.path, 'ck-d');
  if (!isStatusOk(loadSc)) {
    const loadError = await statusText(calls, loadSc);
    // The IRIS server may not see our file (remote IRIS, other container): send the text instead.
    via = 'text';
    const setSc = await calls.classMethodValue('%Compiler.UDL.TextServices', 'SetTextFromString', '%SYS', AGENT_CLASS, shipped.text);
    if (!isStatusOk(setSc)) {
      throw new AgentInstallError(
        `installing ${AGENT_CLASS} v${shipped.version} failed. Loading ${shipped.path}: ${loadError}. ` +
          `Sending the class text: ${await statusText(calls, setSc)}`,
      );
    }
    const compileSc = await calls.classMethodValue('%SYSTEM.OBJ', 'Compile', AGENT_CLASS, 'ck-d');
    if (!isStatusOk(compileSc)) {
      throw new AgentInstallError(`compiling ${AGENT_CLASS} v${shipped.version} failed: ${await statusText(calls, compileSc)}`);
    }
  }
  const now = await installedAgentVersion(calls);
  if (now !== shipped.version) {
    throw new AgentInstallError(
      `${AGENT_CLASS} was loaded but reports version ${String(now)} instead of ${shipped.version}`,
    );
  }
  return { action: from === null ? 'installed' : 'upgraded', from, to: shipped.version, via };
}
