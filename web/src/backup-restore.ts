/** The restore confirmation: what a restore replaces, confirmed by typing the backup's id. */
import { h } from './dom.ts';
import { ask } from './dialog.ts';
import { when } from './backup-views.ts';
import { formatBytes } from '../../src/model/bytes.ts';
import type { RestorePlan } from '../../src/model/backup.ts';
import type { BackupRecord } from '../../src/model/backup-record.ts';

// ---- restore confirmation -----------------------------------------------------------------------------

/**
 * Shows what a restore replaces and asks, the way the panel asks before every disruptive action:
 * Cancel has the focus, Esc cancels, the confirming button names what it does.
 */
export function confirmRestore(r: BackupRecord, plan: RestorePlan): Promise<boolean> {
  const n = plan.replace.length;
  const ok = h('button', { type: 'button', class: 'btn danger', id: 'restore-confirm' }, `Restore ${n} ${n === 1 ? 'database' : 'databases'}`);
  const cancel = h('button', { type: 'button', class: 'btn', id: 'restore-cancel' }, 'Cancel');
  const dlg = h(
    'dialog',
    { id: 'restore-dialog', class: 'wide', 'aria-labelledby': 'restore-title' },
    h('h2', { id: 'restore-title' }, 'Restore the backup made ', when(plan.createdAt), '?'),
    h('p', { class: 'muted small' }, `Backup ${plan.id}`, plan.irisVersion ? `, from ${plan.irisVersion}` : '', '.'),
    h('h3', {}, n ? 'These databases are replaced by their copy in the backup' : 'No database of this backup can be restored here'),
    n
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'hosts restore-plan' },
            h('thead', {}, h('tr', {}, ['Database', 'Directory', 'Size now', 'Size in the backup'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              plan.replace.map((d) =>
                h(
                  'tr',
                  { 'data-replace': d.name },
                  h('th', { scope: 'row' }, d.name),
                  h('td', { 'data-label': 'Directory', class: 'mono small' }, d.directory),
                  h('td', { 'data-label': 'Size now', class: 'num' }, formatBytes(d.currentBytes)),
                  h('td', { 'data-label': 'Size in the backup', class: 'num' }, formatBytes(d.backupBytes)),
                ),
              ),
            ),
          ),
        )
      : null,
    plan.skip.length ? [h('h3', {}, 'Left out'), h('ul', { class: 'restore-skip' }, plan.skip.map((s) => h('li', { 'data-skip': s.name }, h('strong', {}, s.name), `: ${s.reason}`)))] : null,
    h('h3', {}, 'What happens'),
    h(
      'ol',
      { class: 'steps' },
      h('li', {}, 'IRIS is stopped. Productions stop; nothing is processed until IRIS runs again.'),
      h('li', {}, 'The database files are replaced by the ones in the backup; the current ones are set aside.'),
      h('li', {}, 'IRIS is started again. Productions set to start automatically start again.'),
      h('li', {}, 'Meanwhile a safety backup is made of the databases that were set aside. It appears in the list as “Safety”: restoring it undoes this restore. If it cannot be made, the restore is undone.'),
    ),
    h('p', { class: 'notice' }, 'Whatever was written to these databases after ', when(r.createdAt), ' is gone from IRIS afterwards (the safety backup still holds it). If anything fails, the previous files are put back.'),
    h('div', { class: 'actions' }, cancel, n ? ok : null),
  );
  // On a phone the dialog scrolls: it must open at what is replaced, not at its buttons.
  return ask(dlg, ok, cancel, cancel);
}
