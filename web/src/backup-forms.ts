/** The Backups page's forms: upload an archive, and the schedule with retention. */
import { call, upload } from './api.ts';
import { h, render, resultBox, say } from './dom.ts';
import { section, when } from './backup-views.ts';
import { formatBytes } from '../../src/model/bytes.ts';
import type { BackupRecord } from '../../src/model/backup-record.ts';
import type { BackupSettings } from '../../src/model/backup-settings.ts';

interface ScheduleAnswer {
  settings: BackupSettings;
  nextRun: string | null;
}

// ---- upload ----------------------------------------------------------------------------------------

/** `limit` is the server's (GET api/backups): the page states it and refuses a larger file before sending a byte. */
export function uploadCard(limit: number, done: () => void): HTMLElement {
  const out = resultBox('upload-result');
  const input = h('input', { type: 'file', id: 'upload-file', accept: '.zst,.gz,.tgz,application/zstd,application/gzip' });
  const bar = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
  const button = h('button', { type: 'submit', class: 'btn', id: 'upload-btn' }, 'Upload and check');
  const form = h(
    'form',
    { class: 'upload-form', id: 'upload-form' },
    h('label', { for: 'upload-file' }, 'Backup archive (.tar.zst or .tar.gz)'),
    input,
    h('div', { class: 'actions' }, button),
    bar,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    if (!file) return say(out, 'bad', 'Choose the archive file first.');
    // The server would refuse it too, but only after the upload had run for as long as the limit takes to send.
    if (file.size > limit) return say(out, 'bad', `Not sent: ${file.name} is ${formatBytes(file.size)}, larger than ${formatBytes(limit)}, the largest upload accepted.`);
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    say(out, 'busy', `Uploading ${file.name}…`);
    upload<{ backup: BackupRecord }>('api/backups/upload', file, (sent, total) => {
      bar.max = Math.max(total, 1);
      bar.value = sent;
      say(out, 'busy', sent < total ? `Uploading ${file.name}: ${formatBytes(sent)} of ${formatBytes(total)}…` : `Uploaded ${formatBytes(total)}; the archive is being checked…`);
    }).then(
      (r) => {
        say(out, 'good', `Accepted: ${r.backup.id} is complete and every checksum matches (${r.backup.databases.join(', ')}). It is in the list and can be restored.`);
        input.value = '';
        done();
      },
      (err: Error) => say(out, 'bad', `Not accepted: ${err.message}`),
    ).finally(() => {
      button.disabled = false;
      bar.hidden = true;
    });
  });
  return section(
    'backup-upload',
    'Upload a backup',
    h('p', { class: 'muted' }, 'An IRIS Edge archive downloaded earlier, from this add-on or another one. It is checked completely (every checksum) before it is kept; then it can be restored like the others.'),
    h('p', { class: 'muted small', id: 'upload-limit' }, `Largest upload accepted: ${formatBytes(limit)}.`),
    form,
    out,
  );
}

// ---- schedule --------------------------------------------------------------------------------------

function nextRunView(nextRun: string | null, enabled: boolean): (Node | string)[] {
  if (!enabled) return ['Scheduled backups are off: only “Back up now” makes one.'];
  return nextRun ? ['Next scheduled backup: ', when(nextRun), '.'] : ['The schedule names no future time.'];
}

export function settingsCard(s: BackupSettings, nextRun: string | null, saved: () => void): HTMLElement {
  const out = resultBox('schedule-result');
  const next = h('p', { id: 'schedule-next' }, ...nextRunView(nextRun, s.enabled));
  const enabled = h('input', { type: 'checkbox', id: 'sched-enabled', checked: s.enabled });
  const cron = h('input', { type: 'text', id: 'sched-cron', value: s.cron, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'sched-cron-help' });
  const retention = h('input', { type: 'number', id: 'sched-retention', min: 1, max: 100, step: 1, value: s.retention, 'aria-describedby': 'sched-retention-help' });
  const ha = h('input', { type: 'checkbox', id: 'sched-ha', checked: s.homeAssistantBackup, 'aria-describedby': 'sched-ha-help' });
  const code = (t: string) => h('code', {}, t);
  const form = h(
    'form',
    { class: 'form', id: 'schedule-form' },
    h('div', { class: 'field' }, h('label', { class: 'check' }, enabled, ' Back up on a schedule')),
    h(
      'div',
      { class: 'field wide-field' },
      h('label', { for: 'sched-cron' }, 'When (a cron expression)'),
      cron,
      h(
        'div',
        { class: 'muted small', id: 'sched-cron-help' },
        'Five fields separated by spaces: minute (0–59), hour (0–23), day of the month (1–31), month (1–12), day of the week (0–6, 0 is Sunday). ',
        code('*'),
        ' means every. Examples: ',
        code('30 3 * * *'),
        ' every night at 03:30; ',
        code('0 2 * * 0'),
        ' Sundays at 02:00; ',
        code('0 */6 * * *'),
        ' every 6 hours. Times are in Home Assistant’s time zone.',
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'sched-retention' }, 'Backups to keep'),
      retention,
      h('span', { class: 'muted small', id: 'sched-retention-help' }, 'After each backup, the oldest beyond this number are deleted (safety backups count too; the newest 5 failed attempts are kept apart).'),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'check' }, ha, ' Also make a Home Assistant backup of the add-on'),
      h('span', { class: 'muted small', id: 'sched-ha-help' }, 'After each IRIS Edge backup, Home Assistant makes its own backup of this add-on too (Settings → System → Backups). It takes more disk space.'),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn', id: 'sched-save' }, 'Save')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    say(out, 'busy', 'Saving…');
    const body: BackupSettings = { enabled: enabled.checked, cron: cron.value.trim(), retention: Number(retention.value), homeAssistantBackup: ha.checked };
    call<ScheduleAnswer>('PUT', 'api/backups/schedule', body).then(
      (r) => {
        say(out, 'good', 'Saved.');
        render(next, ...nextRunView(r.nextRun, r.settings.enabled));
        saved();
      },
      (err: Error) => say(out, 'bad', err.message),
    );
  });
  return section('backup-settings', 'Schedule and retention', form, next, out);
}
