"""The hub: ESP intake (/ispws), analyst sync (/v1), agency feed; SQLite or PostgreSQL."""
