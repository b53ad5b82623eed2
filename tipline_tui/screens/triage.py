"""Triage keys shared by the queue and the report screen.

The same key does the same thing on both: on the report screen it acts on
the open tip, on the queue on the selected tips (space) or else the tip
under the cursor. Actions that need one tip (claim, age, note, assign,
dispatch) refuse a multi-tip selection with a message rather than guess.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from tipline_tui.domain.enums import is_urgent
from tipline_tui.domain.triage import CONTENT_LABELS as _LABELS
from tipline_tui.domain.triage import TriageError, age_range_text, clean_labels, parse_age_range
from tipline_tui.session import SessionNode
from tipline_tui.widgets.format import plural

if TYPE_CHECKING:
    from tipline_tui.screens.prompts import ConfirmPrompt
    from tipline_tui.store.actions import ActionResult

TRIAGE_BINDINGS = [
    Binding("c", "triage_claim", "Claim", priority=True, id="triage.claim"),
    Binding("e", "triage_priority('E')", "Set E", priority=True, id="triage.e"),
    Binding(
        "P", "triage_pick_priority", "Priority…", show=False, priority=True, id="triage.priority"
    ),
    Binding(
        "i", "triage_priority('info')", "Info only", show=False, priority=True, id="triage.info"
    ),
    Binding("L", "triage_labels", "Labels…", show=False, priority=True, id="triage.labels"),
    Binding("v", "triage_age", "Victim age…", show=False, priority=True, id="triage.age"),
    Binding("N", "triage_note", "Note…", show=False, priority=True, id="triage.note"),
    Binding("a", "triage_assign", "Assign", priority=True, id="triage.assign"),
    Binding("d", "triage_dispatch", "Dispatch", priority=True, id="triage.dispatch"),
    Binding("x", "triage_close", "Close/reopen", show=False, priority=True, id="triage.close"),
    Binding(
        "X",
        "triage_undo_close",
        "Reopen what x closed",
        show=False,
        priority=True,
        id="triage.reopen",
    ),
]

LABEL_HINT = "Labels: " + ", ".join(_LABELS) + ". Other words become free tags."


@dataclass(frozen=True, slots=True)
class TipDetails:
    """The part of a tip's analysis a queue row does not carry."""

    labels: tuple[str, ...] = ()
    victim_age_min: int | None = None
    victim_age_max: int | None = None


@dataclass(frozen=True, slots=True)
class TriageState:
    """The single target tip as the screen shows it; `details` None when not at hand."""

    claimed_by: str | None
    status: str
    priority: str | None
    details: TipDetails | None = None
    escalated: bool = False  # by the ESP: urgent until an analyst sets a priority

    @property
    def urgent(self) -> bool:
        return is_urgent(self.priority, self.escalated)


class TriageTarget:
    """What a screen must tell the triage keys: which tips, and their current state."""

    def triage_ids(self) -> list[int]:
        raise NotImplementedError

    def triage_state(self) -> TriageState | None:
        """The single target's state; None without one (nothing, or a selection)."""
        raise NotImplementedError

    def after_triage(self) -> None:
        raise NotImplementedError

    def after_reopen(self, report_ids: list[int]) -> None:
        """An undone close: show the tips again (the queue puts its cursor back on them)."""
        self.after_triage()

    def show_stored_state(self) -> None:
        """Show the tips as stored: an action that could not be saved changed nothing."""
        raise NotImplementedError


