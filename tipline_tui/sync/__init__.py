"""The analyst side of sync: pull the hub's change feed, push the outbox."""
