/**
 * The agent (IrisEdge.Agent, in %SYS) is installed by a PRIVILEGED path, never by the bridge:
 * compiling a class into IRISSYS needs WRITE on it, and a role with WRITE on IRISSYS can give
 * itself any role, i.e. it is %All (issue 11; research notes in test/contract/README.md).
 *  - In the add-on: the setup that runs as irisowner (OS authentication) at every start loads the
 *    shipped class when its version differs (IrisEdge.Setup, in rootfs/usr/share/iris-edge/agent).
 *  - On a remote instance: an administrator runs the same setup once (DOCS.md "Remote instances").
 * The bridge only asks IrisEdge.Agent.Version() and says, in words an administrator can act on,
 * when the agent is missing or older than this bridge needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IrisUnavailableError } from '../../model/errors.ts';

export const AGENT_CLASS = 'IrisEdge.Agent';
export const AGENT_FILE = 'IrisEdge.Agent.cls';

/** The setup an administrator runs in %SYS of a remote IRIS (DOCS.md "Remote IRIS instances: the one-time setup"). */
export const REMOTE_SETUP_COMMAND =
  'do $SYSTEM.OBJ.Load("<folder>/IrisEdge.Setup.cls","ck") write $SYSTEM.Status.GetErrorText(##class(IrisEdge.Setup).Install("<folder>","<IRIS Edge user>","<password file>"))';

/** What a remote IRIS's administrator does when the agent is missing or old. */
export const REMOTE_INSTALL_HINT =
  'An administrator installs it in the %SYS namespace of that IRIS: copy the folder /usr/share/iris-edge/agent of the add-on ' +
  `(or rootfs/usr/share/iris-edge/agent of the source) to the IRIS host and run ${REMOTE_SETUP_COMMAND} (DOCS.md, "Remote IRIS instances")`;

/** The agent is missing, or older than this bridge needs: IRIS is unusable until an administrator acts. */
export class AgentVersionError extends IrisUnavailableError {
  constructor(
    message: string,
    readonly installed: number | null,
    readonly required: number,
  ) {
    super(message);
  }
}

export function agentVersionFromText(text: string): number {
  const m = /^\s*Parameter\s+VERSION\s*=\s*(\d+)\s*;/m.exec(text);
  if (!m?.[1]) throw new IrisUnavailableError(`${AGENT_FILE} has no "Parameter VERSION = <n>;" line`);
  return Number(m[1]);
}

/** The VERSION of the agent class this bridge ships (one source of truth: the .cls itself). */
export function shippedAgentVersion(agentDir: string): number {
  const path = join(agentDir, AGENT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IrisUnavailableError(`cannot read the agent class ${path}: ${(err as Error).message}`, { cause: err });
  }
  return agentVersionFromText(text);
}

/** True for the errors IRIS raises when a class or method is not there. */
export function isMissingClassError(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  return /<CLASS DOES NOT EXIST>|<METHOD DOES NOT EXIST>/i.test(text);
}

/**
 * Compares the installed agent with the one this bridge needs. `installed` is what
 * IrisEdge.Agent.Version() answered, or null when IRIS said the class does not exist.
 * A newer agent is accepted: versions only ever add methods and fields.
 */
export function agentVersionProblem(installed: number | null, required: number, target: string, inAddon: boolean): AgentVersionError | null {
  if (installed !== null && installed >= required) return null;
  const how = inAddon
    ? 'The add-on installs it at every start as the IRIS owner; see the add-on log for the setup step that failed, then restart the add-on.'
    : REMOTE_INSTALL_HINT;
  const what =
    installed === null
      ? `The IRIS Edge agent (${AGENT_CLASS}) is not installed in %SYS of ${target}.`
      : `The IRIS Edge agent in %SYS of ${target} is version ${installed}; this bridge needs version ${required}.`;
  return new AgentVersionError(`${what} ${how}`, installed, required);
}
