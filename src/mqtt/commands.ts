import type { IPublishPacket } from 'mqtt';
import { IrisCommandRefusedError, IrisUnavailableError, UnknownProductionError } from '../iris/errors.ts';
import type { Logger } from '../log/logger.ts';
import type { ProductionAction } from '../model/production.ts';
import { CommandInProgressError } from '../monitor/errors.ts';
import type { Monitor } from '../monitor/monitor.ts';
import { productionDisplayName } from './discovery.ts';
import { slug, type Topics } from './topics.ts';

/** Our commands are single words; anything longer is not one of them. */
const MAX_COMMAND_BYTES = 64;

const PAYLOADS: Record<'set' | 'restart', Record<string, ProductionAction>> = {
  set: { START: 'start', STOP: 'stop' },
  restart: { PRESS: 'restart' },
};

/**
 * Turns MQTT command messages into monitor commands. Every message that is not a valid command is
 * ignored with exactly one warning; nothing reaches IRIS and nothing throws.
 */
export class CommandHandler {
  constructor(
    private readonly topics: Topics,
    private readonly monitor: Monitor,
    private readonly log: Logger,
  ) {}

  /** Returns false when the topic is not a command topic of ours. */
  handle(topic: string, payload: Buffer, packet: Pick<IPublishPacket, 'retain'>): boolean {
    const cmd = this.topics.parseCommand(topic);
    if (!cmd) return false;
    if (packet.retain) {
      // A retained command would fire again on every reconnect: commands are never retained.
      this.log.warn(`Ignored a retained command on ${topic}; clear it with an empty retained message.`);
      return true;
    }
    if (payload.length > MAX_COMMAND_BYTES) {
      this.log.warn(`Ignored a ${payload.length}-byte message on ${topic}: commands are at most ${MAX_COMMAND_BYTES} bytes.`);
      return true;
    }
    const text = payload.toString('utf8').trim();
    const allowed = PAYLOADS[cmd.kind];
    const action = Object.hasOwn(allowed, text) ? allowed[text] : undefined;
    if (!action) {
      this.log.warn(
        `Ignored ${JSON.stringify(text.slice(0, 40))} on ${topic}: allowed are ${Object.keys(allowed).join(', ')}.`,
      );
      return true;
    }
    const production = this.monitor.view.productions.find(
      (p) => slug(p.namespace) === cmd.nsSlug && slug(p.name) === cmd.prodSlug,
    );
    if (!production) {
      this.log.warn(`Ignored ${text} on ${topic}: there is no such production in IRIS.`);
      return true;
    }
    void this.run(production.namespace, production.name, action);
    return true;
  }

  private async run(namespace: string, name: string, action: ProductionAction): Promise<void> {
    const label = `${productionDisplayName(name)} (${namespace})`;
    this.log.info(`${action} ${label} requested over MQTT`);
    try {
      const result = await this.monitor.execute(namespace, name, action);
      if (result.outcome === 'nothing-to-do') this.log.info(`Nothing to ${action} for ${label}: ${result.reason}.`);
      else this.log.info(`${action} ${label}: IRIS reports ${this.stateOf(namespace, name)}`);
    } catch (err) {
      if (err instanceof CommandInProgressError) this.log.warn(`Refused ${action} for ${label}: ${err.message}`);
      else if (err instanceof IrisCommandRefusedError) this.log.warn(`IRIS refused to ${action} ${label}: ${err.message}`);
      else if (err instanceof IrisUnavailableError) this.log.error(`Could not ${action} ${label}: ${err.message}`);
      else if (err instanceof UnknownProductionError) this.log.warn(`Could not ${action} ${label}: ${err.message}`);
      else this.log.error({ err }, `Unexpected failure while trying to ${action} ${label}`);
    }
  }

  private stateOf(namespace: string, name: string): string {
    return this.monitor.view.productions.find((p) => p.namespace === namespace && p.name === name)?.state ?? 'unknown';
  }
}
