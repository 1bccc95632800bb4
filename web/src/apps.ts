/**
 * Apps: IRIS apps (IPM packages) from the registry. Search, a package's details, install into a
 * namespace with IPM's output live and the phases done as progress, update, uninstall (asked in
 * the panel's own dialog), the apps installed per namespace, and namespaces to create or delete
 * (deleting asks for the name, typed). Every change is a job of the bridge, run as IRIS's owner.
 */
import { ApiFailure, call } from './api.ts';
import { card, h, render, resultBox, say } from './dom.ts';
import { confirmDialog, type Page } from './pages.ts';
import { ask } from './dialog.ts';
import { registryCard } from './apps-registry.ts';
import { store } from './store.ts';
import type { AppsJob } from '../../src/model/apps-job.ts';
import type { RegistryPackage, RegistryPackageSummary, RegistryView } from '../../src/model/ipm-package.ts';

interface NamespaceApps {
  namespace: string;
  ipm: string | null;
  packages: { name: string; version: string }[];
}
/** Where a search or a package came from. */
interface Found {
  source: 'registry' | 'offline-folder';
  registry: string;
}
interface Overview {
  registry: RegistryView;
  namespaces: NamespaceApps[];
  job: AppsJob | null;
}

/** Deleting a namespace: the panel's dialog, confirmed only by typing its name. */
function confirmTyped(name: string): Promise<boolean> {
  const input = h('input', { id: 'typed-confirm', autocomplete: 'off', 'aria-describedby': 'typed-help' });
  const ok = h('button', { type: 'button', class: 'btn danger', id: 'typed-ok', disabled: '' }, `Delete ${name}`);
  const cancel = h('button', { type: 'button', class: 'btn', id: 'typed-cancel' }, 'Cancel');
  input.oninput = () => (input.value === name ? ok.removeAttribute('disabled') : ok.setAttribute('disabled', ''));
  const dlg = h(
    'dialog',
    { id: 'typed-dialog', 'aria-labelledby': 'typed-title' },
    h('h2', { id: 'typed-title' }, `Delete the namespace ${name}?`),
    h('p', { class: 'notice' }, 'Its database is deleted with every app, class and global in it. This cannot be undone.'),
    h('label', { for: 'typed-confirm', id: 'typed-help' }, `Type ${name} to confirm`),
    input,
    h('div', { class: 'actions' }, cancel, ok),
  );
  return ask(dlg, ok, cancel, input, () => input.value === name);
}

