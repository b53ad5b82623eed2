"""Pure domain types and rules: no I/O, no Textual, no SQL."""
