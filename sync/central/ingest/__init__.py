"""Receiving kiosks' batches: every rating and follow-up kept once, gaps proven by sequence numbers."""
