"""The store manager's screens behind the PIN: today, the week, pause, and the figures they show."""
