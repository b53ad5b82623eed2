"""One action pushed twice at once (a retry racing its first try, across two hub processes).

A tip's row lock makes the two take turns, so the second answers "duplicate". An action for
a tip the hub does not have locks no row: both found no first answer, both recorded one,
and the second's INSERT broke the action_id key, a 500. It must answer as a retry does.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select, text

from tests.test_hub import action, seed
from tipline_tui.hub.auth import authenticate
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.rules import apply_action
from tipline_tui.hub.tables import HubAction, table_of


def _blocked_on_a_lock(hub: HubDB) -> bool:
    """Some other session waits on a lock: the second push reached the first's row."""
    with hub.read() as conn:
        waiting = conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar_one()
    return bool(waiting)


def test_an_action_for_an_unknown_tip_pushed_twice_at_once_answers_duplicate(
    pg_hub: HubDB,
) -> None:
    tokens, _, _ = seed(pg_hub)
    ana = authenticate(pg_hub, "user", "ana", tokens["ana"].split(":", 1)[1])
    assert ana is not None
    pushed = action("claim", 999_999, 1)  # no such tip
    first_applied, release = threading.Event(), threading.Event()

    def first() -> dict[str, Any]:
        with pg_hub.write() as conn:
            answer = apply_action(conn, ana, pushed, pg_hub.now())
            first_applied.set()
            assert release.wait(30)
        return dict(answer)

    def second() -> dict[str, Any]:
        assert first_applied.wait(30)
        with pg_hub.write() as conn:
            return dict(apply_action(conn, ana, pushed, pg_hub.now()))

    with ThreadPoolExecutor(2) as pool:
        one, two = pool.submit(first), pool.submit(second)
        deadline = time.monotonic() + 10
        while not _blocked_on_a_lock(pg_hub) and time.monotonic() < deadline and not two.done():
            time.sleep(0.05)
        release.set()
        answers = [one.result(), two.result()]
    assert answers[0]["outcome"] == "rejected"
    assert answers[1]["outcome"] == "duplicate"
    assert answers[1]["first_outcome"] == "rejected"
    with pg_hub.read() as conn:
        recorded = conn.execute(select(func.count()).select_from(table_of(HubAction)))
        assert recorded.scalar_one() == 1
