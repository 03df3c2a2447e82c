// The store manager's way in, which a customer never sees: a press held for
// three seconds in the top-left corner of the screen opens the manager's
// PIN page. There is no control to find, nothing changes on the screen while
// the press is held, and a shorter press or a finger that slides out of the
// corner does nothing.

const HOLD_MS = 3000;

/** The corner's side in CSS pixels: a fingertip's room on the smallest panel, more on larger ones. */
const cornerSize = () => Math.max(56, Math.min(window.innerWidth, window.innerHeight) * 0.12);

const inCorner = (event) => event.clientX <= cornerSize() && event.clientY <= cornerSize();

/** Go to *url* after a press held in the top-left corner for HOLD_MS. */
export function watchCorner(url, doc = document) {
  let timer = null;
  const cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  doc.addEventListener("pointerdown", (event) => {
    cancel();
    if (event.isPrimary && inCorner(event)) timer = setTimeout(() => window.location.assign(url), HOLD_MS);
  }, true);
  doc.addEventListener("pointermove", (event) => { if (timer && !inCorner(event)) cancel(); }, true);
  for (const type of ["pointerup", "pointercancel"]) doc.addEventListener(type, cancel, true);
}