export function appsPage(): Page {
  const offs: (() => void)[] = [];
  return {
    title: 'Apps',
    leave() {
      for (const off of offs) off();
    },
    render(main) {
      const out = resultBox('apps-result');
      const registryBox = h('div', { id: 'apps-registry' });
      const results = h('div', { id: 'apps-results' });
      const details = h('div', { id: 'apps-details' });
      const jobBox = h('div', { id: 'apps-job' });
      const installed = h('div', { id: 'apps-installed' });
      let overview: Overview | undefined;
      let latest = new Map<string, string>();

      const fail = (e: Error) => say(out, 'bad', e.message);
      const start = (path: string, body: unknown) =>
        call<{ job: AppsJob }>('POST', path, body).then((r) => showJob(r.job), fail);

      let shown: AppsJob | undefined;
      /** `reload`: the job ended here, so the lists changed (not so for the last job shown on opening). */
      function showJob(job: AppsJob | null, reload = true): void {
        if (!job) return render(jobBox);
        // The POST's answer (running) may come after the feed said the job ended: the feed wins.
        if (shown && (job.id < shown.id || (job.id === shown.id && shown.state !== 'running' && job.state === 'running'))) return;
        shown = job;
        const what = `${job.action.replace('-', ' ')} ${job.name ?? ''}${job.version ? ` ${job.version}` : ''} (${job.namespace})`;
        const progress = job.state === 'running' ? h('progress', { id: 'apps-progress', 'aria-label': 'IPM at work' }) : null;
        render(
          jobBox,
          card(
            'Last apps job',
            h('p', { id: 'apps-job-state', class: job.state === 'failed' ? 'bad-text' : '' }, `${what}: ${job.state}`, job.state === 'running' ? `, ${job.phasesDone} phases done` : ''),
            progress,
            job.message ? h('p', { id: 'apps-job-message', class: job.state === 'failed' ? 'result bad' : 'result good' }, job.message) : null,
            h('pre', { id: 'apps-output', class: 'mono small', 'aria-live': 'off' }, job.lines.join('\n')),
          ),
        );
        if (job.state !== 'running' && reload) load();
      }

      function showDetails(p: RegistryPackage, from: Found): void {
        const nsSelect = h('select', { id: 'apps-namespace', 'aria-label': 'Namespace' }, (overview?.namespaces ?? []).map((n) => h('option', { value: n.namespace }, n.namespace)));
        const version = h('select', { id: 'apps-version', 'aria-label': 'Version' }, p.versions.map((v) => h('option', { value: v }, v)));
        render(
          details,
          card(
            `${p.name} ${p.version}`,
            h('p', { id: 'apps-description' }, p.description || 'No description.'),
            h('p', { id: 'apps-from' }, from.source === 'offline-folder' ? 'From the offline folder' : `From the registry ${from.registry}`),
            h('p', {}, 'Source: ', p.repository ? h('a', { href: p.repository, target: '_blank', rel: 'noopener noreferrer', id: 'apps-source' }, p.repository) : 'not given'),
            h('h3', {}, 'Dependencies'),
            p.dependencies.length ? h('ul', { id: 'apps-deps' }, p.dependencies.map((d) => h('li', {}, `${d.name} ${d.version}`))) : h('p', { class: 'muted', id: 'apps-deps' }, 'None.'),
            h(
              'div',
              { class: 'actions' },
              version,
              nsSelect,
              h('button', { type: 'button', class: 'btn primary', id: 'apps-install', onclick: () => void start('api/apps/install', { namespace: nsSelect.value, name: p.name, version: version.value }) }, 'Install'),
            ),
          ),
        );
      }

      function search(q: string): void {
        say(out, 'busy', 'Searching…');
        call<Found & { packages: RegistryPackageSummary[]; total: number; problems: { file: string; message: string }[] }>('GET', `api/apps/search?q=${encodeURIComponent(q)}`).then((r) => {
          const where = r.source === 'offline-folder' ? 'in the offline folder' : 'in the registry';
          say(
            out,
            r.problems.length ? 'warn' : '',
            `${r.total} package${r.total === 1 ? '' : 's'} found ${where}.`,
            r.problems.length ? h('ul', { id: 'apps-problems' }, r.problems.map((p) => h('li', {}, `${p.file}: ${p.message}`))) : null,
          );
          for (const p of r.packages) latest.set(p.name, p.latest);
          render(
            results,
            h(
              'table',
              { class: 'hosts', 'aria-label': 'Packages found' },
              h('thead', {}, h('tr', {}, ['Package', 'Newest', 'Description', ''].map((t) => h('th', { scope: 'col' }, t)))),
              h(
                'tbody',
                {},
                r.packages.map((p) =>
                  h(
                    'tr',
                    { 'data-package': p.name },
                    h('th', { scope: 'row' }, p.name),
                    h('td', { 'data-label': 'Newest' }, p.latest),
                    h('td', { 'data-label': 'Description' }, p.description),
                    h('td', {}, h('button', { type: 'button', class: 'btn', onclick: () => void call<Found & { package: RegistryPackage }>('GET', `api/apps/packages/${encodeURIComponent(p.name)}`).then((d) => showDetails(d.package, d), fail) }, 'Details')),
                  ),
                ),
              ),
            ),
          );
        }, fail);
      }

      /** Another registry: what the last one listed is no longer offered; a new address is searched at once. */
      function onRegistry(check: boolean): void {
        latest = new Map();
        render(results);
        render(details);
        if (check) search(q.value.trim());
      }

      function drawInstalled(): void {
        if (!overview) return;
        const nsName = h('input', { id: 'ns-name', 'aria-label': 'New namespace', placeholder: 'APPS', maxlength: '64' });
        render(
          installed,
          card(
            'Installed',
            overview.namespaces.map((n) =>
              h(
                'section',
                { 'data-namespace': n.namespace, class: 'ns' },
                h('h3', {}, n.namespace, n.ipm ? h('span', { class: 'muted small' }, ` IPM ${n.ipm}`) : h('span', { class: 'muted small' }, ' no IPM yet')),
                n.packages.length
                  ? h(
                      'ul',
                      {},
                      n.packages.map((p) => {
                        const newer = latest.get(p.name);
                        return h(
                          'li',
                          { 'data-app': p.name },
                          `${p.name} ${p.version} `,
                          newer && newer !== p.version ? h('button', { type: 'button', class: 'btn', 'data-update': p.name, onclick: () => void start('api/apps/install', { namespace: n.namespace, name: p.name }) }, `Update to ${newer}`) : null,
                          h(
                            'button',
                            {
                              type: 'button',
                              class: 'btn danger',
                              'data-uninstall': p.name,
                              onclick: async () => {
                                if (await confirmDialog(`Uninstall ${p.name}?`, `IPM removes ${p.name} ${p.version} and its code from ${n.namespace}. Apps that need it keep it installed.`, 'Uninstall')) {
                                  await start('api/apps/uninstall', { namespace: n.namespace, name: p.name, confirm: p.name });
                                }
                              },
                            },
                            'Uninstall',
                          ),
                        );
                      }),
                    )
                  : h('p', { class: 'muted' }, 'No apps.'),
                h('button', { type: 'button', class: 'btn danger small', 'data-delete-ns': n.namespace, onclick: async () => (await confirmTyped(n.namespace)) && start(`api/apps/namespaces/${encodeURIComponent(n.namespace)}/delete`, { confirm: n.namespace }) }, `Delete ${n.namespace}`),
              ),
            ),
            h('div', { class: 'actions' }, nsName, h('button', { type: 'button', class: 'btn', id: 'ns-create', onclick: () => void start('api/apps/namespaces', { name: nsName.value.trim() }) }, 'Create namespace')),
          ),
        );
        // Once: the form keeps what the user is typing and shows its own outcome.
        if (!registryBox.hasChildNodes()) render(registryBox, registryCard(overview.registry, onRegistry));
      }

      function load(): void {
        call<Overview>('GET', 'api/apps').then(
          (o) => {
            overview = o;
            drawInstalled();
            if (o.job && !jobBox.hasChildNodes()) showJob(o.job, false);
          },
          (e: Error) => {
            if (e instanceof ApiFailure && e.status === 503) render(main, h('h1', { class: 'page-title' }, 'Apps'), h('p', { id: 'apps-unavailable' }, e.message));
            else fail(e);
          },
        );
      }

      const q = h('input', { id: 'apps-q', type: 'search', 'aria-label': 'Search the registry', placeholder: 'webterminal' });
      const form = h('form', { class: 'actions', onsubmit: (e: Event) => (e.preventDefault(), search(q.value.trim())) }, q, h('button', { type: 'submit', class: 'btn primary', id: 'apps-search' }, 'Search'));
      offs.push(store.onAppsJob((job) => showJob(job)));
      render(main, h('h1', { class: 'page-title' }, 'Apps'), registryBox, card('Find an app', form, out, results), details, jobBox, installed);
      latest = new Map();
      load();
    },
  };
}
