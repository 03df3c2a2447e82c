// Everything the screen shows, and nothing about what it means: flow.js
// decides, this file switches views and marks buttons.

// A second quick tap on a face would land on whatever the follow-up shows in
// the same place. Its buttons wake up only after this long.
const GHOST_TAP_MS = 300;

export class View {
  constructor(doc = document) {
    this.body = doc.body;
    this.views = {
      closed: doc.getElementById("closed"),
      question: doc.getElementById("question"),
      followup: doc.getElementById("followup"),
      comment: doc.getElementById("comment"),
    };
    this.followup = this.views.followup;
    this.chips = [...doc.querySelectorAll(".chip")];
    this.commentButton = this.followup.querySelector('[data-action="comment"]');
    this.thanksFace = doc.querySelector(".thanks__use");
    this.thanksTitle = doc.getElementById("thanks");
    this.slugs = new Map([...doc.querySelectorAll(".face")].map((b) => [Number(b.dataset.rating), b.dataset.slug]));
    this.commentText = doc.getElementById("comment-text");
    this.commentCount = doc.querySelector("[data-count]");
  }

  show(name) {
    for (const [key, element] of Object.entries(this.views)) element.hidden = key !== name;
    this.body.dataset.view = name;
  }

  showQuestion() {
    delete this.body.dataset.ratingId;
    this.show("question");
  }

  /** Thank the customer for *rating* and ask what mattered most. */
  showFollowup(rating) {
    this.thanksFace.setAttribute("href", `#face-${this.slugs.get(rating)}`);
    this.followup.classList.remove("is-thanks-only");
    for (const chip of this.chips) chip.setAttribute("aria-pressed", "false");
    this.commentButton.disabled = true;
    delete this.body.dataset.ratingId;
    this.body.dataset.rating = String(rating);
    this.setComment("");
    this.show("followup");
    this.thanksTitle.focus({ preventScroll: true });
    this.followup.classList.add("is-waking");
    clearTimeout(this.waking);
    this.waking = setTimeout(() => this.followup.classList.remove("is-waking"), GHOST_TAP_MS);
  }

  /** The rating has its id: the follow-up can be stored against it. */
  setRatingId(id) {
    this.body.dataset.ratingId = id;
  }

  /** Storage failed: a calm thank-you with nothing to answer. */
  thanksOnly() {
    this.followup.classList.add("is-thanks-only");
    this.show("followup");
  }

  markReason(key) {
    for (const chip of this.chips) chip.setAttribute("aria-pressed", String(chip.dataset.reason === key));
    this.commentButton.disabled = false;
  }

  showComment() {
    this.show("comment");
  }

  setComment(text) {
    this.commentText.value = text;
    this.commentText.scrollTop = this.commentText.scrollHeight; // keep the newest line in view
    this.commentCount.textContent = String(text.length);
  }
}
