"""A tip's audit trail in words: names for agencies, words for actions and fields.

The audit log keeps what the store keeps (`jurisdiction_id 5`, `victim_age_min`);
an analyst reads "jurisdiction: none → California ICAC Task Force". Values
from the log are shown literally, never as markup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rich.text import Text

from tipline_tui.domain.literal import literal
from tipline_tui.domain.triage import age_range_text
from tipline_tui.domain.views import AuditEntry
from tipline_tui.widgets.format import utc_text

ACTION_WORDS = {
    "view": "viewed the tip",
    "claim": "claimed",
    "release": "released",
    "priority": "set the priority",
    "info_only": "marked it information only",
    "labels": "set the labels",
    "victim_age": "set the victim age",
    "note": "added a note",
    "close": "closed",
    "reopen": "reopened",
    "assign": "assigned",
    "dispatch": "dispatched to an agency",
    "mark_pair": "judged a related tip",
    "conflict_resolved": "settled a sync conflict",
}
FIELD_WORDS = {
    "status": "status",
    "priority": "priority",
    "labels": "labels",
    "claimed_by": "claimed by",
    "jurisdiction_id": "jurisdiction",
    "body": "note",
}
_NOTHING = {"priority": "not set", "claimed_by": "nobody", "jurisdiction_id": "none"}
_AGE_KEYS = ("victim_age_min", "victim_age_max")


def action_words(action: str) -> str:
    """The action in words; an action this version does not know is shown as logged."""
    return ACTION_WORDS.get(action, action.replace("_", " "))


def _plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{_plain(k)} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "none"
    return literal(str(value), multiline=False)


def _field_value(key: str, value: Any, agencies: Mapping[int, str]) -> str:
    if value is None or value == []:
        return _NOTHING.get(key, "none")
    if key == "jurisdiction_id" and isinstance(value, int):
        name = agencies.get(value)
        return literal(name, multiline=False) if name else f"agency #{value}"
    return _plain(value)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _age(values: dict[str, Any]) -> str:
    low, high = (values.get(key) for key in _AGE_KEYS)
    return "not set" if low is None else age_range_text(low, high)


def _changes(entry: AuditEntry, agencies: Mapping[int, str]) -> Iterator[str]:
    """One line per field the entry changed, "field: before → after"; what only adds, as is."""
    before, after = _as_dict(entry.before), _as_dict(entry.after)
    if entry.action == "mark_pair" and after:
        verdict = "the same person" if after.get("same_person") else "not the same person"
        yield f"tip #{_plain(after.get('other'))}: {verdict}"
        return
    if entry.action == "conflict_resolved" and after:
        kept = "the analyst's own change" if after.get("kept") == "mine" else "the hub's"
        yield f"kept {kept} ({action_words(str(after.get('kind', '')))})"
        return
    if not isinstance(entry.before, dict | None) or not isinstance(entry.after, dict | None):
        yield f"{_plain(entry.before)} → {_plain(entry.after)}"  # not what tipline writes
        return
    if any(key in after for key in _AGE_KEYS):
        was = _age(before) if entry.before is not None else None
        yield "victim age: " + (f"{was} → {_age(after)}" if was is not None else _age(after))
    for key, value in after.items():
        if key in _AGE_KEYS or (key in before and before[key] == value):
            continue
        label = FIELD_WORDS.get(key, key.replace("_", " "))
        shown = _field_value(key, value, agencies)
        if key in before:
            shown = f"{_field_value(key, before[key], agencies)} → {shown}"
        yield f"{label}: {shown}"


def history_text(entries: list[AuditEntry], agencies: Mapping[int, str]) -> Text:
    """The tip's audit trail, oldest first: when, who, what they did, each change on its line."""
    text = Text()
    text.append("History (from the audit log; tipline audit verify checks it)\n", style="bold")
    if not entries:
        text.append("  nothing recorded yet\n")
    for e in entries:
        text.append(f"  {utc_text(e.at)}  {literal(e.actor, multiline=False)} ")
        text.append(action_words(e.action), style="bold")
        text.append("\n")
        for change in _changes(e, agencies):
            text.append(f"      {change}\n")
    return text


def agency_ids(entries: list[AuditEntry]) -> set[int]:
    """The agencies the entries name by id, to be looked up by name."""
    found: set[int] = set()
    for e in entries:
        for side in (e.before, e.after):
            value = _as_dict(side).get("jurisdiction_id")
            if isinstance(value, int):
                found.add(value)
    return found
