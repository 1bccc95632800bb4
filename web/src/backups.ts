/**
 * The Backups page: what was backed up and when, the running job live from the feed, the list
 * with verify / download / delete / restore, upload, and the schedule. Written for someone who
 * has to restore in a hurry: every action says what it will do before it does it, and every
 * refusal is the server's own sentence. Relative URLs only (ingress).
 */
import { ApiFailure, call } from './api.ts';
import { h, render, resultBox, say } from './dom.ts';
import { confirmDialog, type Page } from './pages.ts';
import { store } from './store.ts';
import type { BackupStatus, JobStatus, RestorePlan } from '../../src/model/backup.ts';
import type { BackupRecord } from '../../src/model/backup-record.ts';
import type { BackupSettings } from '../../src/model/backup-settings.ts';
import { uploadCard, settingsCard } from './backup-forms.ts';
import { confirmRestore } from './backup-restore.ts';
import { formatBytes } from '../../src/model/bytes.ts';
import { jobView, later, listView, section, statusView, type RowActions } from './backup-views.ts';

interface Overview {
  backups: BackupRecord[];
  status: BackupStatus;
  job: JobStatus | null;
  settings: BackupSettings;
  /** The server's limit: BACKUP_UPLOAD_LIMIT_BYTES (src/model/backup.ts) unless configured lower for tests. */
  uploadLimitBytes: number;
}

const enc = encodeURIComponent;

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
          const what = r.result === 'ok' ? `The archive (${formatBytes(r.sizeBytes)}) is deleted from the add-on; download it first to keep a copy.` : 'Only the record of this failed attempt is deleted.';
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
