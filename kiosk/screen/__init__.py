"""The customer's screen: its page, the JSON API it posts to and the event stream it listens on."""
