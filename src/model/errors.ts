/**
 * Typed errors of IRIS calls, thrown by iris/ and told apart by every consumer (MQTT answers, HTTP
 * status codes). Messages are written for the user who reads the add-on log.
 */

export class IrisError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** IRIS did not answer: connection refused, timed out, worker restarted, instance down. */
export class IrisUnavailableError extends IrisError {}

/** IRIS answered and refused the operation (e.g. <Ens>ErrProductionNotQuiescent). */
export class IrisCommandRefusedError extends IrisError {
  constructor(
    message: string,
    /** IRIS's error code when one was given, e.g. "<Ens>ErrProductionNotQuiescent". */
    readonly irisCode: string | undefined,
  ) {
    super(message);
  }
}

/** IRIS answered with data that does not match the agent contract. */
export class IrisContractError extends IrisError {}

/** A production named in a command does not exist. */
export class UnknownProductionError extends IrisError {}
