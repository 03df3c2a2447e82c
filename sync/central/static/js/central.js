// Small conveniences on head office's pages; every page works without them.
// - a form with data-confirm asks before it is sent (revoking, redacting);
// - a select inside a form with data-autosubmit sends the form when it changes (filters).

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  for (const control of form.querySelectorAll("select")) {
    control.addEventListener("change", () => form.requestSubmit());
  }
}
