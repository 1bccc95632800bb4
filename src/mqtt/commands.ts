import type { IPublishPacket } from 'mqtt';
import { IrisUnavailableError, UnknownProductionError } from '../model/errors.ts';
import type { Logger } from '../log/logger.ts';
import { shownTopic, Throttle } from '../log/throttle.ts';
import type { ProductionAction } from '../model/production.ts';
import { isRefusal, RefusalLog } from '../monitor/refusals.ts';
import type { CommandResult, Monitor } from '../monitor/monitor.ts';
import type { ProductionView } from '../model/view.ts';
import { productionDisplayName } from '../model/production.ts';
import { NO_PRODUCTION } from './discovery.ts';
import { slug } from '../model/ids.ts';
import { hostRefs } from './hosts.ts';
import type { CommandTopic, Topics } from './topics.ts';

/** Our commands are single words or production names; anything longer is not one of them. */
const MAX_COMMAND_BYTES = 256;

const PAYLOADS: Record<'set' | 'restart' | 'update' | 'recover', Record<string, ProductionAction>> = {
  set: { START: 'start', STOP: 'stop' },
  restart: { PRESS: 'restart' },
  // The Apply configuration button (Ens.Director.UpdateProduction).
  update: { PRESS: 'update' },
  recover: { PRESS: 'recover' },
};
const HOST_PAYLOADS: Record<string, boolean> = { ON: true, OFF: false };
/** A namespace (GSA_config_namespace's rules) and an IPM package name. */
const APP_INSTALL = /^[A-Za-z%][A-Za-z0-9_-]{0,63}\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Turns MQTT command messages into monitor commands. Every message that is not a valid command is
 * ignored with exactly one warning; nothing reaches IRIS and nothing throws.
 */
export class CommandHandler {
  /** A flood of commands is reported, not amplified: one line per kind and topic per window. */
  private readonly throttle: Throttle;
  private readonly refusals: RefusalLog;

  constructor(
    private readonly topics: Topics,
    private readonly monitor: Monitor,
    private readonly log: Logger,
    /** What a press on a feature's button topic does (Backup now, on the local instance only). */
    private readonly press: (topic: string) => ((payload: string) => void) | undefined = () => undefined,
  ) {
    this.throttle = new Throttle((label, n) => this.log.warn(`${n} more MQTT command(s) like this in the last 10 s were not logged one by one: ${label}`));
    this.refusals = new RefusalLog(log);
  }

  /** Logs `message` unless one of its kind (`key`) went out in this window; repeats are summed up later. */
  private report(level: 'info' | 'warn', key: string, message: string): void {
    if (this.throttle.allow(key, message)) this.log[level](message);
  }

  /** One warning per kind of bad input on a topic per window. */
  private warn(kind: string, topic: string, message: string): void {
    this.report('warn', `${kind}|${topic}`, message);
  }

  /** Returns false when the topic is not a command topic of ours. */
  handle(topic: string, payload: Buffer, packet: Pick<IPublishPacket, 'retain'>): boolean {
    const cmd = this.topics.parseCommand(topic);
    if (!cmd) return false;
    if (packet.retain) {
      // A retained command would fire again on every reconnect: commands are never retained.
      this.warn('retained', topic, `Ignored a retained command on ${shownTopic(topic)}; clear it with an empty retained message.`);
      return true;
    }
    if (payload.length > MAX_COMMAND_BYTES) {
      this.warn('size', topic, `Ignored a ${payload.length}-byte message on ${shownTopic(topic)}: commands are at most ${MAX_COMMAND_BYTES} bytes.`);
      return true;
    }
    const text = payload.toString('utf8').trim();
    if (cmd.kind === 'backup') this.backup(topic, text);
    else if (cmd.kind === 'apps') this.appInstall(topic, text);
    else if (cmd.kind === 'select') this.select(topic, cmd.nsSlug, text);
    else if (cmd.kind === 'host-set') this.hostSet(topic, cmd, text);
    else this.productionCommand(topic, cmd, text);
    return true;
  }

  private ignoreBadPayload(topic: string, text: string, allowed: string[]): void {
    this.warn('payload', topic, `Ignored ${JSON.stringify(text.slice(0, 40))} on ${shownTopic(topic)}: allowed are ${allowed.join(', ')}.`);
  }

  private find(topic: string, text: string, cmd: { nsSlug: string; prodSlug: string }): ProductionView | undefined {
    const p = this.monitor.view.productions.find((x) => slug(x.namespace) === cmd.nsSlug && slug(x.name) === cmd.prodSlug);
    if (!p) this.warn('production', topic, `Ignored ${text} on ${shownTopic(topic)}: there is no such production in IRIS.`);
    return p;
  }

