// Physical button presses reach the screen as Server-Sent Events. The server
// ends every stream within a minute (so a screen cannot hold a server thread
// for ever) and EventSource reopens it by itself; we only step in when the
// browser has given up (readyState CLOSED, e.g. after an HTTP error, such as the
// 503 a kiosk answers when all its stream slots are taken).

const REOPEN_MS = 5000;

// Between 5 and 10 seconds: screens refused together do not all return together.
const reopenDelay = () => REOPEN_MS * (1 + Math.random());

/**
 * Call onRating(event) for each `rating` event; onConnected(bool) as the
 * stream opens and drops.
 */
export function listen(url, { onRating, onConnected }) {
  let source;
  const open = () => {
    source = new EventSource(url);
    source.addEventListener("open", () => onConnected(true));
    source.addEventListener("error", () => {
      onConnected(false);
      if (source.readyState === EventSource.CLOSED) setTimeout(open, reopenDelay());
    });
    source.addEventListener("rating", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        console.warn("ignored a malformed rating event:", error);
        return;
      }
      onRating(event);
    });
  };
  open();
}
