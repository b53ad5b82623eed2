"""Keys users can own: the settings' [keys] table checked against every screen's bindings.

Terminals, multiplexers and SSH clients swallow some keys (a tmux prefix, Home/End
never sent, a layout other than QWERTY), so any binding with an id may be given
other keys. The table is checked whole before the app starts: an unknown id, an
unknown key name, or a key that two bindings would share on one screen is refused
with one line naming the file, the entry and the clash, so the app never runs
half-mapped. Textual applies the checked map (`App.set_keymap`); a remapped binding
keeps everything but its key, its priority too, so keys typed ahead still run in order.

A screen's keys are those of the screen, the widgets that take the focus there and,
unless the screen is a dialog, the app's: `app_scopes` lists them, the one place
that must follow a new screen (tests/test_keymap.py checks it does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, _character_to_key, key_to_character

from tipline_tui.settings_file import FirstPaintSettings, SettingsError

if TYPE_CHECKING:  # pydantic: not needed to check a [keys] table
    from tipline_tui.settings import AppSettings

MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # Textual's order: sorted
EVERYWHERE = "everywhere"  # the app's own bindings, on every screen but dialogs
NAMED_KEYS = frozenset(
    {
        *("up", "down", "left", "right", "home", "end", "pageup", "pagedown"),
        *("insert", "delete", "backspace", "tab", "enter", "escape", "space"),
        *(f"f{n}" for n in range(1, 25)),
    }
)


class KeymapError(SettingsError):
    """The [keys] table cannot be used; one line naming the file, the entry and why."""


@dataclass(frozen=True)
class Scope:
    """The bindings live together on one screen: a key may reach only one of them."""

    name: str
    bindings: tuple[Binding, ...]  # one key each, as Textual expands "j,down"
    declared: tuple[Binding, ...] = ()  # the screen's own, as written: "down,j"


@dataclass(frozen=True)
class BindingRow:
    """One line of `tipline keys`."""

    id: str
    screens: tuple[str, ...]
    description: str
    default: str
    current: str


def normalize_key(text: str) -> str:
    """One key as Textual names it ("?" -> "question_mark", "shift+ctrl+x" -> "ctrl+shift+x");
    ValueError for a name no terminal key has."""
    text = text.strip()
    if len(text) == 1:
        if not text.isprintable():
            raise ValueError(f"{text!r} is not a key name")
        return _character_to_key(text)
    if text.endswith("++"):  # "ctrl++": the plus key itself
        modifiers, base = text[:-2].split("+"), "+"
    else:
        *modifiers, base = text.split("+")
    unknown = [m for m in modifiers if m.lower() not in MODIFIERS]
    if unknown or len({m.lower() for m in modifiers}) != len(modifiers):
        raise ValueError(f"{text!r} is not a key name (modifiers: {', '.join(MODIFIERS)})")
    modifiers = sorted(m.lower() for m in modifiers)
    if modifiers == ["shift"] and len(base) == 1 and base.isalpha():
        return base.upper()  # a terminal sends shift+k as K
    return "+".join([*modifiers, _base_key(base, modified=bool(modifiers), text=text)])


def _base_key(base: str, *, modified: bool, text: str) -> str:
    if len(base) == 1 and base.isprintable() and base != " ":
        return _character_to_key(base.lower() if modified else base)
    if base.lower() in NAMED_KEYS:
        return base.lower()
    if key_to_character(REPLACED_KEYS.get(base, base)):  # a character's name: slash, at
        return base
    raise ValueError(f"{text!r} is not a key name (a character, or one of: {_named_keys()})")


def _named_keys() -> str:
    return ", ".join(sorted(k for k in NAMED_KEYS if not k.startswith("f"))) + ", f1…f24"


def normalize_keys(text: str) -> str:
    """A comma-separated list of keys, each normalized, repeats dropped."""
    keys = [normalize_key(part) for part in text.split(",") if part.strip()]
    if not keys:
        raise ValueError("no key given")
    return ",".join(dict.fromkeys(keys))


def written_keys(keys: str) -> str:
    """Keys as a user writes them in [keys] ("question_mark" -> "?"), which
    `normalize_keys` reads back; a comma and named keys keep their names."""

    def written(key: str) -> str:
        *modifiers, base = key.split("+") if not key.endswith("++") else [key]
        if base in NAMED_KEYS:
            return key
        character = key_to_character(REPLACED_KEYS.get(base, base))
        if character is None or character in ", " or not character.isprintable():
            return key
        return "+".join([*modifiers, character])

    return ",".join(written(key.strip()) for key in keys.split(","))


def remapped(bindings: Iterable[BindingType], keymap: Mapping[str, str]) -> list[BindingType]:
    """`bindings` with the keys the keymap gives them, as Textual will bind them."""
    return [
        b.with_key(keymap[b.id]) if isinstance(b, Binding) and b.id and b.id in keymap else b
        for b in bindings
    ]


def current_keys(binding: Binding, keymap: Mapping[str, str]) -> str:
    return keymap.get(binding.id or "", binding.key)


def bindings_of(*nodes: type[DOMNode]) -> tuple[Binding, ...]:
    """Every binding the classes carry, their bases' (Textual's own) included."""
    return tuple(
        binding
        for node in nodes
        for bindings in node._merge_bindings().key_to_bindings.values()
        for binding in bindings
    )


def declared_bindings(*nodes: type[DOMNode]) -> tuple[Binding, ...]:
    """The bindings with an id the classes (and their bases) declare, keys as written."""
    return tuple(
        binding
        for node in nodes
        for base in reversed(node.__mro__)
        for binding in base.__dict__.get("BINDINGS", ())
        if isinstance(binding, Binding) and binding.id
    )


def scope(name: str, *nodes: type[DOMNode], app: tuple[Scope, ...] = ()) -> Scope:
    """The screen `name` made of these classes' bindings, with those of `app` (a scope)."""
    return Scope(
        name,
        tuple(b for s in app for b in s.bindings) + bindings_of(*nodes),
        tuple(b for s in app for b in s.declared) + declared_bindings(*nodes),
    )


