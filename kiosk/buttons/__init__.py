"""The four physical smiley buttons and their LEDs (gpiozero), feeding the recorder."""
