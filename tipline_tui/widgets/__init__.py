"""Reusable widgets. They read data through services, never SQL."""
