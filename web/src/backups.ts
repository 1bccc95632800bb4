/**
 * The Backups page: what was backed up and when, the running job live from the feed, the list
 * with verify / download / delete / restore, upload, and the schedule. Written for someone who
 * has to restore in a hurry: every action says what it will do before it does it, and every
 * refusal is the server's own sentence. Relative URLs only (ingress).
 */
import { ApiFailure, call, upload } from './api.ts';
import { card, h, render, resultBox, say, type Child } from './dom.ts';
import { ago } from './format.ts';
import { confirmDialog, type Page } from './pages.ts';
import { store } from './store.ts';
import type { BackupStatus, JobStatus, JobStep, Progress, RestorePlan } from '../../src/model/backup.ts';
import type { BackupRecord } from '../../src/model/backup-record.ts';
import type { BackupSettings } from '../../src/model/backup-settings.ts';

interface Overview {
  backups: BackupRecord[];
  status: BackupStatus;
  job: JobStatus | null;
  settings: BackupSettings;
  uploadLimitBytes: number | null;
}
interface ScheduleAnswer {
  settings: BackupSettings;
  nextRun: string | null;
}

const enc = encodeURIComponent;

// ---- small pieces ----------------------------------------------------------------------------------

/** A card the page finds again by id (to redraw it from the live feed). */
const section = (id: string, title: string, ...children: Child[]) => Object.assign(card(title, ...children), { id });

/** Decimal units, as the server's own messages count them. */
function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const [value, unit] = n < 1e6 ? [n / 1e3, 'KB'] : n < 1e9 ? [n / 1e6, 'MB'] : [n / 1e9, 'GB'];
  return `${value.toFixed(value < 10 ? 1 : 0)} ${unit}`;
}

