"""The kiosk's uploader: enrollment, batches to central, poison rows set aside, heartbeat, the loop."""
