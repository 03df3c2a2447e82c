// The manager's pages: the on-screen digit pad, and leaving by itself.
//
// The kiosk stands in a public place: after idle-ms without a touch the page
// goes back to the customers (ending the session, as "Back to customers"
// does). The server ends the session on its own clock too; a touch that needs
// no request (reading a chart, scrolling) tells it the manager is still here,
// at most every ALIVE_MS.
const ALIVE_MS = 30000;

const body = document.body;
const data = body.dataset;
const leaveForm = document.querySelector("[data-leave-form]");

function leave() {
  if (leaveForm) leaveForm.requestSubmit();
  else window.location.assign(data.leaveUrl);
}

let idleTimer = null;
let lastAlive = Date.now();

function touched() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(leave, Number(data.idleMs));
  if (leaveForm && Date.now() - lastAlive > ALIVE_MS) {
    lastAlive = Date.now();
    fetch(data.aliveUrl, { method: "POST", headers: { "X-CSRFToken": data.csrf }, cache: "no-store" })
      .then((response) => { if (response.status === 401) window.location.reload(); })
      .catch(() => {});
  }
}

for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, touched, true);
document.addEventListener("contextmenu", (event) => event.preventDefault());
touched();

// The digit pad fills the PIN field; Enter (or Open) submits the form.
const pin = document.getElementById("pin");
const pad = document.querySelector(".pad");
if (pin && pad) {
  pad.addEventListener("click", (event) => {
    const key = event.target.closest("button");
    if (!key || key.disabled) return;
    if (key.dataset.digit !== undefined && pin.value.length < pin.maxLength) pin.value += key.dataset.digit;
    else if (key.hasAttribute("data-erase")) pin.value = pin.value.slice(0, -1);
    if (key.type !== "submit") pin.focus({ preventScroll: true });
  });
}
