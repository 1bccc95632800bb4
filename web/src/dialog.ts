/**
 * A dialog a page built for one question (the panel's own, never the browser's confirm()): shown
 * modal, answered true by its confirming button, false by Cancel or Esc, then removed. The focus
 * goes where the page says (Cancel for a disruptive action), and a long dialog opens at its top.
 */
export function ask(dlg: HTMLDialogElement, ok: HTMLElement, cancel: HTMLElement, focus: HTMLElement, answer: () => boolean = () => true): Promise<boolean> {
  document.body.append(dlg);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      dlg.onclose = null;
      if (dlg.open) dlg.close();
      dlg.remove();
      resolve(v);
    };
    ok.onclick = () => done(answer());
    cancel.onclick = () => done(false);
    dlg.onclose = () => done(false);
    dlg.showModal();
    focus.focus({ preventScroll: true });
    dlg.scrollTop = 0;
  });
}