def checked_keymap(
    entries: Mapping[str, str], scopes: Sequence[Scope], where: str
) -> dict[str, str]:
    """The [keys] table normalized for `App.set_keymap`, or KeymapError naming `where`
    (the settings file), the entry, and the unknown id or key or the clash."""
    known = {b.id for screen in scopes for b in screen.bindings if b.id}
    keymap: dict[str, str] = {}
    for binding_id, text in entries.items():
        entry = f"{where}: [keys] {binding_id} = {json.dumps(text)}"
        if binding_id not in known:
            raise KeymapError(f"{entry}: no binding has that id (`tipline keys` lists them)")
        try:
            keymap[binding_id] = normalize_keys(text)
        except ValueError as exc:
            raise KeymapError(f"{entry}: {exc}") from None
    for screen in scopes:
        clash = _clash(screen, keymap)
        if clash is not None:
            binding_id, key, other = clash
            entry = f"{where}: [keys] {binding_id} = {json.dumps(entries[binding_id])}"
            where_it_is = f"{_named(other)} on the {screen.name} screen"
            raise KeymapError(f"{entry}: {key} is already {where_it_is}")
    return keymap


def _identity(binding: Binding) -> str:
    return binding.id or f"textual:{binding.action}"


def _named(binding: Binding) -> str:
    what = f"{binding.description!r}" if binding.description else binding.action
    return f"{what} ({binding.id})" if binding.id else f"Textual's own {what}"


def _clash(scope: Scope, keymap: Mapping[str, str]) -> tuple[str, str, Binding] | None:
    """(entry id, key, the binding it meets) for the first key the keymap gives two
    bindings on this screen; keys two bindings share by default are left as they are."""
    default: dict[str, set[str]] = {}
    mapped: dict[str, dict[str, Binding]] = {}
    for binding in scope.bindings:
        default.setdefault(binding.key, set()).add(_identity(binding))
        for key in current_keys(binding, keymap).split(","):
            mapped.setdefault(key, {})[_identity(binding)] = binding
    for binding_id in keymap:  # in the file's order: the first entry that clashes is named
        for key in keymap[binding_id].split(","):
            owners = mapped.get(key, {})
            if binding_id not in owners or len(owners) < 2:
                continue
            for identity, other in owners.items():
                shared_before = {binding_id, identity} <= default.get(key, set())
                if identity != binding_id and not shared_before:
                    return binding_id, key, other
    return None


def binding_rows(scopes: Sequence[Scope], keymap: Mapping[str, str]) -> list[BindingRow]:
    """Every binding with an id, once, with the screens it is on: what `tipline keys` shows."""
    found: dict[str, tuple[list[str], Binding]] = {}
    for where in scopes:
        for binding in where.declared:
            screens, _ = found.setdefault(binding.id or "", ([], binding))
            if where.name not in screens and EVERYWHERE not in screens:
                screens.append(where.name)
    return [
        BindingRow(
            binding_id,
            tuple(screens),
            binding.description,
            written_keys(binding.key),
            written_keys(keymap.get(binding_id, binding.key)),
        )
        for binding_id, (screens, binding) in found.items()
    ]


def app_scopes() -> list[Scope]:
    """Every screen's bindings, with the app's where they reach (dialogs: its priority ones).

    Imported here, not at the top: the app imports this module for `remapped`."""
    from textual.containers import VerticalScroll
    from textual.widgets import Input, OptionList

    from tipline_tui.app import TiplineApp
    from tipline_tui.screens.assign import AssignScreen
    from tipline_tui.screens.conflicts import ConflictsScreen
    from tipline_tui.screens.dispatch import DispatchScreen
    from tipline_tui.screens.help import HelpScreen
    from tipline_tui.screens.prompts import ConfirmPrompt, PriorityPicker, TextPrompt
    from tipline_tui.screens.quarantine import DocumentList, QuarantineScreen
    from tipline_tui.screens.queue import QueueScreen
    from tipline_tui.screens.report import ReportScreen
    from tipline_tui.widgets.queue_table import QueueTable

    app = scope(EVERYWHERE, TiplineApp)
    # a dialog cuts the app's bindings off, all but its priority ones
    over_dialogs = (Scope("", tuple(b for b in app.bindings if b.priority)),)
    everywhere = (app,)
    return [
        app,
        scope("queue", QueueScreen, QueueTable, Input, app=everywhere),
        scope("report", ReportScreen, VerticalScroll, OptionList, app=everywhere),
        scope("conflicts", ConflictsScreen, OptionList, app=everywhere),
        scope("quarantine", QuarantineScreen, DocumentList, VerticalScroll, app=everywhere),
        scope("help", HelpScreen, VerticalScroll, app=over_dialogs),
        scope("priority", PriorityPicker, app=over_dialogs),
        scope("text prompt", TextPrompt, Input, app=over_dialogs),
        scope("confirm", ConfirmPrompt, app=over_dialogs),
        scope("assign", AssignScreen, Input, OptionList, app=over_dialogs),
        scope("dispatch", DispatchScreen, app=over_dialogs),
    ]


def app_keymap(settings: AppSettings | FirstPaintSettings) -> dict[str, str]:
    """The settings' [keys] checked against the app's screens (KeymapError if refused).
    Only then are all the screens imported: none when no keys are set."""
    if not settings.keys:
        return {}
    return checked_keymap(settings.keys, app_scopes(), f"settings {settings.config}")
