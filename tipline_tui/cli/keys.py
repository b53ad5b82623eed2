"""`tipline keys`: every binding's id, screens, default and current key, to find the id to map.

The current keys are those the settings' [keys] table gives, checked as the app checks
them at start: a table the app would refuse is refused here too, in the same words.
Textual and the screens are imported when the command runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from tipline_tui.cli.common import Commands


def add_commands(commands: Commands) -> None:
    keys = commands.add_parser(
        "keys",
        help="list every key binding: id, screen, default and current key ([keys] in settings)",
    )
    keys.add_argument("--json", action="store_true", help="machine-readable output")
    keys.set_defaults(func=list_keys)


def list_keys(args: argparse.Namespace) -> int:
    from tipline_tui.cli.output import safe_json
    from tipline_tui.keymap import app_keymap, app_scopes, binding_rows
    from tipline_tui.settings import load_settings

    rows = binding_rows(app_scopes(), app_keymap(load_settings()))
    if args.json:
        print(safe_json([asdict(row) for row in rows]))
        return 0
    header = ("id", "screen", "default", "current", "what it does")
    lines = [header] + [
        (
            row.id,
            ", ".join(row.screens),
            row.default,
            row.current,
            row.description,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        print("  ".join([*cells, line[-1]]).rstrip())
    return 0
