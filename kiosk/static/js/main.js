// The customer's screen: wires the page (rendered by templates/kiosk/
// screen.html) to the flow. Settings and words come from the template: the
// Content-Security-Policy allows no inline script, and every customer-facing
// string is translated there.
import { watchCorner } from "./corner.js";
import { Flow } from "./flow.js";
import { Keyboard } from "./keyboard.js";
import { listen } from "./live.js";
import { lockDown } from "./lockdown.js";
import { watchPause } from "./pause.js";
import { View } from "./view.js";

const body = document.body;
const data = body.dataset;
const config = {
  questionVersion: Number(data.questionVersion),
  language: data.language,
  defaultLanguage: data.defaultLanguage,
  followupMs: Number(data.followupTimeout) * 1000,
  idleMs: Number(data.idleTimeout) * 1000,
};

lockDown();
watchCorner(data.managerUrl);
const view = new View(document);
let flow = null;
const keyboard = new Keyboard(document.querySelector(".keyboard"), {
  max: Number(data.commentMax),
  onChange: (text) => flow?.commentChanged(text),
  onDone: () => flow.finish(),
});
flow = new Flow(view, keyboard, config);

document.querySelector(".faces").addEventListener("click", (event) => {
  const face = event.target.closest(".face");
  if (face) flow.tap(Number(face.dataset.rating));
});
document.querySelector(".reasons").addEventListener("click", (event) => {
  const chip = event.target.closest(".chip");
  if (chip) flow.pick(chip.dataset.reason);
});
view.followup.querySelector('[data-action="comment"]').addEventListener("click", () => flow.openComment());
view.followup.querySelector('[data-action="done"]').addEventListener("click", () => flow.finish());

// Every touch, click or key keeps the current screen up a little longer.
for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, () => flow.touched(), true);

// A hardware keyboard, if one is attached: 1-4 answer, and it can type the comment.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
  const showing = data.view;
  if (showing === "question" && /^[1-4]$/.test(event.key)) {
    flow.tap(Number(event.key));
  } else if (showing === "comment" && event.key === "Backspace") {
    keyboard.erase();
  } else if (showing === "comment" && event.key === "Enter") {
    flow.finish();
  } else if (showing === "comment" && event.key.length === 1) {
    keyboard.insert(event.key);
  } else {
    return;
  }
  event.preventDefault();
});

watchPause({
  showsPaused: () => data.view === "closed",
  idle: () => data.view === "question" || data.view === "closed",
});

listen("/events", {
  onRating: (event) => {
    data.lastEvent = event.id; // lets tests and a technician see the stream is alive
    flow.pressed(event);
  },
  onConnected: (connected) => { data.live = String(connected); },
});
