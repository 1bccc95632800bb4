/** The Backups page's views: sizes and times in words, the running job, the status card, the list. */
import { card, h, type Child } from './dom.ts';
import { ago } from './format.ts';
import { formatBytes } from '../../src/model/bytes.ts';
import type { BackupStatus, JobStatus, JobStep, Progress } from '../../src/model/backup.ts';
import type { BackupRecord } from '../../src/model/backup-record.ts';

const enc = encodeURIComponent;

// ---- small pieces ----------------------------------------------------------------------------------

/** A card the page finds again by id (to redraw it from the live feed). */
export const section = (id: string, title: string, ...children: Child[]) => Object.assign(card(title, ...children), { id });

function seconds(s: number): string {
  if (s < 1) return 'under 1 s';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

const freeze = (ms: number) => (ms < 1000 ? `${ms} ms` : seconds(ms / 1000));

/** A moment in the reader's own time zone; the exact instant stays in the title. */
export function when(iso: string): HTMLElement {
  const text = new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return h('time', { datetime: iso, title: iso }, text);
}

const KIND: Record<BackupRecord['kind'], [string, string]> = {
  manual: ['Manual', 'Made with “Back up now”'],
  scheduled: ['Scheduled', 'Made by the schedule'],
  safety: ['Safety', 'Made automatically by a restore: the databases it replaced, as they were before it'],
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
export function later(a: JobStatus | null, b: JobStatus | null): JobStatus | null {
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
  const parts = [`${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`];
  if (p.rate > 0) parts.push(`${formatBytes(p.rate)}/s`);
  if (p.etaSeconds !== null) parts.push(`about ${seconds(p.etaSeconds)} left`);
  return h(
    'div',
    { class: 'job-progress', 'data-phase': p.phase },
    h('label', { for: 'job-progress-bar' }, PHASE[p.phase] ?? p.phase),
    h('progress', { id: 'job-progress-bar', max: Math.max(p.bytesTotal, 1), value: Math.min(p.bytesDone, p.bytesTotal) }),
    h('span', { class: 'muted small' }, parts.join(' · ')),
  );
}

export function jobView(j: JobStatus): HTMLElement {
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

export function statusView(s: BackupStatus, running: boolean, backUp: () => void): HTMLElement {
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
      item('Backups kept', `${s.count} (${formatBytes(s.totalBytes)})`),
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

export interface RowActions {
  verify(r: BackupRecord): void;
  restore(r: BackupRecord): void;
  remove(r: BackupRecord): void;
}

export function listView(list: BackupRecord[], running: boolean, act: RowActions): HTMLElement {
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
      h('td', { 'data-label': 'Size', class: 'num' }, ok ? formatBytes(r.sizeBytes) : '—'),
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
          ok ? h('a', { class: 'btn small', 'data-action': 'download', href: `api/backups/${enc(r.id)}/download`, download: true }, 'Download') : null,
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
      'Safety backups are made automatically by a restore and hold the databases it replaced, as they were before it, so a restore can be undone. ',
      'Download gives the archive itself (.tar.zst; older backups .tar.gz): keep a copy off this machine.',
    ),
  );
}
