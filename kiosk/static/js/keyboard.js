// The on-screen keyboard of the comment view. Kiosk-mode Chromium has no
// system keyboard, so this is the only way to type. Keys are rendered by the
// template (_keyboard.html); this file only reacts to them. Text is always
// added and removed at the end: the comment is short and a caret would be
// one more thing to aim at with a finger.

export class Keyboard {
  /**
   * @param {HTMLElement} root  the .keyboard element
   * @param {object} options  max (characters), onChange(text), onDone()
   */
  constructor(root, { max, onChange, onDone }) {
    this.root = root;
    this.max = max;
    this.onChange = onChange;
    this.onDone = onDone;
    this.text = "";
    this.shift = false;
    this.shiftKey = root.querySelector('[data-action="shift"]');
    root.addEventListener("click", (event) => this.press(event.target.closest(".key")));
    this.reset();
  }

  /** Empty the text and go back to letters, capitalised: a fresh comment. */
  reset() {
    this.text = "";
    this.showLayer("letters");
    this.changed();
  }

  press(key) {
    if (!key || !this.root.contains(key)) return;
    if (key.dataset.key !== undefined) {
      this.type(key.dataset.key);
      return;
    }
    switch (key.dataset.action) {
      case "shift": this.setShift(!this.shift); break;
      case "backspace": this.erase(); break;
      case "space": this.type(" "); break;
      case "layer": this.showLayer(key.dataset.layer); break;
      case "done": this.onDone(); break;
    }
  }

  /** Add one character from a key, upper case when shifted. */
  type(character) {
    this.insert(this.shift ? character.toLocaleUpperCase() : character);
  }

  /** Add text as it is (also what a hardware keyboard types, if one is attached). */
  insert(added) {
    if (added === " " && (this.text === "" || this.text.endsWith(" "))) return;
    if (this.text.length + added.length > this.max) return;
    this.text += added;
    this.changed();
  }

  erase() {
    // Array.from splits by code point, so an emoji from a hardware keyboard goes whole.
    this.text = Array.from(this.text).slice(0, -1).join("");
    this.changed();
  }

  showLayer(name) {
    for (const layer of this.root.querySelectorAll(".keyboard__layer")) {
      layer.hidden = layer.dataset.layer !== name;
    }
  }

  setShift(on) {
    this.shift = on;
    this.root.classList.toggle("is-shifted", on);
    this.shiftKey.setAttribute("aria-pressed", String(on));
  }

  changed() {
    // One-shot shift, switched on again where a sentence starts.
    this.setShift(this.text === "" || /[.!?] $/.test(this.text));
    this.onChange(this.text);
  }
}