function seconds(s: number): string {
  if (s < 1) return 'under 1 s';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

const freeze = (ms: number) => (ms < 1000 ? `${ms} ms` : seconds(ms / 1000));

/** A moment in the reader's own time zone; the exact instant stays in the title. */
function when(iso: string): HTMLElement {
  const text = new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return h('time', { datetime: iso, title: iso }, text);
}

const KIND: Record<BackupRecord['kind'], [string, string]> = {
  manual: ['Manual', 'Made with “Back up now”'],
  scheduled: ['Scheduled', 'Made by the schedule'],
  safety: ['Safety', 'Made automatically just before a restore: the databases as they were then'],
};
const VERIFY: Record<BackupRecord['verify']['state'], [string, string]> = {
  verified: ['Verified', 'good'],
  damaged: ['Damaged', 'bad'],
  unverified: ['Not verified', 'neutral'],
};
const PHASE: Record<string, string> = {
  copying: 'Copying the databases',
  archiving: 'Writing the archive',
  verifying: 'Checking the archive',
  unpacking: 'Unpacking the backup',
};
const STEP: Record<JobStep['state'], [string, string]> = {
  running: ['…', 'running'],
  done: ['✓', 'done'],
  failed: ['✗', 'failed'],
  skipped: ['–', 'skipped'],
};

/** Answers and feed messages can cross: of two reports on one job, keep the one that says more. */
function later(a: JobStatus | null, b: JobStatus | null): JobStatus | null {
  if (!a || !b) return b ?? a;
  if (a.id !== b.id) return b.startedAt >= a.startedAt ? b : a;
  if (a.endedAt || b.endedAt) return b.endedAt ? b : a;
  return b.steps.length >= a.steps.length ? b : a;
}

// ---- the job ---------------------------------------------------------------------------------------

function jobTitle(j: JobStatus): string {
  const what = { backup: 'Backup', verify: `Verification of ${j.backupId}`, restore: `Restore of ${j.backupId}` }[j.kind];
  return j.state === 'running' ? `${what}: running` : j.state === 'ok' ? `${what}: finished` : `${what}: failed`;
}

function progressView(p: Progress): HTMLElement {
  const parts = [`${bytes(p.bytesDone)} of ${bytes(p.bytesTotal)}`];
  if (p.rate > 0) parts.push(`${bytes(p.rate)}/s`);
  if (p.etaSeconds !== null) parts.push(`about ${seconds(p.etaSeconds)} left`);
  return h(
    'div',
    { class: 'job-progress', 'data-phase': p.phase },
    h('label', { for: 'job-progress-bar' }, PHASE[p.phase] ?? p.phase),
    h('progress', { id: 'job-progress-bar', max: Math.max(p.bytesTotal, 1), value: Math.min(p.bytesDone, p.bytesTotal) }),
    h('span', { class: 'muted small' }, parts.join(' · ')),
  );
}

function jobView(j: JobStatus): HTMLElement {
  const ended = j.endedAt ? [', ended ', when(j.endedAt), ` (${seconds((Date.parse(j.endedAt) - Date.parse(j.startedAt)) / 1000)})`] : [];
  const view = section(
    'backup-job',
    jobTitle(j),
    h('p', { class: 'muted small' }, 'Started ', when(j.startedAt), ...ended),
    h(
      'ol',
      { class: 'job-steps' },
      j.steps.map((s) =>
        h(
          'li',
          { 'data-state': s.state, class: `step-${s.state}` },
          h('span', { class: 'step-icon', role: 'img', 'aria-label': STEP[s.state][1] }, STEP[s.state][0]),
          h('span', {}, s.text, s.detail ? h('span', { class: 'muted small step-detail' }, ` — ${s.detail}`) : null),
        ),
      ),
    ),
    j.state === 'running' && j.progress ? progressView(j.progress) : null,
    j.state === 'failed' ? h('p', { class: 'result bad', id: 'job-error' }, `Why it failed: ${j.error ?? 'no reason given'}`) : null,
    j.state === 'ok' && j.kind === 'restore' ? h('p', { class: 'result good' }, 'IRIS runs on the restored databases. The databases as they were before are in the newest safety backup.') : null,
  );
  view.dataset.kind = j.kind;
  view.dataset.state = j.state;
  return view;
}

// ---- status ----------------------------------------------------------------------------------------

function statusView(s: BackupStatus, running: boolean, backUp: () => void): HTMLElement {
  const item = (label: string, ...value: (Node | string | null)[]) => h('div', { class: 'stat' }, h('dt', {}, label), h('dd', {}, ...value));
  const last = s.last;
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, 'A backup copies IRIS’s databases (the IRIS.DAT files) into one archive. While the files are copied, IRIS holds its writes to disk (a “freeze”): work goes on in memory and reaches the disk afterwards, so productions keep running.'),
    h(
      'dl',
      { class: 'stats' },
      item(
        'Last backup',
        last ? when(last.at) : 'None yet',
        last ? h('span', { class: 'muted small' }, ` (${ago(last.at)}) `) : null,
        last ? h('span', { class: `badge ${last.result === 'ok' ? 'good' : 'bad'}`, id: 'last-result' }, last.result === 'ok' ? 'OK' : 'Failed') : null,
      ),
      item('Next scheduled backup', s.nextRun ? when(s.nextRun) : h('span', { class: 'muted' }, 'None: the schedule is off')),
      item('Backups kept', `${s.count} (${bytes(s.totalBytes)})`),
    ),
    last?.result === 'failed' ? h('p', { class: 'result bad', id: 'last-error' }, `The last backup failed: ${last.error ?? 'no reason given'}`) : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'btn', id: 'backup-now', 'data-key': 'backup-now', disabled: running, title: running ? 'Another backup, check or restore is running' : null, onclick: backUp }, 'Back up now'),
    ),
  );
}

// ---- the list --------------------------------------------------------------------------------------

interface RowActions {
  verify(r: BackupRecord): void;
  restore(r: BackupRecord): void;
  remove(r: BackupRecord): void;
}

