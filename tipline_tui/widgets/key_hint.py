"""The key a line of text names for a binding, as the user's [keys] table maps it.

Dialogs print their keys in words ("y  dispatch    esc  cancel"), not in the footer,
so they must ask which key a binding has now; the app keeps the checked map.
"""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding


def key_hint(app: App[object], binding_id: str, default: str) -> str:
    """The key a dialog's key line names for a binding: the user's first mapped key as
    the footer shows it, else `default`, so a hint never names a key that no longer acts."""
    keys = getattr(app, "keymap", {}).get(binding_id)
    if not keys:
        return default
    return app.get_key_display(Binding(keys.split(",")[0], ""))
