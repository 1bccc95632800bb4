/**
 * Keeps the one Assist automation (assist-sentences.ts) in Home Assistant as the productions are:
 * written when a production appears, is renamed or goes, or its switch's aliases change in Home
 * Assistant (the names people gave it), read back after every reconnect (so a Home Assistant
 * restart or a hand edit is noticed), and removed when expose_to_assist is off or no production
 * is left. An instance that has not been inventoried since the start keeps the
 * sentences the automation already has for it: a start with IRIS down must not delete them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../log/logger.ts';
import { z } from 'zod';
import { DeviceIds } from '../model/ids.ts';
import type { MonitorView } from '../model/view.ts';
import { ASSIST_AUTOMATION_ID, ASSIST_QUESTIONS, assistAutomation, isSpeakable, parseTriggerId, sentenceTriggers, type Trigger, type VoiceTarget } from './assist-sentences.ts';
import type { AutomationConfigApi } from './automation-config.ts';
import { HaUnavailableError, type HaCore, type HaEvent } from './core.ts';

/** entity_registry_updated, as far as it matters here: which entity, and what changed. */
const registryUpdate = z.object({
  action: z.string(),
  entity_id: z.string(),
  old_entity_id: z.string().optional(),
  changes: z.record(z.string(), z.unknown()).optional(),
});

/** What the automation needs of one instance's monitor. */
export interface ViewFeed {
  readonly view: MonitorView;
  on(event: 'view', listener: (view: MonitorView) => void): unknown;
  off(event: 'view', listener: (view: MonitorView) => void): unknown;
}

export interface AssistAutomationOptions {
  /** Changes within this time are written once. */
  debounceMs?: number;
  /** Delays between the looks for the automation's entity after a write (HA reloads it then). */
  loadCheckDelaysMs?: number[];
}

type Config = Record<string, unknown>;

export class AssistAutomation {
  /** What Home Assistant holds: undefined until read after the (re)connect, null when none. */
  private current: Config | null | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  /** What was last logged, so a lasting condition is one line, not one per view. */
  private lastWarning = '';
  private lastAmbiguous = '';
  private readonly shapes = new Map<string, string>();
  /** The production switches' entity ids at the last sync: their alias changes matter. */
  private switches = new Set<string>();
  private readonly unspeakable = new Set<string>();
  private subscribed = false;
  private readonly listeners = new Map<string, (view: MonitorView) => void>();
  private readonly onReady = () => {
    this.current = undefined;
    this.schedule();
  };
  private readonly debounceMs: number;
  private readonly loadCheckDelaysMs: number[];

