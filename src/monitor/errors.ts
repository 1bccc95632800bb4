/** A command for a production that already has one in flight: refused, never queued. */
export class CommandInProgressError extends Error {
  constructor(
    readonly production: string,
    readonly running: string,
  ) {
    super(`A ${running} command for ${production} is still running; this one was refused, not queued.`);
    this.name = 'CommandInProgressError';
  }
}
