/**
 * IRIS Edge backups in Home Assistant, on the instance device: last backup (timestamp) and its
 * result, the next scheduled run, the size of the backups kept, and a Backup now button.
 */
import type { BackupStatus } from '../model/backup.ts';
import { componentNamer, type Component, type DiscoveryContext } from './discovery.ts';
import { FeatureSignal, type InstanceFeature, type StateMessage } from './feature.ts';
import { slug } from '../model/ids.ts';
import type { Topics } from './topics.ts';

export const BACKUP_RESULTS = ['success', 'failed'] as const;

export function backupComponents(ctx: DiscoveryContext, topics: Topics): Record<string, Component> {
  const c = componentNamer(ctx, ctx.topics.instanceDeviceId, slug(ctx.instanceName));
  // The bridge, not IRIS, keeps the backups: these stay available while IRIS is down.
  const avty = [{ t: ctx.topics.bridgeAvailability }];
  const stat_t = topics.instanceBackups;
  return {
    backup_last: c('sensor', 'backup_last', 'Last backup', {
      dev_cla: 'timestamp',
      stat_t,
      val_tpl: '{{ value_json.last_at }}',
      avty,
    }, 'last_backup'),
    backup_result: c('sensor', 'backup_result', 'Last backup result', {
      dev_cla: 'enum',
      ops: [...BACKUP_RESULTS],
      icon: 'mdi:database-check',
      stat_t,
      val_tpl: '{{ value_json.last_result }}',
      avty,
    }, 'last_backup_result'),
    backup_next: c('sensor', 'backup_next', 'Next scheduled backup', {
      dev_cla: 'timestamp',
      stat_t,
      val_tpl: '{{ value_json.next_run }}',
      avty,
    }, 'next_scheduled_backup'),
    backup_size: c('sensor', 'backup_size', 'Backups size', {
      dev_cla: 'data_size',
      unit_of_meas: 'MB',
      stat_cla: 'measurement',
      sug_dsp_prc: 1,
      ent_cat: 'diagnostic',
      stat_t,
      val_tpl: '{{ value_json.total_mb }}',
      avty,
    }, 'backups_size'),
    backup_now: c('button', 'backup_now', 'Backup now', {
      icon: 'mdi:database-export',
      cmd_t: topics.backupCommand,
      pl_prs: 'PRESS',
      avty,
    }),
  };
}

/** "None" is how an MQTT sensor is told it has no value (HA shows unknown). */
export function backupState(s: BackupStatus): string {
  return JSON.stringify({
    last_at: s.last?.at ?? 'None',
    last_result: s.last ? (s.last.result === 'ok' ? 'success' : 'failed') : 'None',
    last_error: s.last?.error ?? null,
    next_run: s.nextRun ?? 'None',
    total_mb: Math.round(s.totalBytes / 1e5) / 10,
    count: s.count,
  });
}

/** IRIS Edge backups of the instance they belong to (the local one), as a device feature. */
export class BackupFeature extends FeatureSignal implements InstanceFeature<null> {
  readonly press: { topic: string; run(payload: string): void };

  constructor(
    private readonly topics: Topics,
    private status: BackupStatus,
    backupNow: () => void,
  ) {
    super();
    this.press = { topic: topics.backupCommand, run: backupNow };
  }

  update(status: BackupStatus): void {
    this.status = status;
    this.changed();
  }

  /** The components never change: the figures are all in the state. */
  discoveryInputs(): null {
    return null;
  }

  components(ctx: DiscoveryContext): Record<string, Component> {
    return backupComponents(ctx, this.topics);
  }

  states(): StateMessage[] {
    return [{ topic: this.topics.instanceBackups, payload: backupState(this.status) }];
  }
}

