"""Triage keys shared by the queue and the report screen.

The same key does the same thing on both: on the report screen it acts on
the open tip, on the queue on the selected tips (space) or else the tip
under the cursor. Actions that need one tip (claim, age, note, assign,
dispatch) refuse a multi-tip selection with a message rather than guess.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.binding import Binding
from textual.screen import Screen

from tipline_tui.domain.triage import CONTENT_LABELS as _LABELS
from tipline_tui.domain.triage import TriageError, age_range_text, clean_labels, parse_age_range
from tipline_tui.screens.prompts import PriorityPicker, TextPrompt
from tipline_tui.store import actions

TRIAGE_BINDINGS = [
    Binding("c", "triage_claim", "Claim", id="triage.claim"),
    Binding("e", "triage_priority('E')", "Set E", id="triage.e"),
    Binding("P", "triage_pick_priority", "Priority…", show=False, id="triage.priority"),
    Binding("i", "triage_priority('info')", "Info only", show=False, id="triage.info"),
    Binding("L", "triage_labels", "Labels…", show=False, id="triage.labels"),
    Binding("v", "triage_age", "Victim age…", show=False, id="triage.age"),
    Binding("N", "triage_note", "Note…", show=False, id="triage.note"),
    Binding("a", "triage_assign", "Assign", id="triage.assign"),
    Binding("d", "triage_dispatch", "Dispatch", id="triage.dispatch"),
    Binding("x", "triage_close", "Close/reopen", show=False, id="triage.close"),
]

LABEL_HINT = "Labels: " + ", ".join(_LABELS) + ". Other words become free tags."


class TriageTarget:
    """What a screen must tell the triage keys: which tips, and their current state."""

    def triage_ids(self) -> list[int]:
        raise NotImplementedError

    def triage_state(self) -> dict[str, Any] | None:
        """The single target's claimed_by, status, labels, victim ages, priority; or None."""
        raise NotImplementedError

    def after_triage(self) -> None:
        raise NotImplementedError


class TriageMixin(TriageTarget):
    """Action handlers for TRIAGE_BINDINGS; mix into a Screen that implements TriageTarget."""

    def _screen(self) -> Screen[Any]:
        assert isinstance(self, Screen)
        return self

    def _subject(self, ids: list[int]) -> str:
        return f"tip #{ids[0]}" if len(ids) == 1 else f"{len(ids)} selected tips"

    def _one(self, what: str) -> int | None:
        ids = self.triage_ids()
        if not ids:
            return None
        if len(ids) > 1:
            self._screen().notify(
                f"{what} works on one tip; clear the selection (esc) first", severity="warning"
            )
            return None
        return ids[0]

    async def _tip_state(self, report_id: int) -> dict[str, Any]:
        """The tip's analysis as stored now (the queue row does not carry labels or ages)."""
        tip = await self._screen().app.service.load_tip(report_id)  # type: ignore[attr-defined]
        if tip is None:
            return {}
        a = tip.analysis
        return {
            "labels": a.labels,
            "victim_age_min": a.victim_age_min,
            "victim_age_max": a.victim_age_max,
        }

    async def _perform(self, action: Any, *args: Any, **kw: Any) -> bool:
        result = await self._screen().app.perform(action, *args, **kw)  # type: ignore[attr-defined]
        if result is not None:
            self.after_triage()
        return result is not None

    async def _bulk(self, ids: list[int], action: str, value: Any = None) -> None:
        app = self._screen().app
        done, refused = await app.service.bulk(  # type: ignore[attr-defined]
            ids,
            action,
            value,
            analyst=app.analyst,
            now=app.now(),  # type: ignore[attr-defined]
        )
        message = f"{len(done)} of {len(ids)} tips: {action.replace('_', ' ')}"
        if refused:
            message += "\nnot done: " + "; ".join(refused[:3])
            message += f" (+{len(refused) - 3} more)" if len(refused) > 3 else ""
        app.notify(message, severity="warning" if refused else "information", markup=False)
        self.after_triage()

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_claim(self) -> None:
        report_id = self._one("Claiming")
        state = self.triage_state()
        if report_id is None or state is None:
            return
        mine = state.get("claimed_by") == self._screen().app.analyst  # type: ignore[attr-defined]
        await self._perform(actions.release if mine else actions.claim, report_id)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_priority(self, priority: str) -> None:
        await self._set_priority(priority)

    async def _set_priority(self, priority: str) -> None:
        ids = self.triage_ids()
        if len(ids) == 1:
            await self._perform(actions.set_priority, ids[0], priority)
        elif ids:
            await self._bulk(ids, "info_only" if priority == "info" else "priority", priority)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_pick_priority(self) -> None:
        ids = self.triage_ids()
        if not ids:
            return
        screen = self._screen()
        choice = await screen.app.push_screen_wait(PriorityPicker(self._subject(ids)))
        if choice:
            await self._set_priority(choice)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_labels(self) -> None:
        ids = self.triage_ids()
        if not ids:
            return
        state = await self._tip_state(ids[0]) if len(ids) == 1 else None
        current = " ".join(state.get("labels") or []) if state else ""
        verb = "Labels and tags for" if len(ids) == 1 else "Add labels to"
        answer = await self._screen().app.push_screen_wait(
            TextPrompt(
                f"{verb} {self._subject(ids)} (space or comma between)",
                value=current,
                hint=LABEL_HINT,
                check=lambda text: clean_labels(_words(text)),
            )
        )
        if answer is None:
            return
        if len(ids) == 1:
            await self._perform(actions.set_labels, ids[0], _words(answer))
        else:
            await self._bulk(ids, "labels", _words(answer))

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_age(self) -> None:
        report_id = self._one("Victim age")
        if report_id is None:
            return
        state = await self._tip_state(report_id)
        current = age_range_text(state.get("victim_age_min"), state.get("victim_age_max"))
        answer = await self._screen().app.push_screen_wait(
            TextPrompt(
                f"Estimated victim age for tip #{report_id}",
                value="" if current == "-" else current,
                placeholder="13 or 13-15; empty clears",
                check=parse_age_range,
            )
        )
        if answer is not None:
            low, high = parse_age_range(answer)
            await self._perform(actions.set_victim_age, report_id, low, high)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_note(self) -> None:
        report_id = self._one("A note")
        if report_id is None:
            return
        answer = await self._screen().app.push_screen_wait(
            TextPrompt(f"Note on tip #{report_id} (kept as written, never edited)")
        )
        if answer is not None and answer.strip():
            await self._perform(actions.add_note, report_id, answer)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_close(self) -> None:
        ids = self.triage_ids()
        if len(ids) > 1:
            await self._bulk(ids, "close")
            return
        state = self.triage_state()
        if not ids or state is None:
            return
        closed = state.get("status") == "closed"
        await self._perform(actions.reopen if closed else actions.close, ids[0])

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_assign(self) -> None:
        from tipline_tui.screens.assign import AssignScreen

        report_id = self._one("Assigning")
        if report_id is None:
            return
        app = self._screen().app
        agency_id = await app.push_screen_wait(AssignScreen(app.service, report_id))  # type: ignore[attr-defined]
        if agency_id is not None:
            await self._perform(actions.assign, report_id, agency_id)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def action_triage_dispatch(self) -> None:
        from tipline_tui.screens.dispatch import DispatchScreen

        report_id = self._one("Dispatching")
        if report_id is None:
            return
        app = self._screen().app
        await app.push_screen_wait(DispatchScreen(app.service, report_id))  # type: ignore[attr-defined]
        self.after_triage()


def _words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


__all__ = ["TRIAGE_BINDINGS", "TriageError", "TriageMixin"]
