import { h } from './dom.ts';

const LABELS: Record<string, string> = {
  running: 'Running',
  stopped: 'Stopped',
  suspended: 'Suspended',
  troubled: 'Troubled',
  network_stopped: 'Network stopped',
  unknown: 'Unknown',
  starting: 'Starting…',
  stopping: 'Stopping…',
  restarting: 'Restarting…',
  updating: 'Updating…',
  recovering: 'Recovering…',
  ok: 'OK',
  error: 'Error',
  inactive: 'Inactive',
  retry: 'Retrying',
  disabled: 'Disabled',
  unconfigured: 'Not configured',
};
const TONE: Record<string, string> = {
  running: 'good',
  ok: 'good',
  stopped: 'neutral',
  disabled: 'neutral',
  inactive: 'neutral',
  unconfigured: 'neutral',
  suspended: 'warn',
  retry: 'warn',
  network_stopped: 'warn',
  troubled: 'bad',
  error: 'bad',
};

export const stateLabel = (s: string): string => LABELS[s] ?? s;
export const badge = (s: string): HTMLElement => h('span', { class: `badge ${TONE[s] ?? 'busy'}` }, stateLabel(s));

export function pct(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : `${Math.round(n * 10) / 10} %`;
}

export function ago(iso: string | null): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export const prodHref = (instance: string, p: { namespace: string; name: string }): string =>
  `#/production/${encodeURIComponent(instance)}/${encodeURIComponent(p.namespace)}/${encodeURIComponent(p.name)}`;
