"""What screens and widgets may use of the running app, typed: the session, its messages.

Screens never import `app.py` (it imports them). They reach the app through
`SessionNode.session`, typed by the `AppSession` protocol that `TiplineApp`
implements (mypy checks that in app.py), and hear of sync changes through the
`SyncChanged` message. A worker that raises on a `SessionNode` is reported as
a `WorkFailed` message to the app's one failure handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, WorkerState

from tipline_tui.domain.triage import TimeLimits

if TYPE_CHECKING:  # SQLAlchemy and the sync client: loaded after the queue's first paint
    from tipline_tui.store.actions import ActionResult
    from tipline_tui.store.queue_reads import QueueReads
    from tipline_tui.store.service import TipService
    from tipline_tui.sync.loop import SyncStatus


class AppSession(Protocol):
    """The app as its screens see it: who acts, on what store, at what time."""

    @property
    def service(self) -> TipService:
        """The store's service; made now if the app has not loaded it yet (issue 13)."""
        ...

    @property
    def queue(self) -> QueueReads:
        """The queue's windows and counts: readable before the service is loaded."""
        ...

    async def loaded_service(self) -> TipService:
        """The service once the app has loaded it, after the queue's first paint."""
        ...

    def queue_shown(self) -> None:
        """The queue's first rows are drawn: the app loads the rest of itself once they
        have reached the terminal."""
        ...

    @property
    def analyst(self) -> str: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def time_limits(self) -> TimeLimits: ...

    @property
    def hub_url(self) -> str | None: ...

    @property
    def exercise(self) -> str | None:
        """A training exercise's scenario when the store is one (no hub: nothing is sent)."""
        ...

    @property
    def sync_status(self) -> SyncStatus | None:
        """The latest sync state; None when no hub is configured."""
        ...

    def now(self) -> int: ...

    async def perform(
        self, action: Callable[..., ActionResult], *args: Any, **kw: Any
    ) -> ActionResult | None:
        """Run an analyst action as this analyst, now; say what happened or why not."""
        ...

    def poke_sync(self) -> None:
        """Sync soon (something was queued for the hub); nothing without a hub."""
        ...

    def hold_keys(self) -> None:
        """Keep the keys typed from now on until `release_keys`."""
        ...

    def release_keys(self) -> None: ...

    def open_tip(self, report_id: int) -> None: ...


class SyncChanged(Message):
    """The sync state changed; `pulled` when new changes came from the hub."""

    def __init__(self, status: SyncStatus, pulled: bool) -> None:
        super().__init__()
        self.status = status
        self.pulled = pulled


class WorkFailed(Message):
    """A worker raised: the app says so in words and logs the traceback."""

    def __init__(self, worker: Worker[Any]) -> None:
        super().__init__()
        self.worker = worker


class ReportsFailures:
    """Mix into a Screen or Widget that runs workers (before the Textual base class)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Hand a failed worker to the app (Textual tells only the worker's own node)."""
        if event.state is WorkerState.ERROR:
            assert isinstance(self, DOMNode)
            self.app.post_message(WorkFailed(event.worker))


class SessionNode(ReportsFailures):
    """Mix into a Screen of the tipline app: the typed session, failures reported."""

    @property
    def session(self) -> AppSession:
        assert isinstance(self, DOMNode)
        app = self.app
        # not isinstance(app, AppSession): that would read every member, `service` too,
        # loading what the queue's first paint goes without (mypy checks the protocol)
        assert getattr(app, "is_tipline_session", False), "a tipline screen runs inside TiplineApp"
        return cast(AppSession, app)


def failed(event: Worker.StateChanged, group: str) -> bool:
    """Whether `event` says a worker of `group` has just raised."""
    return event.state is WorkerState.ERROR and event.worker.group == group
