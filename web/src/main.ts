/**
 * IRIS Edge panel. Served by the bridge through Home Assistant ingress: every URL here is
 * relative (the page lives under /api/hassio_ingress/<token>/), routes are in the #fragment.
 *
 * Only the Overview and a production's page are in the first script; every other page is its own
 * chunk, fetched when first opened (the first load stays small behind ingress: bench/panel.ts).
 *
 * Theme: Home Assistant passes nothing to an ingress page about its theme, so the panel follows
 * the browser's prefers-color-scheme (which HA's own "auto" theme follows too) and offers a
 * toggle (auto / light / dark) kept in localStorage.
 */
import { store } from './store.ts';
import { h, render } from './dom.ts';
import { overview, productionPage, simulatorBanner, type Page } from './pages.ts';

const THEMES = ['auto', 'light', 'dark'] as const;
type Theme = (typeof THEMES)[number];
const THEME_KEY = 'iris-edge-theme';

function readTheme(): Theme {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return (THEMES as readonly string[]).includes(t ?? '') ? (t as Theme) : 'auto';
  } catch {
    return 'auto';
  }
}

const systemDark = window.matchMedia('(prefers-color-scheme: dark)');

/** The stylesheet knows one dark palette, keyed on data-theme; "auto" resolves it here. */
function applyTheme(t: Theme): void {
  const dark = t === 'dark' || (t === 'auto' && systemDark.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  const btn = document.getElementById('theme');
  if (btn) {
    const label = t === 'auto' ? 'automatic (follows the system)' : t;
    btn.setAttribute('aria-label', `Theme: ${label}. Change theme`);
    btn.title = `Theme: ${label}`;
    btn.textContent = t === 'auto' ? '◐' : t === 'light' ? '☀' : '☾';
  }
}

async function route(): Promise<Page> {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  switch (parts[0]) {
    case 'production':
      if (parts.length === 4) return productionPage(parts[1] ?? '', parts[2] ?? '', parts[3] ?? '');
      return overview;
    case 'connect':
      return (await import('./connect.ts')).connect;
    case 'logs':
      return (await import('./logs.ts')).logsPage();
    case 'certificates': {
      const certs = await import('./certs.ts');
      return parts[1] ? certs.certificateDetailPage(parts[1]) : certs.certificatesPage();
    }
    case 'backups':
      return (await import('./backups.ts')).backupsPage();
    case 'assistants':
      return (await import('./mcp.ts')).mcpPage;
    case 'home-assistant':
      return (await import('./ha-flows.ts')).haFlowsPage();
    case 'diagnostics':
      return (await import('./diagnostics.ts')).diagnosticsPage();
    case 'apps':
      return (await import('./apps.ts')).appsPage();
    case 'sensors':
      return (await import('./sensors.ts')).sensorsPage();
    default:
      return overview;
  }
}

/** A page whose script could not be fetched (the bridge restarted with a new build, or went away). */
function unavailable(err: unknown): Page {
  return {
    title: 'Page unavailable',
    render: (main) =>
      render(main, h('h1', { class: 'page-title' }, 'This page could not be loaded'), h('p', { class: 'muted' }, `${err instanceof Error ? err.message : String(err)}. Reload the panel to try again.`)),
  };
}

let current: Page | undefined;
/** Only the latest navigation shows: a page still being fetched is dropped if another was asked for. */
let navigation = 0;

async function show(): Promise<void> {
  const mine = ++navigation;
  const next = await route().catch(unavailable);
  if (mine !== navigation) return;
  current?.leave?.();
  current = next;
  const main = document.getElementById('main') as HTMLElement;
  document.title = `${current.title} – IRIS Edge`;
  const section = location.hash.replace(/^#\/?/, '').split('/')[0] || 'overview';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.nav a')) {
    const here = a.dataset.page === section || (section === 'production' && a.dataset.page === 'overview');
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  delete main.dataset.sig; // a page change always renders
  current.render(main);
}

function liveIndicator(): void {
  const el = document.getElementById('live');
  if (!el) return;
  const inst = [...store.instances.values()];
  const down = inst.filter((i) => !i.reachable).length;
  el.textContent = !store.connected ? (store.loaded ? 'Reconnecting…' : 'Connecting…') : down > 0 ? 'IRIS not answering' : 'Live';
  el.className = `live ${!store.connected ? 'off' : down > 0 ? 'warn' : 'on'}`;
}

function init(): void {
  let theme = readTheme();
  applyTheme(theme);
  systemDark.addEventListener('change', () => applyTheme(theme));
  document.getElementById('theme')?.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length] as Theme;
    try {
      localStorage.setItem(THEME_KEY, theme);
    } catch {
      /* private mode: the choice lasts for this page */
    }
    applyTheme(theme);
  });
  // The skip link must not touch the #fragment: that is the router's.
  document.querySelector('.skip')?.addEventListener('click', (e) => {
    e.preventDefault();
    (document.getElementById('main') as HTMLElement).focus();
  });
  window.addEventListener('hashchange', () => {
    void show();
    (document.getElementById('main') as HTMLElement).focus({ preventScroll: true });
  });
  store.subscribe(() => {
    liveIndicator();
    simulatorBanner();
    if (current?.live) current.render(document.getElementById('main') as HTMLElement);
  });
  liveIndicator();
  void show();
  store.connect();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
