/**
 * Assist (HA's voice and chat assistant): which production entities it may control, and the
 * names people use for them. The production switch is exposed with aliases such as
 * "Orders production", so "turn off Orders production" works. The restart button is hidden:
 * a button press cannot say that the cooldown refused it, so restarts go through the sentences
 * of assist-sentences.ts instead (earlier releases exposed it with "Orders production restart",
 * which is removed). With the expose_to_assist option off the switch is hidden and its aliases
 * from IRIS Edge removed too.
 */
import type { Logger } from '../log/logger.ts';
import type { DeviceIds } from '../model/ids.ts';
import { HaUnavailableError, type HaCore } from './core.ts';

/** Words of one class-name segment: "LabResults" -> "Lab Results", "HL7Router" -> "HL7 Router". */
function segmentWords(segment: string): string {
  return segment
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z0-9]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * What people call a production: "Orders.Production" -> ["Orders production", "Orders interface"],
 * "Lab.Results.Production" -> ["Lab Results production", "Lab Results interface"]. A trailing
 * "Production" (segment or suffix) is dropped; a name that is nothing else has no aliases.
 */
export function productionAliases(className: string): string[] {
  const segments = className.split('.').filter(Boolean);
  const last = segments.at(-1);
  if (last !== undefined) {
    if (/^production$/i.test(last)) segments.pop();
    else if (/.Production$/.test(last)) segments[segments.length - 1] = last.slice(0, -'Production'.length);
  }
  const words = segments.map(segmentWords).filter(Boolean).join(' ');
  if (!words) return [];
  return [`${words} production`, `${words} interface`];
}

/** Aliases earlier releases gave the restart button; removed wherever they are still found. */
export function restartAliases(className: string): string[] {
  return productionAliases(className).map((a) => `${a} restart`);
}

export interface AssistOptions {
  /** Attempts to find an entity HA has not registered yet (right after discovery). */
  attempts?: number;
  /** Delay before the 2nd attempt; doubles after each one. */
  retryDelayMs?: number;
}

type ProductionRef = { namespace: string; name: string };
type ExposureOf = { uniqueId: string; exposed: boolean; aliases: string[]; drop: string[] };

/**
 * Exposes (or hides) each production's switch and restart button once. `sync()` is cheap to call
 * on every monitor view: only productions not handled yet cause work, one entity at a time.
 * Call `reset()` after HA reconnects so that everything is applied again.
 */
export class AssistExposure {
  private done = new Set<string>();
  private pending = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private generation = 0;
  private readonly attempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly core: HaCore,
    private readonly ids: DeviceIds,
    private readonly exposeToAssist: boolean,
    private readonly log: Logger,
    options: AssistOptions = {},
  ) {
    this.attempts = options.attempts ?? 6;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /** The entities of a production: unique id, exposed or not, aliases to have and to drop. */
  entitiesOf(p: ProductionRef): ExposureOf[] {
    const id = this.ids.productionDeviceId(p);
    const on = this.exposeToAssist;
    const names = productionAliases(p.name);
    return [
      { uniqueId: `${id}_running`, exposed: on, aliases: on ? names : [], drop: on ? [] : names },
      { uniqueId: `${id}_restart`, exposed: false, aliases: [], drop: restartAliases(p.name) },
    ];
  }

  /** Forget what was applied (HA reconnected): the next sync() applies everything again. */
  reset(): void {
    this.generation++;
    this.done.clear();
    this.pending.clear();
  }

  /** Applies exposure to every entity of `productions` not handled yet; resolves when done. */
  sync(productions: ProductionRef[]): Promise<void> {
    for (const p of productions) {
      for (const e of this.entitiesOf(p)) {
        if (this.done.has(e.uniqueId) || this.pending.has(e.uniqueId)) continue;
        this.pending.add(e.uniqueId);
        const gen = this.generation;
        this.queue = this.queue.then(() => this.apply(e, gen));
      }
    }
    return this.queue;
  }

  private async apply(e: ExposureOf, gen: number): Promise<void> {
    if (gen !== this.generation) return;
    const { uniqueId, exposed, aliases } = e;
    let delay = this.retryDelayMs;
    try {
      for (let attempt = 1; ; attempt++) {
        const entityId = await this.core.entityIdForUniqueId('mqtt', uniqueId);
        if (entityId) {
          await this.core.setExposure(entityId, exposed, aliases, e.drop);
          if (gen !== this.generation) return;
          this.done.add(uniqueId);
          this.log.debug(`${exposed ? 'Exposed' : 'Hid'} ${entityId} ${exposed ? 'to' : 'from'} Assist${aliases.length ? ` as ${aliases.join(', ')}` : ''}`);
          return;
        }
        if (attempt >= this.attempts) {
          // Not registered (yet): left for the next reset().
          this.done.add(uniqueId);
          this.log.warn(`Home Assistant has no entity with unique id ${uniqueId}; its Assist exposure was not set`);
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
        if (gen !== this.generation) return;
      }
    } catch (err) {
      // Unavailable: reset() after the reconnect brings it back. Refused: logged, not retried.
      if (err instanceof HaUnavailableError) this.log.debug(`Assist exposure of ${uniqueId} postponed: ${err.message}`);
      else {
        this.done.add(uniqueId);
        this.log.warn(`Setting the Assist exposure of ${uniqueId} failed: ${(err as Error).message}`);
      }
    } finally {
      if (gen === this.generation) this.pending.delete(uniqueId);
    }
  }
}