function listView(list: BackupRecord[], running: boolean, act: RowActions): HTMLElement {
  if (!list.length) return h('p', { class: 'muted', id: 'no-backups' }, 'No backups yet. Use “Back up now” above, or upload one below.');
  const rows = list.map((r) => {
    const ok = r.result === 'ok';
    const [kind, kindHint] = KIND[r.kind];
    const [check, tone] = VERIFY[r.verify.state];
    const key = (what: string) => `${what}:${r.id}`;
    return h(
      'tr',
      { 'data-backup': r.id, 'data-kind': r.kind },
      h('th', { scope: 'row' }, when(r.createdAt), h('div', { class: 'muted small mono' }, r.id)),
      h('td', { 'data-label': 'Kind', title: kindHint }, kind, r.uploaded ? [' ', h('span', { class: 'badge busy', 'data-uploaded': '' }, 'uploaded')] : null),
      h('td', { 'data-label': 'Size', class: 'num' }, ok ? bytes(r.sizeBytes) : '—'),
      h('td', { 'data-label': 'Databases', class: 'dbs' }, ok ? r.databases.join(', ') : '—'),
      h('td', { 'data-label': 'IRIS frozen for', class: 'num' }, ok ? freeze(r.freezeMs) : '—'),
      h('td', { 'data-label': 'Result', 'data-result': r.result }, h('span', { class: `badge ${ok ? 'good' : 'bad'}` }, ok ? 'OK' : 'Failed'), r.error ? h('div', { class: 'small bad-text' }, r.error) : null),
      h(
        'td',
        { 'data-label': 'Check', 'data-verify': r.verify.state },
        ok ? h('span', { class: `badge ${tone}`, title: r.verify.at ? `Checked ${new Date(r.verify.at).toLocaleString()}` : null }, check) : '—',
        r.verify.error ? h('div', { class: 'small bad-text' }, r.verify.error) : null,
      ),
      h(
        'td',
        { 'data-label': 'Actions' },
        h(
          'div',
          { class: 'actions row-actions' },
          ok ? h('button', { type: 'button', class: 'btn small', 'data-action': 'verify', 'data-key': key('verify'), disabled: running, onclick: () => act.verify(r) }, 'Verify') : null,
          ok ? h('a', { class: 'btn small', 'data-action': 'download', href: `api/backups/${enc(r.id)}/download`, download: `${r.id}.tar.gz` }, 'Download') : null,
          ok ? h('button', { type: 'button', class: 'btn small danger', 'data-action': 'restore', 'data-key': key('restore'), disabled: running, onclick: () => act.restore(r) }, 'Restore') : null,
          h('button', { type: 'button', class: 'btn small danger', 'data-action': 'delete', 'data-key': key('delete'), onclick: () => act.remove(r) }, 'Delete'),
        ),
      ),
    );
  });
  return h(
    'div',
    {},
    h('div', { class: 'table-wrap' }, h('table', { class: 'hosts backups' }, h('thead', {}, h('tr', {}, ['Made', 'Kind', 'Size', 'Databases', 'IRIS frozen for', 'Result', 'Check', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))),
    h(
      'p',
      { class: 'muted small' },
      'Verify reads the archive back and compares every database file with its SHA-256 checksum: “Verified” means it can be restored, “Damaged” means it cannot. ',
      'Safety backups are made automatically just before a restore and hold the databases as they were, so a restore can be undone. ',
      'Download gives the archive itself (.tar.gz): keep a copy off this machine.',
    ),
  );
}

// ---- restore confirmation -----------------------------------------------------------------------------

/**
 * Shows what a restore replaces and asks, the way the panel asks before every disruptive action:
 * Cancel has the focus, Esc cancels, the confirming button names what it does.
 */
function confirmRestore(r: BackupRecord, plan: RestorePlan): Promise<boolean> {
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
                  h('td', { 'data-label': 'Size now', class: 'num' }, bytes(d.currentBytes)),
                  h('td', { 'data-label': 'Size in the backup', class: 'num' }, bytes(d.backupBytes)),
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
      h('li', {}, 'A safety backup of the current databases is made first. It appears in the list as “Safety”: restoring it undoes this restore.'),
      h('li', {}, 'IRIS is stopped. Productions stop; nothing is processed until IRIS runs again.'),
      h('li', {}, 'The database files are replaced by the ones in the backup.'),
      h('li', {}, 'IRIS is started again. Productions set to start automatically start again.'),
    ),
    h('p', { class: 'notice' }, 'Whatever was written to these databases after ', when(r.createdAt), ' is gone from IRIS afterwards (the safety backup still holds it). If anything fails, the previous files are put back.'),
    h('div', { class: 'actions' }, cancel, n ? ok : null),
  );
  document.body.append(dlg);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      dlg.onclose = null;
      if (dlg.open) dlg.close();
      dlg.remove();
      resolve(v);
    };
    ok.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dlg.onclose = () => done(false);
    dlg.showModal();
    // On a phone the dialog scrolls: it must open at what is replaced, not at its buttons.
    cancel.focus({ preventScroll: true });
    dlg.scrollTop = 0;
  });
}