  constructor(
    private readonly core: HaCore,
    private readonly api: Pick<AutomationConfigApi, 'get' | 'put' | 'remove'>,
    /** Every instance's monitor, by instance id. */
    private readonly sources: ReadonlyMap<string, ViewFeed>,
    private readonly exposeToAssist: boolean,
    private readonly log: Logger,
    options: AssistAutomationOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 500;
    this.loadCheckDelaysMs = options.loadCheckDelaysMs ?? [1000, 2000, 4000, 8000];
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const [id, feed] of this.sources) {
      const listener = (view: MonitorView) => this.onView(id, view);
      this.listeners.set(id, listener);
      feed.on('view', listener);
    }
    this.core.on('ready', this.onReady);
    if (!this.subscribed) {
      this.subscribed = true;
      this.core.onEvent('entity_registry_updated', (e) => this.onRegistry(e));
    }
    if (this.core.connected) this.schedule();
  }

  /**
   * A switch of ours got other aliases or another entity id in Home Assistant, or a switch was
   * registered (one of ours discovered after the last sync: its aliases are followed from then).
   */
  private onRegistry(e: HaEvent): void {
    const u = registryUpdate.safeParse(e.data);
    if (!u.success) return;
    if (u.data.action === 'create' && u.data.entity_id.startsWith('switch.') && !this.switches.has(u.data.entity_id)) return this.schedule();
    if (u.data.action !== 'update') return;
    const id = u.data.old_entity_id ?? u.data.entity_id;
    if (!this.switches.has(id)) return;
    if (u.data.old_entity_id) this.core.forgetEntityIds();
    if (u.data.old_entity_id || 'aliases' in (u.data.changes ?? {})) this.schedule();
  }

  /** Each production's switch aliases in Home Assistant (none for a switch HA has not registered). */
  private async withAliases(instance: string, view: MonitorView): Promise<VoiceTarget[]> {
    const ids = new DeviceIds(instance);
    const entityIds = new Map<string, string>();
    for (const p of view.productions) {
      const entityId = await this.core.entityIdForUniqueId('mqtt', `${ids.productionDeviceId(p)}_running`);
      if (entityId) entityIds.set(p.key, entityId);
    }
    for (const id of entityIds.values()) this.switches.add(id);
    const aliases = await this.core.aliasesOf([...entityIds.values()]);
    return view.productions.map((p) => {
      const own = aliases.get(entityIds.get(p.key) ?? '') ?? [];
      for (const a of own) {
        if (typeof a !== 'string' || isSpeakable(a) || this.unspeakable.has(a)) continue;
        this.unspeakable.add(a);
        this.log.warn(`Assist: the alias "${a}" of ${entityIds.get(p.key)} has punctuation or symbols, which a sentence cannot hold; it works for "turn on" and "turn off" only`);
      }
      return { instance, namespace: p.namespace, name: p.name, aliases: own };
    });
  }

  stop(): void {
    this.started = false;
    for (const [id, feed] of this.sources) {
      const listener = this.listeners.get(id);
      if (listener) feed.off('view', listener);
    }
    this.listeners.clear();
    this.core.off('ready', this.onReady);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Syncs now what is scheduled, and resolves when Home Assistant has it (tests, shutdown). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.run();
    }
    while (this.running) await this.running;
  }

  /** Only the set of productions (and whether it is known yet) changes the sentences. */
  private onView(id: string, view: MonitorView): void {
    const shape = `${view.inventoried}|${view.productions.map((p) => p.key).join('\n')}`;
    if (this.shapes.get(id) === shape) return;
    this.shapes.set(id, shape);
    this.schedule();
  }

  private schedule(): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.debounceMs);
  }

  private run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again && this.started);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The automation as it should be now, or null for none. */
  async desired(current: Config | null): Promise<Config | null> {
    if (!this.exposeToAssist) return null;
    const kept: Trigger[] = [];
    const targets: VoiceTarget[] = [];
    this.switches = new Set();
    for (const [instance, feed] of this.sources) {
      const view = feed.view;
      if (view.inventoried) {
        targets.push(...(await this.withAliases(instance, view)));
      } else {
        const held = Array.isArray(current?.triggers) ? (current.triggers as Trigger[]) : [];
        kept.push(...held.filter((t) => typeof t?.id === 'string' && parseTriggerId(t.id)?.target.instance === instance));
      }
    }
    const { triggers, ambiguous } = sentenceTriggers(targets);
    const said = ambiguous.join(', ');
    if (said && said !== this.lastAmbiguous) {
      this.log.warn(`Assist: more than one production is called ${ambiguous.map((a) => `"${a}"`).join(', ')}; those names are left out of the voice sentences`);
    }
    this.lastAmbiguous = said;
    const all = [...triggers, ...kept];
    return all.length === 0 ? null : assistAutomation(all);
  }

  /**
   * Home Assistant accepts the automation whether or not it loads automations.yaml (a
   * configuration.yaml without `automation: !include automations.yaml`), and loads it after
   * answering: its entity shows whether it did.
   */
  private async checkLoaded(): Promise<void> {
    for (const delay of [0, ...this.loadCheckDelaysMs]) {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (await this.core.entityIdForUniqueId('automation', ASSIST_AUTOMATION_ID)) return;
    }
    this.log.warn(
      'Home Assistant did not load the "IRIS Edge voice" automation, so Assist cannot restart productions or answer questions about them: add "automation: !include automations.yaml" to its configuration.yaml and restart it',
    );
  }

  private async syncOnce(): Promise<void> {
    if (!this.core.connected) return;
    try {
      if (this.current === undefined) this.current = await this.api.get(ASSIST_AUTOMATION_ID);
      const want = await this.desired(this.current);
      if (want === null) {
        if (this.current !== null) {
          await this.api.remove(ASSIST_AUTOMATION_ID);
          this.log.info('Removed the "IRIS Edge voice" automation from Home Assistant');
        }
        this.current = null;
      } else if (!isDeepStrictEqual(this.current, want)) {
        await this.api.put(ASSIST_AUTOMATION_ID, want);
        this.log.info(`Assist: the "IRIS Edge voice" automation now has the sentences of ${(want.triggers as Trigger[]).length / ASSIST_QUESTIONS.length} production(s)`);
        this.current = want;
        await this.checkLoaded();
      }
      this.lastWarning = '';
    } catch (err) {
      // Read again on the next attempt: the write may have happened or not.
      this.current = undefined;
      const message = (err as Error).message;
      if (err instanceof HaUnavailableError) this.log.debug(`The Assist automation waits for Home Assistant: ${message}`);
      else if (message !== this.lastWarning) this.log.warn(`Home Assistant refused the Assist automation (voice questions and restarts do not work): ${message}`);
      if (!(err instanceof HaUnavailableError)) this.lastWarning = message;
    }
  }
}
