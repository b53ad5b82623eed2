"""Notes are notes: the same author writing the same text twice is two notes on every store.

A note is known by the action that wrote it (the hub's feed carries that
action_id) and by the hub's note_id, never by its author and text. Real
hub on 127.0.0.1; synthetic data only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import simple_report
from tests.hub_helpers import ThreadHub
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_reports
from tipline_tui.store import Store, actions, open_store, sync_state
from tipline_tui.store.reports import write_reports
from tipline_tui.sync.client import HubConfig, SyncClient

NOW = 1_790_000_000


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: NOW)
    yield hub
    hub.close()


@pytest.fixture
def server(hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    running = ThreadHub(hub, tmp_path / "evidence").start()
    yield running
    running.stop()


def _client(hub: HubDB, url: str, store: Store, name: str) -> SyncClient:
    with hub.write() as conn:
        secret = create_account(conn, kind="user", name=name, role="analyst", now=NOW)
    return SyncClient(store, HubConfig(url, f"{name}:{secret}"), clock=lambda: NOW)


def _notes(store: Store) -> list[tuple[str, str]]:
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT author, body FROM note ORDER BY hub_id, id").all()
    return [(author, body) for author, body in rows]


def _note(store: Store, author: str, body: str) -> None:
    with store.write() as conn:
        local = conn.exec_driver_sql("SELECT id FROM report").scalar_one()
        actions.add_note(conn, local, body, analyst=author, now=NOW)


async def test_the_same_text_twice_is_two_notes_and_anothers_is_a_third(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    import_reports(hub, [report_to_xml(simple_report(1))])
    stores = {name: open_store(tmp_path / f"{name}.sqlite") for name in ("ana", "ben")}
    clients = {name: _client(hub, server.url, stores[name], name) for name in stores}
    for client in clients.values():
        await client.sync_once()
    _note(stores["ana"], "ana", "same text")
    _note(stores["ana"], "ana", "same text")
    await clients["ana"].sync_once()  # pushes both, pulls both back: each finds its own
    await clients["ben"].sync_once()
    twice = [("ana", "same text")] * 2
    assert _notes(stores["ana"]) == _notes(stores["ben"]) == twice
    _note(stores["ben"], "ben", "same text")
    await clients["ben"].sync_once()
    await clients["ana"].sync_once()
    assert _notes(stores["ana"]) == _notes(stores["ben"]) == [*twice, ("ben", "same text")]
    with stores["ana"].write() as conn:  # a page pulled again adds nothing
        sync_state.apply_changes(conn, [], 0)
    await clients["ana"].sync_once()
    assert len(_notes(stores["ana"])) == 3
    with hub.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hub_note").scalar() == 3
    for client in clients.values():
        await client.aclose()


def test_a_schema_5_store_gives_its_notes_their_actions_ids(tmp_path: Path) -> None:
    """Notes written before schema 6 still match their hub copies when those come back."""
    path = tmp_path / "old.sqlite"
    store = open_store(path)
    _write_two_notes(store)
    store.close()
    with sqlite3.connect(path) as raw:  # back to schema 5: the note table without ids
        for column in ("action_id", "hub_id"):
            raw.execute(f"DROP INDEX ix_note_{column}")
            raw.execute(f"ALTER TABLE note DROP COLUMN {column}")
        raw.execute("PRAGMA user_version = 5")
    store = open_store(path)
    with store.read() as conn:
        noted = conn.exec_driver_sql("SELECT action_id FROM note ORDER BY id").scalars().all()
        sent = conn.exec_driver_sql(
            "SELECT action_id FROM outbox WHERE kind = 'note' ORDER BY id"
        ).scalars()
        assert noted == list(sent) and len(set(noted)) == 2
    store.close()


def _write_two_notes(store: Store) -> None:
    with store.write() as conn:
        write_reports(conn, [simple_report(1)], now=NOW)
    _note(store, "ana", "same text")
    _note(store, "ana", "same text")
