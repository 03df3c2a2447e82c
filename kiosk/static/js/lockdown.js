// What CSS alone cannot forbid on a public touchscreen: the long-press
// context menu, pinch and ctrl+wheel zoom, dragging links and images, and
// selecting text. (screen.css sets touch-action and user-select as well.)

export function lockDown(doc = document) {
  hidePointerOnTheKiosksOwnScreen(doc);
  const stop = (event) => event.preventDefault();
  doc.addEventListener("contextmenu", stop);
  doc.addEventListener("dragstart", stop);
  doc.addEventListener("selectstart", stop);
  doc.addEventListener("gesturestart", stop);
  doc.addEventListener("touchmove", stop, { passive: false });
  doc.addEventListener("wheel", (event) => { if (event.ctrlKey) event.preventDefault(); }, { passive: false });
  doc.addEventListener("keydown", (event) => {
    // Browser zoom shortcuts, for a kiosk with a keyboard attached.
    if ((event.ctrlKey || event.metaKey) && ["+", "-", "=", "0"].includes(event.key)) event.preventDefault();
  });
}

// The kiosk's own browser opens /?kiosk (systemd/hymy-browser.service): no mouse
// pointer on its touchscreen. The tab remembers it, since the page drops the query
// when it goes back to the question; any other browser keeps its pointer.
function hidePointerOnTheKiosksOwnScreen(doc) {
  const storage = doc.defaultView.sessionStorage;
  if (new URLSearchParams(doc.location.search).has("kiosk")) storage.setItem("hymy.kiosk", "1");
  if (storage.getItem("hymy.kiosk")) doc.documentElement.classList.add("kiosk-screen");
}