  private productionCommand(topic: string, cmd: Extract<CommandTopic, { prodSlug: string }> & { kind: keyof typeof PAYLOADS }, text: string): void {
    const allowed = PAYLOADS[cmd.kind];
    const action = Object.hasOwn(allowed, text) ? allowed[text] : undefined;
    if (!action) return this.ignoreBadPayload(topic, text, Object.keys(allowed));
    const p = this.find(topic, text, cmd);
    if (p) void this.run(`${action} ${label(p)}`, { action, production: p.key }, () => this.monitor.execute(p.namespace, p.name, action), p);
  }

  private backup(topic: string, text: string): void {
    if (text !== 'PRESS') return this.ignoreBadPayload(topic, text, ['PRESS']);
    const backupNow = this.press(topic);
    if (!backupNow) {
      this.warn('backup', topic, `Ignored PRESS on ${shownTopic(topic)}: IRIS Edge backs up only the IRIS instance of the add-on.`);
      return;
    }
    this.log.info('Backup now: requested over MQTT');
    backupNow('PRESS');
  }

  /** An app's update entity: its payload_install is "<NAMESPACE>/<package>". */
  private appInstall(topic: string, text: string): void {
    if (!APP_INSTALL.test(text)) return this.ignoreBadPayload(topic, text, ['<NAMESPACE>/<package> of an installed app']);
    const install = this.press(topic);
    if (!install) {
      this.warn('apps', topic, `Ignored ${JSON.stringify(text)} on ${shownTopic(topic)}: IRIS Edge installs apps only in the IRIS instance of the add-on.`);
      return;
    }
    this.log.info(`Update of the app ${text}: requested over MQTT`);
    install(text);
  }

  private hostSet(topic: string, cmd: Extract<CommandTopic, { kind: 'host-set' }>, text: string): void {
    if (!Object.hasOwn(HOST_PAYLOADS, text)) return this.ignoreBadPayload(topic, text, Object.keys(HOST_PAYLOADS));
    const enable = HOST_PAYLOADS[text] as boolean;
    const p = this.find(topic, text, cmd);
    if (!p) return;
    const host = hostRefs(p.hosts).find((h) => h.key === cmd.hostSlug);
    if (!host) {
      this.warn('host', topic, `Ignored ${text} on ${shownTopic(topic)}: ${label(p)} has no such business host.`);
      return;
    }
    const verb = enable ? 'enable' : 'disable';
    void this.run(`${verb} ${host.name} in ${label(p)}`, { action: `${verb} ${host.name} in`, production: p.key }, () =>
      this.monitor.setHostEnabled(p.namespace, p.name, host.name, enable),
    );
  }

  /** The namespace select: the production to run there, or "No production" (Monitor.switchNamespace). */
  private select(topic: string, nsSlug: string, text: string): void {
    const inNs = this.monitor.view.productions.filter((p) => slug(p.namespace) === nsSlug);
    if (inNs.length === 0) {
      this.warn('namespace', topic, `Ignored ${JSON.stringify(text.slice(0, 40))} on ${shownTopic(topic)}: there is no such namespace with productions.`);
      return;
    }
    const target = inNs.find((p) => productionDisplayName(p.name) === text);
    if (!target && text !== NO_PRODUCTION) return this.ignoreBadPayload(topic, text, [...inNs.map((p) => productionDisplayName(p.name)), NO_PRODUCTION]);
    const namespace = inNs[0]!.namespace;
    const refusal = { action: 'run', production: target?.key ?? `no production in ${namespace}` };
    void this.run(`run ${target ? label(target) : `no production in ${namespace}`}`, refusal, () => this.monitor.switchNamespace(namespace, target?.name ?? null), target);
  }

  /** Runs a command and logs its outcome once. Resolves to whether it succeeded. */
  private async run(what: string, refusal: { action: string; production: string }, call: () => Promise<CommandResult>, p?: ProductionView): Promise<boolean> {
    this.report('info', `requested|${what}`, `${what}: requested over MQTT`);
    try {
      const result = await call();
      if (result.outcome === 'nothing-to-do') this.report('info', `nothing|${what}`, `${what}: nothing to do, ${result.reason}.`);
      else this.log.info(`${what}: done${p ? `; IRIS reports ${this.stateOf(p)}` : ''}`);
      return true;
    } catch (err) {
      // Refusals (the bridge's guards, IRIS) have one line in one shape from every path.
      if (isRefusal(err)) this.refusals.report({ path: 'mqtt', ...refusal }, err);
      else if (err instanceof IrisUnavailableError) this.log.error(`${what}: failed. ${err.message}`);
      else if (err instanceof UnknownProductionError) this.log.warn(`${what}: failed. ${err.message}`);
      else this.log.error({ err }, `${what}: unexpected failure`);
      return false;
    }
  }

  private stateOf(p: ProductionView): string {
    return this.monitor.view.productions.find((x) => x.key === p.key)?.state ?? 'unknown';
  }
}

function label(p: Pick<ProductionView, 'name' | 'namespace'>): string {
  return `${productionDisplayName(p.name)} (${p.namespace})`;
}
