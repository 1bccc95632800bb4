/** A command the bridge itself refused, before anything reached IRIS. */
export class CommandGuardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A command for a production that already has one in flight: refused, never queued. */
export class CommandInProgressError extends CommandGuardError {
  constructor(
    readonly production: string,
    readonly running: string,
  ) {
    super(`A ${running} command for ${production} is still running; this one was refused, not queued.`);
  }
}

/** A stop or restart too soon after the previous one (the command_cooldown option). */
export class CommandCooldownError extends CommandGuardError {
  constructor(
    readonly production: string,
    readonly retryInSeconds: number,
  ) {
    super(
      `${production} was stopped or restarted moments ago; the cooldown refuses another stop or restart for ${retryInSeconds} s (option command_cooldown).`,
    );
  }
}
