/**
 * What layout.test.ts measures inside the page. Plain JavaScript in a string on purpose: tsx
 * wraps named functions in a `__name` helper that does not exist in the page, and this probe
 * needs helpers (colour parsing, compositing, WCAG luminance).
 */

export interface LayoutReport {
  theme: string | undefined;
  scrollWidth: number;
  clientWidth: number;
  /** Elements and text outside any scroll container that stick out of the window or their dialog. */
  tooWide: string[];
  /** Text below WCAG AA (4.5:1, 3:1 for large text) against the colours behind it. */
  lowContrast: string[];
  /** The page's h1 is shown and fits the window. */
  heading: boolean;
  /** ids given to more than one element (labels, aria references and the tests would hit the first). */
  duplicateIds: string[];
}

/** `contrastIn`: the CSS selector of the part whose text is checked for contrast. */
export const layoutProbe = (contrastIn: string): string => String.raw`(() => {
  const contrastIn = ${JSON.stringify(contrastIn)};
  const vw = document.documentElement.clientWidth;
  const se = document.scrollingElement || document.documentElement;
  const describe = (el) => {
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + (text ? ' "' + text + '"' : '');
  };
  // The right edge a node must stay within: the window's, or an open dialog's (a dialog scrolls
  // by default, but its text is meant to wrap). Inside any other scroll (or clipping) container
  // a node may be as wide as it likes (null): the container is what has to fit, and it is
  // checked itself.
  const limit = (node) => {
    for (let a = node.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      if (a.tagName === 'DIALOG') return Math.min(vw, a.getBoundingClientRect().right);
      if (getComputedStyle(a).overflowX !== 'visible') return null;
    }
    return vw;
  };
  const wide = new Map();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (el.classList.contains('skip')) continue; // off-screen until focused, by design
    const edge = limit(el);
    if (edge === null) continue;
    if (r.right > edge + 0.5 || r.width > vw + 0.5) wide.set(el, edge);
  }
  // The outermost offenders only: their content sticks out with them.
  const tooWide = [...wide.keys()].filter((el) => !wide.has(el.parentElement)).map((el) => {
    const r = el.getBoundingClientRect();
    return describe(el) + ' is ' + Math.round(r.width) + ' px wide, right edge at ' + Math.round(r.right) + ' px, past ' + Math.round(wide.get(el)) + ' px';
  });
  // A word that cannot break runs out of a box that itself fits: only its text shows it.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || n.textContent.trim() === '' || wide.has(el) || el.closest('.skip, option, script')) continue;
    // The text's own element counts as its container (a pre scrolls its lines).
    const edge = getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'DIALOG' ? null : limit(n);
    if (edge === null) continue;
    range.selectNodeContents(n);
    const r = range.getBoundingClientRect();
    if (r.width > 0 && r.right > edge + 0.5) tooWide.push(describe(el) + ': its text runs to ' + Math.round(r.right) + ' px, past ' + Math.round(edge) + ' px');
  }

  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const behind = (el) => {
    const layers = [];
    for (let a = el; a; a = a.parentElement) {
      const c = parse(getComputedStyle(a).backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    let colour = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const lum = (c) => {
    const ch = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const lowContrast = [];
  const seen = new Set();
  for (const el of document.querySelectorAll(contrastIn.split(',').map((sel) => sel.trim() + ', ' + sel.trim() + ' *').join(', '))) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || el.tagName === 'OPTION' || el.tagName === 'SCRIPT' || el.classList.contains('skip')) continue;
    // Inactive controls are exempt from the contrast criterion (WCAG 1.4.3).
    if (el.closest(':disabled')) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility !== 'visible') continue;
    const fg0 = parse(cs.color);
    if (!fg0) continue;
    const bg = behind(el);
    const fg = over(fg0, bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    const need = large ? 3 : 4.5;
    if (ratio < need) {
      const line = describe(el).slice(0, 90) + ': ' + ratio.toFixed(2) + ':1 (' + cs.color + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + '), needs ' + need + ':1)';
      if (!seen.has(line)) lowContrast.push(line);
      seen.add(line);
    }
  }

  const h1 = document.querySelector('main h1');
  const hr = h1 ? h1.getBoundingClientRect() : null;
  const heading = !!h1 && !!hr && hr.width > 0 && hr.height > 0 && hr.right <= vw + 0.5 && getComputedStyle(h1).visibility === 'visible';
  const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
  const duplicateIds = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  return { theme: document.documentElement.dataset.theme, scrollWidth: se.scrollWidth, clientWidth: se.clientWidth, tooWide, lowContrast, heading, duplicateIds };
})()`;
