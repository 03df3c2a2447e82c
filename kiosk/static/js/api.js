// The two calls the screen makes. Each answers with a plain outcome instead
// of throwing, because whatever goes wrong the customer is thanked the same:
// the screen never shows an error.

const TIMEOUT_MS = 15000; // longer than the server's busy timeout, so a 503 arrives first

async function postJSON(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    cache: "no-store",
    // keepalive lets a follow-up finish even if the page navigates right after.
    keepalive: true,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

/**
 * Store a tap. Resolves to {kind: "stored", id, filtered, key} | {kind: "stale"} | {kind: "failed"};
 * *key* is the follow-up key only this screen was given for the rating.
 */
export async function postRating(rating, questionVersion) {
  try {
    const response = await postJSON("/api/ratings", { rating, question_version: questionVersion });
    if (response.status === 201) {
      const body = await response.json();
      return { kind: "stored", id: body.id, filtered: body.filtered, key: body.followup_key };
    }
    // 409: the question changed while this page showed the old one.
    return { kind: response.status === 409 ? "stale" : "failed" };
  } catch (error) {
    // Network down, server gone, timed out, or a body that is not JSON.
    console.warn("rating not stored:", error);
    return { kind: "failed" };
  }
}

/**
 * Store the answer to "what mattered most?" for the rating {id, key} (the key from its 201 answer or
 * its stream event). Resolves to true when stored.
 */
export async function postFollowup(stored, reason, comment) {
  const body = { reason, followup_key: stored.key };
  if (comment.trim()) body.comment = comment;
  try {
    const response = await postJSON(`/api/ratings/${encodeURIComponent(stored.id)}/followup`, body);
    return response.status === 201;
  } catch (error) {
    console.warn("follow-up not stored:", error);
    return false;
  }
}