// ---- upload ----------------------------------------------------------------------------------------

function uploadCard(limit: number | null, done: () => void): HTMLElement {
  const out = resultBox('upload-result');
  const input = h('input', { type: 'file', id: 'upload-file', accept: '.gz,.tgz,application/gzip' });
  const bar = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
  const button = h('button', { type: 'submit', class: 'btn', id: 'upload-btn' }, 'Upload and check');
  const form = h(
    'form',
    { class: 'upload-form', id: 'upload-form' },
    h('label', { for: 'upload-file' }, 'Backup archive (.tar.gz)'),
    input,
    h('div', { class: 'actions' }, button),
    bar,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = input.files?.[0];
    if (!file) return say(out, 'bad', 'Choose the archive file first.');
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    say(out, 'busy', `Uploading ${file.name}…`);
    upload<{ backup: BackupRecord }>('api/backups/upload', file, (sent, total) => {
      bar.max = Math.max(total, 1);
      bar.value = sent;
      say(out, 'busy', sent < total ? `Uploading ${file.name}: ${bytes(sent)} of ${bytes(total)}…` : `Uploaded ${bytes(total)}; the archive is being checked…`);
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
    limit !== null ? h('p', { class: 'muted small', id: 'upload-limit' }, `Largest upload accepted: ${bytes(limit)}.`) : null,
    form,
    out,
  );
}

// ---- schedule --------------------------------------------------------------------------------------

function nextRunView(nextRun: string | null, enabled: boolean): (Node | string)[] {
  if (!enabled) return ['Scheduled backups are off: only “Back up now” makes one.'];
  return nextRun ? ['Next scheduled backup: ', when(nextRun), '.'] : ['The schedule names no future time.'];
}

function settingsCard(s: BackupSettings, nextRun: string | null, saved: () => void): HTMLElement {
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

// ---- the page --------------------------------------------------------------------------------------

export function backupsPage(): Page {
  const offs: (() => void)[] = [];
  let alive = true;
  return {
    title: 'Backups',
    leave() {
      alive = false;
      for (const off of offs) off();
      (document.getElementById('restore-dialog') as HTMLDialogElement | null)?.close();
    },
    render(main) {
      let data: Overview | undefined;
      let job: JobStatus | null = null;
      const statusBox = section('backup-status', 'Status', h('p', { class: 'muted' }, 'Loading…'));
      const statusBody = h('div', {});
      const nowResult = resultBox('backup-now-result');
      const jobBox = h('div', { id: 'backup-job-box' });
      const listBody = h('div', {});
      const listResult = resultBox('list-result');
      const listCard = section('backup-list', 'Backups', h('p', { class: 'muted' }, 'To go back to an earlier state, choose Restore on a backup: you see exactly what it replaces before anything happens.'), listResult, listBody);
      const toolsBox = h('div', {});
      const running = () => job?.state === 'running';

      const startJob = (p: Promise<{ job: JobStatus }>, box: HTMLElement) =>
        p.then(
          (r) => {
            say(box, '');
            setJob(r.job);
            jobBox.scrollIntoView({ block: 'nearest' });
          },
          (err: Error) => say(box, 'bad', err.message),
        );

      const actions: RowActions = {
        verify: (r) => void startJob(call('POST', `api/backups/${enc(r.id)}/verify`), listResult),
        restore: (r) => {
          say(listResult, 'busy', `Reading ${r.id} to see what it would replace…`);
          call<{ plan: RestorePlan }>('GET', `api/backups/${enc(r.id)}/restore`).then(
            async ({ plan }) => {
              say(listResult, '');
              if (!alive || !(await confirmRestore(r, plan))) return;
              await startJob(call('POST', `api/backups/${enc(r.id)}/restore`, { confirm: r.id }), listResult);
            },
            (err: Error) => say(listResult, 'bad', err.message),
          );
        },
        remove: (r) => {
          const what = r.result === 'ok' ? `The archive (${bytes(r.sizeBytes)}) is deleted from the add-on; download it first to keep a copy.` : 'Only the record of this failed attempt is deleted.';
          void confirmDialog(`Delete backup ${r.id}?`, `${what} This cannot be undone.`, 'Delete').then((yes) => {
            if (!yes) return;
            call('DELETE', `api/backups/${enc(r.id)}`).then(
              () => {
                say(listResult, 'good', `Deleted ${r.id}.`);
                load();
              },
              (err: Error) => say(listResult, 'bad', err.message),
            );
          });
        },
      };

      const drawStatus = () => {
        if (!data) return;
        render(statusBody, statusView(data.status, running(), () => void startJob(call('POST', 'api/backups', {}), nowResult)));
      };
      const drawList = () => {
        if (data) render(listBody, listView(data.backups, running(), actions));
      };
      const drawJob = () => render(jobBox, job ? jobView(job) : null);
      function setJob(next: JobStatus | null): void {
        const was = running();
        job = later(job, next);
        drawJob();
        // Progress comes several times a second: the rest follows only when a job starts or ends.
        if (running() !== was) {
          drawStatus();
          drawList();
        }
      }

      function load(): void {
        call<Overview>('GET', 'api/backups').then(
          (r) => {
            if (!alive) return;
            const first = !data;
            data = r;
            job = later(job, r.job);
            if (first) {
              render(statusBox, h('h2', {}, 'Status'), statusBody, nowResult);
              render(toolsBox, uploadCard(r.uploadLimitBytes, load), settingsCard(r.settings, r.status.nextRun, load));
            }
            drawStatus();
            drawJob();
            drawList();
          },
          (err: Error) => {
            if (!alive) return;
            if (err instanceof ApiFailure && err.status === 503) {
              render(main, h('h1', { class: 'page-title' }, 'Backups'), section('backups-unavailable', 'Backups are not available here', h('p', { id: 'unavailable-reason' }, err.message)));
            } else render(statusBox, h('h2', {}, 'Status'), h('p', { class: 'result bad' }, err.message));
          },
        );
      }

      offs.push(
        store.onBackup((m) => {
          if (m.type === 'backup-job') setJob(m.job);
          else load();
        }),
      );
      // The feed does not repeat what it sent while the page was cut off: read it all again.
      let connected = store.connected;
      offs.push(
        store.subscribe(() => {
          if (store.connected && !connected) load();
          connected = store.connected;
        }),
      );
      render(main, h('h1', { class: 'page-title' }, 'Backups'), statusBox, jobBox, listCard, toolsBox);
      load();
    },
  };
}
