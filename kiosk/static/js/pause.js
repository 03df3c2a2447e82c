// A manager may pause or resume the kiosk from another screen. Every open
// screen asks the kiosk now and then, and when the answer differs from what
// it shows it reloads, so it shows what the server says. It never reloads in
// the middle of a customer's answer: only while the question or the closed
// view is showing.

const ASK_EVERY_MS = 15000;

/** Reload when the kiosk's pause differs from *showsPaused()*, while *idle()* holds. */
export function watchPause({ showsPaused, idle }) {
  setInterval(async () => {
    if (!idle()) return;
    let state;
    try {
      const answer = await fetch("/api/state", { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!answer.ok) return;
      state = await answer.json();
    } catch (error) {
      return; // the kiosk is restarting: ask again next time
    }
    if (state.paused !== showsPaused() && idle()) window.location.reload();
  }, ASK_EVERY_MS);
}
