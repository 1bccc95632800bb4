/**
 * Sensors attached to a production that IRIS does not have (not created yet, deleted, or a typo in
 * the name): they have no device to be on, so Home Assistant does not show them. Said once when it
 * starts and once when it ends, not on every poll.
 */
import { productionPlace, type UserSensor } from '../model/sensor-definition.ts';
import type { ProductionSnapshot } from '../model/production.ts';

export class AbsentProductions {
  private readonly absent = new Set<string>();

  /** The sensors that lost their production since the last call, and those that found it again. */
  update(sensors: readonly UserSensor[], productions: readonly Pick<ProductionSnapshot, 'namespace' | 'name'>[]): { lost: UserSensor[]; found: UserSensor[] } {
    const present = new Set(productions.map(productionPlace));
    const lost: UserSensor[] = [];
    const found: UserSensor[] = [];
    const attached = sensors.filter((s) => s.production);
    for (const s of attached) {
      const missing = !present.has(productionPlace(s.production!));
      if (missing === this.absent.has(s.key)) continue;
      if (missing) {
        this.absent.add(s.key);
        lost.push(s);
      } else {
        this.absent.delete(s.key);
        found.push(s);
      }
    }
    // A sensor deleted or moved back to the IRIS device is no longer waiting for anything.
    for (const key of this.absent) if (!attached.some((s) => s.key === key)) this.absent.delete(key);
    return { lost, found };
  }
}
