"""Analysts' stores syncing with a real hub on 127.0.0.1: the client side of issue 6."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import simple_report
from tests.hub_helpers import ThreadHub
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.hub.auth import create_account
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_agencies, import_reports
from tipline_tui.store import Store, actions, open_store, sync_state
from tipline_tui.store.tip_load import load_tip
from tipline_tui.sync.client import (
    HubConfig,
    HubRefused,
    HubUnavailable,
    SyncClient,
    SyncConfigError,
    check_hub_url,
)
from tipline_tui.sync.loop import SyncLoop, backoff_delay

NOW = 1_790_000_000
OHIO = Agency(kind="icac", name="Ohio ICAC Task Force (DEMO)", state="OH", country="US")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubDB]:
    hub = open_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: NOW)
    import_agencies(hub, [OHIO])
    yield hub


def _account(hub: HubDB, name: str, kind: str = "user", **kw: object) -> str:
    with hub.write() as conn:
        secret = create_account(conn, kind=kind, name=name, now=NOW, **kw)  # type: ignore[arg-type]
    return f"{name}:{secret}"


@pytest.fixture
def server(hub: HubDB, tmp_path: Path) -> Iterator[ThreadHub]:
    running = ThreadHub(hub, tmp_path / "evidence").start()
    yield running
    running.stop()


def _store(tmp_path: Path, name: str) -> Store:
    return open_store(tmp_path / f"{name}.sqlite")


def _client(store: Store, url: str, token: str) -> SyncClient:
    return SyncClient(store, HubConfig(url, token), clock=lambda: NOW)


def _local(store: Store, hub_id: int) -> int:
    with store.read() as conn:
        return int(
            conn.exec_driver_sql("SELECT id FROM report WHERE hub_id = ?", (hub_id,)).scalar()
        )


async def test_a_full_round_pull_triage_dispatch_agency_ack(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    esp_secret = _account(hub, "Example ESP (demo)", kind="esp").split(":", 1)[1]
    async with httpx.AsyncClient(
        base_url=f"{server.url}/ispws", auth=("Example ESP (demo)", esp_secret)
    ) as esp:  # the ESP files its report through the CyberTipline Reporting API
        submitted = await esp.post(
            "/submit",
            content=report_to_xml(simple_report(1)),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        hub_id = int(submitted.text.split("<reportId>")[1].split("<")[0])
        finished = await esp.post("/finish", data={"id": str(hub_id)})
        assert "<responseCode>0</responseCode>" in finished.text
    token = _account(hub, "ana", role="analyst")
    store = _store(tmp_path, "ana")
    client = _client(store, server.url, token)
    first = await client.sync_once()
    assert first.pulled >= 2  # the agency and the report
    local = _local(store, hub_id)
    with store.read() as conn:
        agency_id = conn.exec_driver_sql("SELECT id FROM agency").scalar()
    with store.write() as conn:
        actions.claim(conn, local, analyst="ana", now=NOW)
        actions.set_priority(conn, local, "E", analyst="ana", now=NOW)
        actions.add_note(conn, local, "Synthetic note", analyst="ana", now=NOW)
        actions.assign(conn, local, agency_id, analyst="ana", now=NOW)
        actions.dispatch(conn, local, agency_id, analyst="ana", now=NOW, contents={"related": []})
    second = await client.sync_once()
    assert second.pushed == 5 and second.counts.pending == 0 and second.counts.conflicts == 0

    with hub.write() as conn:
        hub_agency = conn.exec_driver_sql("SELECT id FROM agency").scalar()
    agency_token = _account(hub, "ohio", kind="agency", agency_id=hub_agency)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {agency_token}"}
    ) as agency:
        page = (await agency.get("/v1/agency/referrals", params={"since": 0})).json()
        (referral,) = page["referrals"]
        assert referral["report_id"] == hub_id
        ack = await agency.post(f"/v1/agency/referrals/{referral['referral_id']}/ack")
        assert ack.status_code == 200

    await client.sync_once()
    with store.read() as conn:
        tip = load_tip(conn, local)
    await client.aclose()
    assert tip is not None
    assert tip.analysis.priority == "E" and tip.analysis.claimed_by == "ana"
    assert [n.body for n in tip.analysis.notes] == ["Synthetic note"]  # not doubled by the pull
    assert [(r.status, r.acknowledged_at is not None) for r in tip.analysis.referrals] == [
        ("acknowledged", True)
    ]


async def test_work_goes_on_while_the_hub_is_down_then_everything_is_pushed(
    hub: HubDB, tmp_path: Path
) -> None:
    (hub_id,) = import_reports(hub, [report_to_xml(simple_report(1))])
    token = _account(hub, "ana", role="analyst")
    store = _store(tmp_path, "ana")
    server = ThreadHub(hub, tmp_path / "evidence").start()
    client = _client(store, server.url, token)
    await client.sync_once()
    server.stop()
    local = _local(store, hub_id)
    with store.write() as conn:
        actions.claim(conn, local, analyst="ana", now=NOW)
        actions.set_labels(conn, local, ["sextortion"], analyst="ana", now=NOW)
    with pytest.raises(HubUnavailable):
        await client.sync_once()
    with store.read() as conn:
        assert sync_state.counts(conn).pending == 2  # nothing lost, nothing half-sent
    await client.aclose()

    restarted = _same_port(hub, tmp_path, server.port)  # the hub comes back where it was
    client = _client(store, restarted.url, token)
    result = await client.sync_once()
    await client.aclose()
    restarted.stop()
    assert result.pushed == 2 and result.counts.pending == 0
    with hub.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT claimed_by, labels, version FROM hub_report WHERE id = ?", (hub_id,)
        ).one()
    assert row[0] == "ana" and "sextortion" in row[1] and row[2] == 3


def _same_port(hub: HubDB, tmp_path: Path, port: int) -> ThreadHub:
    return ThreadHub(hub, tmp_path / "evidence", port=port).start()


async def _two_analysts(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> tuple[int, dict[str, Store], dict[str, SyncClient]]:
    """One tip on the hub, pulled by ana and bob into stores of their own."""
    (hub_id,) = import_reports(hub, [report_to_xml(simple_report(1))])
    stores, clients = {}, {}
    for name in ("ana", "bob"):
        stores[name] = _store(tmp_path, name)
        clients[name] = _client(stores[name], server.url, _account(hub, name, role="analyst"))
        await clients[name].sync_once()
    return hub_id, stores, clients


async def test_two_analysts_dispatch_the_same_tip_one_applies_one_conflicts(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    hub_id, stores, clients = await _two_analysts(hub, server, tmp_path)
    for name, store in stores.items():
        local = _local(store, hub_id)
        with store.read() as conn:
            agency_id = conn.exec_driver_sql("SELECT id FROM agency").scalar()
        with store.write() as conn:
            actions.dispatch(conn, local, agency_id, analyst=name, now=NOW, contents={})
    ana = await clients["ana"].sync_once()
    bob = await clients["bob"].sync_once()
    assert ana.counts.conflicts == 0 and bob.counts.conflicts == 1
    with stores["bob"].read() as conn:
        (conflict,) = sync_state.conflicts(conn)
        tip = load_tip(conn, _local(stores["bob"], hub_id))
    assert conflict.kind == "dispatch" and conflict.hubs  # the hub's state came back
    assert tip is not None and tip.analysis.status == "referred"  # shown as the hub has it
    with hub.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hub_referral").scalar() == 1
    for client in clients.values():
        await client.aclose()


async def test_hostile_text_in_a_pulled_report_is_stored_as_sent_and_shown_inert(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    from dataclasses import replace

    from tests.tui_helpers import make_app, settle, static_text

    # XML 1.0 cannot carry ESC itself; C1 CSI (U+009B) starts the same sequences on many terminals
    hostile = "\u009b2J\u009d0;owned\u009c[b]bold?[/b] \u202eevil"
    report = replace(simple_report(1, escalated=True), escalate_to_high_priority=hostile)
    (hub_id,) = import_reports(hub, [report_to_xml(report)])
    store = _store(tmp_path, "ana")
    client = _client(store, server.url, _account(hub, "ana", role="analyst"))
    await client.sync_once()
    await client.aclose()
    with store.read() as conn:
        stored = load_tip(conn, _local(store, hub_id))
    assert stored is not None and stored.report.escalate_to_high_priority == hostile
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_tip(_local(store, hub_id))
        await settle(pilot)
        summary = static_text(app, "#text-summary")
    assert "[b]bold?[/b]" in summary and "<RLO>" in summary
    assert not any(c in summary for c in "\u009b\u009d\u009c\u202e")


async def test_wrong_token_is_refused_not_retried(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    store = _store(tmp_path, "ana")
    client = _client(store, server.url, "ana:not-the-secret")
    with pytest.raises(HubRefused, match="refused the token"):
        await client.sync_once()
    loop = SyncLoop(client)
    await loop.round()
    assert loop.status.refused and not loop.status.online
    await client.aclose()


async def test_a_throttled_client_backs_off_and_retries_instead_of_giving_up(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    token = _account(hub, "ana", role="analyst")
    store = _store(tmp_path, "ana")
    guesser = _client(store, server.url, "mallory:guess")
    for _ in range(30):  # refused guesses from this address until the hub says wait (429)
        try:
            await guesser.sync_once()
        except HubUnavailable:
            break
        except HubRefused:
            continue
    else:
        raise AssertionError("the hub never throttled 30 refused tokens from one address")
    await guesser.aclose()
    client = _client(store, server.url, token)  # a good token, not yet verified, same address
    with pytest.raises(HubUnavailable, match="wait"):
        await client.sync_once()
    loop = SyncLoop(client)
    await loop.round()
    assert not loop.status.refused  # a pause, not a settings problem: the loop will retry
    await client.aclose()


def test_plain_http_only_to_loopback_and_backoff_is_capped_with_jitter() -> None:
    assert check_hub_url("http://127.0.0.1:8740/") == "http://127.0.0.1:8740"
    assert check_hub_url("https://hub.example.org") == "https://hub.example.org"
    with pytest.raises(SyncConfigError, match="refusing plain http"):
        check_hub_url("http://hub.example.org")
    assert check_hub_url("http://hub.example.org", insecure=True)
    with pytest.raises(SyncConfigError, match="not in the URL"):
        check_hub_url("https://ana:secret@hub.example.org")
    assert "secret" not in repr(HubConfig("https://hub.example.org", "ana:secret"))
    delays = [backoff_delay(n, rng=lambda: 1.0) for n in range(1, 10)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0] and max(delays) == 60.0
    assert backoff_delay(3, rng=lambda: 0.0) == 2.0  # jitter: half to all of the ceiling


async def test_conflicts_screen_shows_both_sides_and_sends_mine_again(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    from textual.geometry import Region

    from tests.tui_helpers import make_app, settle
    from tipline_tui.screens.conflicts import ConflictsScreen

    hub_id, stores, clients = await _two_analysts(hub, server, tmp_path)
    for name, priority in (("ana", "1"), ("bob", "3")):
        with stores[name].write() as conn:
            actions.set_priority(
                conn, _local(stores[name], hub_id), priority, analyst=name, now=NOW
            )
        await clients[name].sync_once()  # ana first: bob's base version is stale
    app = make_app(stores["bob"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ConflictsScreen)
        rows = app.screen.query_one("#conflicts-list").render_lines(Region(0, 0, 78, 4))
        listing = "\n".join(strip.text for strip in rows)
        await pilot.press("m")
        await settle(pilot)
    assert "yours: priority 3" in listing and "hub's:" in listing and "priority 1" in listing
    result = await clients["bob"].sync_once()
    assert result.pushed == 1 and result.counts.conflicts == 0
    with hub.read() as conn:
        assert (
            conn.exec_driver_sql("SELECT priority FROM hub_report WHERE id = ?", (hub_id,)).scalar()
            == "3"
        )
    for client in clients.values():
        await client.aclose()


def test_tipline_sync_command_runs_one_round(
    hub: HubDB, server: ThreadHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from tipline_tui.cli import main

    import_reports(hub, [report_to_xml(simple_report(1))])
    monkeypatch.setenv("TIPLINE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("TIPLINE_HUB_URL", raising=False)
    monkeypatch.delenv("TIPLINE_HUB_TOKEN", raising=False)
    db = str(tmp_path / "cli.sqlite")
    assert main(["sync", "--db", db]) == 1
    assert "no hub configured" in capsys.readouterr().err
    monkeypatch.setenv("TIPLINE_HUB_URL", server.url)
    monkeypatch.setenv("TIPLINE_HUB_TOKEN", _account(hub, "ana", role="analyst"))
    assert main(["sync", "--db", db]) == 0
    assert "pulled 2 changes" in capsys.readouterr().out  # the agency and the report
    monkeypatch.setenv("TIPLINE_HUB_TOKEN", "ana:wrong")
    assert main(["sync", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "refused the token" in err and "wrong" not in err


async def test_a_supervisors_store_learns_the_role_and_may_override_a_claim(
    hub: HubDB, server: ThreadHub, tmp_path: Path
) -> None:
    """The hub lets a supervisor act on a tip another analyst claimed; the supervisor's own
    store must too, so it learns the account's role from the hub (it was refused locally)."""
    (hub_id,) = import_reports(hub, [report_to_xml(simple_report(1))])
    ana_store, sue_store = _store(tmp_path, "ana"), _store(tmp_path, "sue")
    ana = _client(ana_store, server.url, _account(hub, "ana", role="analyst"))
    sue = _client(sue_store, server.url, _account(hub, "sue", role="supervisor"))
    await ana.sync_once()
    with ana_store.write() as conn:
        actions.claim(conn, _local(ana_store, hub_id), analyst="ana", now=NOW)
    await ana.sync_once()
    await sue.sync_once()
    local = _local(sue_store, hub_id)
    with sue_store.write() as conn:  # no role passed: as the app calls it
        actions.set_priority(conn, local, "1", analyst="sue", now=NOW)
    round_ = await sue.sync_once()
    assert round_.counts.conflicts == 0 and round_.counts.rejected == 0
    with hub.read() as conn:
        priority = conn.exec_driver_sql("SELECT priority FROM hub_report").scalar()
    assert priority == "1"
    # a plain analyst's store still refuses it, as the hub would
    bob_store = _store(tmp_path, "bob")
    bob = _client(bob_store, server.url, _account(hub, "bob", role="analyst"))
    await bob.sync_once()
    with bob_store.write() as conn, pytest.raises(actions.TriageError, match="claimed by ana"):
        actions.set_priority(conn, _local(bob_store, hub_id), "2", analyst="bob", now=NOW)
    for client in (ana, sue, bob):
        await client.aclose()