class TriageMixin(SessionNode, TriageTarget):
    """Action handlers for TRIAGE_BINDINGS; mix into a Screen that implements TriageTarget.

    The bindings are priority bindings: the app runs them as it reads each
    key, in order, so `c e a enter d y` typed in one burst acts in that order
    (an ordinary binding runs later, from the screen's queue, by which time
    the keys after it may already have gone to the wrong screen). While the
    analyst types in a text box they stand aside and the letter is typed.
    """

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("triage_") and isinstance(self._screen().focused, Input):
            return False
        return super().check_action(action, parameters)  # type: ignore[misc]  # Screen's method

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

    async def _tip_details(self, report_id: int) -> TipDetails:
        """The tip's analysis as stored now (the queue row does not carry labels or ages)."""
        tip = await self.session.service.load_tip(report_id)
        if tip is None:
            return TipDetails()
        a = tip.analysis
        return TipDetails(tuple(a.labels), a.victim_age_min, a.victim_age_max)

    async def _perform(
        self,
        action: Callable[..., ActionResult],
        *args: Any,
        after: Callable[[], None] | None = None,
        **kw: Any,
    ) -> bool:
        """Act, then `after` (else `after_triage`); if that raises (a full disk), show the
        tip's true state before the app says why."""
        try:
            result = await self.session.perform(action, *args, **kw)
        except Exception:
            self.show_stored_state()
            raise
        if result is not None:
            (after or self.after_triage)()
        return result is not None

    async def _bulk(self, ids: list[int], action: str, value: Any = None) -> list[int]:
        """One action over the selection; the ids it applied to."""
        session = self.session
        try:
            done, refused = await session.service.bulk(
                ids, action, value, analyst=session.analyst, now=session.now()
            )
        except Exception:
            self.show_stored_state()  # the selection stays, to try again
            raise
        self._say_bulk(len(done), len(ids), action.replace("_", " "), refused)
        self.after_triage()
        return [result.report_id for result in done]

    def _say_bulk(self, done: int, asked: int, what: str, refused: list[str]) -> None:
        message = f"{done} of {plural(asked, 'tip')}: {what}"
        if refused:
            message += "\nnot done: " + "; ".join(refused[:3])
            message += f" (+{len(refused) - 3} more)" if len(refused) > 3 else ""
        self._screen().notify(
            message, severity="warning" if refused else "information", markup=False
        )

    @work(group="triage", description="Claiming", exit_on_error=False)
    async def action_triage_claim(self) -> None:
        report_id = self._one("Claiming")
        state = self.triage_state()
        if report_id is None or state is None:
            return
        mine = state.claimed_by == self.session.analyst
        await self._perform(_actions().release if mine else _actions().claim, report_id)

    @work(group="triage", description="Setting the priority", exit_on_error=False)
    async def action_triage_priority(self, priority: str) -> None:
        await self._set_priority(priority)

    async def _set_priority(self, priority: str) -> None:
        ids = self.triage_ids()
        if len(ids) == 1:
            await self._perform(_actions().set_priority, ids[0], priority)
        elif ids:
            await self._bulk(ids, "info_only" if priority == "info" else "priority", priority)

    def _ask(self, screen: Screen[Any], then: Callable[[Any], Awaitable[None]], what: str) -> None:
        """Open a prompt now, in the key handler, so keys typed ahead land in it.

        (Opening it from a worker would let the next keys reach the screen
        below before the prompt exists.) The answer is acted on in a worker
        described as `what`, so a failure names it.
        """

        def answered(result: Any) -> None:
            if result is not None:
                self._run(then(result), what)

        self._screen().app.push_screen(screen, answered)

    def _run(self, work: Awaitable[None], what: str) -> None:
        self._screen().run_worker(work, group="triage", description=what, exit_on_error=False)

    def action_triage_pick_priority(self) -> None:
        ids = self.triage_ids()
        if ids:
            self._ask(
                _prompts().PriorityPicker(self._subject(ids)),
                self._set_priority,
                "Setting the priority",
            )

    def action_triage_labels(self) -> None:
        ids = self.triage_ids()
        if not ids:
            return
        state = self.triage_state() if len(ids) == 1 else None
        if state is not None and state.details is None:
            self._run(self._labels_loaded(ids), "Loading the labels")
            return
        details = state.details if state is not None else None
        self._labels_prompt(ids, details.labels if details is not None else ())

    async def _labels_loaded(self, ids: list[int]) -> None:
        details = await self._tip_details(ids[0])
        self._labels_prompt(ids, details.labels)

    def _labels_prompt(self, ids: list[int], current: tuple[str, ...]) -> None:
        verb = "Labels and tags for" if len(ids) == 1 else "Add labels to"

        async def then(answer: str) -> None:
            if len(ids) == 1:
                await self._perform(_actions().set_labels, ids[0], _words(answer))
            else:
                await self._bulk(ids, "labels", _words(answer))

        self._ask(
            _prompts().TextPrompt(
                f"{verb} {self._subject(ids)} (space or comma between)",
                value=" ".join(current) if len(ids) == 1 else "",
                hint=LABEL_HINT,
                check=lambda text: clean_labels(_words(text)),
            ),
            then,
            "Setting the labels",
        )

    def action_triage_age(self) -> None:
        report_id = self._one("Victim age")
        if report_id is None:
            return
        state = self.triage_state()
        if state is None or state.details is None:
            self._run(self._age_loaded(report_id), "Loading the victim age")
            return
        self._age_prompt(report_id, state.details)

    async def _age_loaded(self, report_id: int) -> None:
        self._age_prompt(report_id, await self._tip_details(report_id))

    def _age_prompt(self, report_id: int, details: TipDetails) -> None:
        current = age_range_text(details.victim_age_min, details.victim_age_max)

        async def then(answer: str) -> None:
            low, high = parse_age_range(answer)
            await self._perform(_actions().set_victim_age, report_id, low, high)

        self._ask(
            _prompts().TextPrompt(
                f"Estimated victim age for tip #{report_id}",
                value="" if current == "-" else current,
                placeholder="13 or 13-15; empty clears",
                check=parse_age_range,
            ),
            then,
            "Setting the victim age",
        )

    def action_triage_note(self) -> None:
        report_id = self._one("A note")
        if report_id is None:
            return

        async def then(answer: str) -> None:
            if answer.strip():
                await self._perform(_actions().add_note, report_id, answer)

        prompt = _prompts().TextPrompt(f"Note on tip #{report_id} (kept as written, never edited)")
        self._ask(prompt, then, "Adding the note")

    closed_last: tuple[int, ...] = ()  # what x last closed on this screen: X reopens it

    def action_triage_close(self) -> None:
        """x closes (or reopens a closed tip); an urgent tip, or a selection, asks first.

        The question opens here, in the key handler, so a `y` typed in the same
        burst answers it. Every close says how to undo it (X).
        """
        ids = self.triage_ids()
        state = self.triage_state()
        if not ids or (len(ids) == 1 and state is None):
            return
        if state is not None and state.status == "closed":
            self._run(self._reopen(ids), "Reopening")
            return
        question = _close_question(ids, state)
        if question is None:
            self._run(self._close(ids), "Closing")
            return

        async def then(yes: bool) -> None:
            if yes:
                await self._close(ids)

        self._ask(question, then, "Closing")

    async def _close(self, ids: list[int]) -> None:
        if len(ids) > 1:
            closed = await self._bulk(ids, "close")
        else:
            closed = ids if await self._perform(_actions().close, ids[0]) else []
        if not closed:
            return
        self.closed_last = tuple(closed)
        what = f"tip #{closed[0]}" if len(closed) == 1 else f"the {len(closed)} tips closed"
        self._screen().notify(f"X reopens {what}", title="Undo", timeout=10, markup=False)

    def action_triage_undo_close(self) -> None:
        if not self.closed_last:
            self._screen().notify(
                "Nothing closed here to reopen. f shows closed tips; x reopens one.",
                markup=False,
            )
            return
        self._run(self._reopen(list(self.closed_last)), "Reopening")

    async def _reopen(self, ids: list[int]) -> None:
        """The reopen rule (domain/transitions.py) for each; it syncs like any action."""
        if len(ids) == 1:
            done = await self._perform(
                _actions().reopen, ids[0], after=lambda: self.after_reopen(ids)
            )
            reopened = ids if done else []
        else:
            reopened = await self._reopen_many(ids)
        self.closed_last = tuple(i for i in self.closed_last if i not in reopened)

    async def _reopen_many(self, ids: list[int]) -> list[int]:
        session = self.session
        reopened: list[int] = []
        refused: list[str] = []
        try:
            for report_id in ids:
                try:
                    await session.service.act(
                        _actions().reopen, report_id, analyst=session.analyst, now=session.now()
                    )
                except TriageError as exc:
                    refused.append(f"#{report_id}: {exc}")
                else:
                    reopened.append(report_id)
        except Exception:
            self.show_stored_state()
            raise
        finally:
            session.poke_sync()
        self._say_bulk(len(reopened), len(ids), "reopened", refused)
        self.after_reopen(reopened or ids)
        return reopened

    def action_triage_assign(self) -> None:
        from tipline_tui.screens.assign import AssignScreen

        report_id = self._one("Assigning")
        if report_id is None:
            return

        async def then(_agency_id: int) -> None:
            self.after_triage()  # the assign screen has assigned it

        self.session.hold_keys()  # released when the list has loaded
        self._ask(AssignScreen(report_id), then, "Assigning")

    def action_triage_dispatch(self) -> None:
        from tipline_tui.screens.dispatch import DispatchScreen

        report_id = self._one("Dispatching")
        if report_id is None:
            return

        async def then(_sent: bool) -> None:
            self.after_triage()

        self._ask(DispatchScreen(report_id), then, "Dispatching")


def _prompts() -> ModuleType:
    """The dialogs the triage keys open, imported when first asked for."""
    from tipline_tui.screens import prompts

    return prompts


def _actions() -> ModuleType:
    """The store's analyst actions, imported when a tip is first acted on: SQLAlchemy is
    not needed to paint the queue (issue 13)."""
    from tipline_tui.store import actions

    return actions


def _close_question(ids: list[int], state: TriageState | None) -> ConfirmPrompt | None:
    """The question before x closes, or None when one key may close (a single calm tip)."""
    if len(ids) > 1:
        return _prompts().ConfirmPrompt(
            f"Close {len(ids)} selected tips?",
            "They leave the open queue. X reopens them.",
            yes="close them",
            no="keep them open",
        )
    if state is None or not state.urgent:
        return None
    why = "priority E" if state.priority == "E" else "escalated by the ESP"
    return _prompts().ConfirmPrompt(
        f"Close urgent tip #{ids[0]}?",
        f"It is urgent ({why}). Closed, it leaves the open queue and on-call; X reopens it.",
        yes="close it",
        no="keep it open",
    )


def _words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


__all__ = ["TRIAGE_BINDINGS", "TipDetails", "TriageError", "TriageMixin", "TriageState"]
