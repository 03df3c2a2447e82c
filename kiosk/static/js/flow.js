// What happens after a tap or a press, and when the screen goes back.
//
//   question --tap/press--> follow-up --reason--> (comment) --Done/timeout--> question
//
// While a manager has paused the kiosk the page shows "closed" and nothing
// else. A page opened before the pause learns of it when a tap or press comes
// back stored as closed: it reloads on its way back to the question, so it
// shows what the server says now.
// The rating is stored at the tap, before any follow-up, so a customer who
// walks away still counts. The follow-up is posted on Done, or when the
// timeout fires after a reason was picked. A switched language falls back to
// the default after the follow-up, or after idle_timeout on the question.
import { postFollowup, postRating } from "./api.js";

// A thank-you with nothing to answer (storage failed) needs only a moment.
const THANKS_ONLY_MS = 4000;

export class Flow {
  /**
   * @param {View} view
   * @param {Keyboard} keyboard
   * @param {object} config  questionVersion, language, defaultLanguage,
   *   followupMs, idleMs
   */
  constructor(view, keyboard, config) {
    this.view = view;
    this.keyboard = keyboard;
    this.config = config;
    this.answer = null; // {rating, stored: Promise<{id, key}|null>, reason, comment}
    this.known = new Set(); // ratings this page stored or already showed
    this.timer = null;
    this.recheck = false; // a rating came back "closed": the kiosk may be paused
    this.arm();
  }

  get showing() {
    return this.view.body.dataset.view;
  }

  /** A tap on a face (or keys 1-4). Ignored unless the question is showing. */
  tap(rating) {
    if (this.showing !== "question" || this.answer) return;
    const answer = this.begin(rating);
    answer.stored = postRating(rating, this.config.questionVersion).then((outcome) => {
      if (outcome.kind === "stored") {
        this.known.add(outcome.id);
        if (outcome.filtered === "closed") this.recheck = true;
        if (this.answer === answer) this.view.setRatingId(outcome.id);
        return { id: outcome.id, key: outcome.key };
      }
      if (outcome.kind === "stale") {
        window.location.reload(); // the question changed: show the new one
      } else if (this.answer === answer) {
        answer.thanksOnly = true;
        this.view.thanksOnly();
        this.arm();
      }
      return null;
    });
  }

  /** A rating pushed by the server: a physical button was pressed. */
  pressed(event) {
    // Touches are shown by the screen that was touched; a reopened stream may
    // replay a press this page has already shown.
    if (event.source !== "button" || this.known.has(event.id) || this.showing === "closed") return;
    this.known.add(event.id);
    if (event.filtered === "closed") this.recheck = true;
    if (this.answer) {
      // A repeat press is the same customer pressing again: keep their follow-up.
      if (event.filtered === "repeat") return;
      this.submit(this.answer); // a new customer: keep what the previous one picked
    }
    const answer = this.begin(event.rating);
    // A press's follow-up key comes with its event: the screens answer for the button's customer.
    answer.stored = Promise.resolve({ id: event.id, key: event.followup_key });
    this.view.setRatingId(event.id);
  }

  begin(rating) {
    this.answer = { rating, stored: Promise.resolve(null), reason: null, comment: "" };
    this.keyboard.reset();
    this.view.showFollowup(rating);
    this.arm();
    return this.answer;
  }

  pick(reason) {
    if (!this.answer) return;
    this.answer.reason = reason;
    this.view.markReason(reason);
  }

  openComment() {
    if (!this.answer?.reason) return;
    this.view.showComment();
    this.arm();
  }

  commentChanged(text) {
    if (this.answer) this.answer.comment = text;
    this.view.setComment(text);
  }

  /** Done, or the timeout: store what was picked and go back to the question. */
  finish() {
    const answer = this.answer;
    this.answer = null;
    this.view.showQuestion();
    const sent = this.submit(answer);
    if (this.recheck) {
      sent.then(() => window.location.reload());
    } else if (this.config.language !== this.config.defaultLanguage) {
      sent.then(() => this.backToDefaultLanguage());
    } else {
      this.arm();
    }
  }

  /** Post the follow-up of *answer* if a reason was picked and the rating was stored. */
  async submit(answer) {
    if (!answer?.reason) return false;
    const stored = await answer.stored;
    return stored ? postFollowup(stored, answer.reason, answer.comment) : false;
  }

  backToDefaultLanguage() {
    window.location.replace(window.location.pathname);
  }

  /** Any touch: the customer is still there, so the countdown starts again. */
  touched() {
    this.arm();
  }

  /** Start the countdown for what is showing now. */
  arm() {
    clearTimeout(this.timer);
    this.timer = null;
    const { followupMs, idleMs, language, defaultLanguage } = this.config;
    if (this.showing === "closed") return;
    if (this.showing === "question") {
      if (language !== defaultLanguage) this.timer = setTimeout(() => this.backToDefaultLanguage(), idleMs);
      return;
    }
    // Composing a comment takes thought: it gets at least the idle time.
    let wait = this.showing === "comment" ? Math.max(followupMs, idleMs) : followupMs;
    if (this.answer?.thanksOnly) wait = Math.min(followupMs, THANKS_ONLY_MS);
    this.timer = setTimeout(() => this.finish(), wait);
  }
}
