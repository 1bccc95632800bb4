/** A tiny DOM builder: text is always text (never parsed as HTML). */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the content of `root`, keeping keyboard focus on the element with the same data-key. */
export function render(root: HTMLElement, ...children: Child[]): void {
  const active = document.activeElement as HTMLElement | null;
  const key = active && root.contains(active) ? active.dataset.key : undefined;
  root.replaceChildren();
  append(root, children);
  if (key) root.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

/** A titled section of a page. */
export const card = (title: string, ...children: Child[]): HTMLElement => h('section', { class: 'card' }, h('h2', {}, title), ...children);

/** Where the outcome of an action appears; screen readers announce it. */
export const resultBox = (id: string): HTMLElement => h('div', { class: 'result', id, role: 'status', 'aria-live': 'polite' });

/** Shows an outcome in a resultBox; `tone` (good, bad, busy, warn) colours it. */
export function say(box: HTMLElement, tone: string, ...msg: Child[]): void {
  box.className = `result ${tone}`.trim();
  render(box, ...msg);
}
