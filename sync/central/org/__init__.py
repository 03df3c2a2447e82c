"""The organisation: sites, services, providers, kiosks, users, their passwords, sessions and content."""
