"""The hub core against a real uvicorn server on 127.0.0.1, on SQLite and on PostgreSQL.

Synthetic data only: example.com addresses, 555-01xx phones, documentation IPs.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy import func, select

from tests.factories import simple_report
from tests.hub_helpers import PostgresServer, ProcessHub, ThreadHub
from tests.waiting import wait_until
from tipline_tui.cli import main
from tipline_tui.domain.agency import Agency
from tipline_tui.domain.cybertip_xml_write import report_to_xml
from tipline_tui.domain.wire import ANALYSIS_FIELDS
from tipline_tui.hub.auth import EspAccount, create_account, verify_secret
from tipline_tui.hub.db import HubDB, open_hub
from tipline_tui.hub.operator import import_agencies, import_reports
from tipline_tui.hub.tables import Account, Change, HubAction, HubNote, HubReferral, HubReport

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = (
    "[bold red]x[/] [@click=app.quit]q[/] [link=https://example.com]l[/] "
    "\x1b[2J\x1b]0;t\x07 \u202egnp.exe \x9b31m"
)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.sqlite'}"
    server: PostgresServer | None = request.getfixturevalue("postgres")
    if server is None:
        pytest.skip(
            "no PostgreSQL binaries (initdb, postgres) on PATH, in $TIPLINE_PG_BIN or in "
            "/usr/lib/postgresql/*/bin; install Debian's postgresql to run these"
        )
    return server.new_database()


@dataclass
class World:
    """An open hub with analysts, a supervisor, an ESP, two agencies and five tips."""

    hub: HubDB
    url: str
    tokens: dict[str, str]
    reports: list[int]
    agencies: list[int]
    http: httpx.Client  # one pool: a new client per call costs ~30 ms of TLS setup

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def push(self, who: str, *actions: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post(
            f"{self.url}/v1/actions",
            json={"actions": list(actions)},
            headers=self.auth(who),
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]  # type: ignore[no-any-return]

    def pull(self, who: str = "ana", since: int = 0, limit: int = 500) -> dict[str, Any]:
        response = self.http.get(
            f"{self.url}/v1/changes",
            params={"since": since, "limit": limit},
            headers=self.auth(who),
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def pull_all(self, who: str = "ana", since: int = 0) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = []
        while True:
            page = self.pull(who, since, 100)
            changes += page["changes"]
            since = page["next"]
            if not page["more"]:
                return changes

    def version(self, report_id: int) -> int:
        with self.hub.read() as conn:
            table = HubReport.__table__
            return int(
                conn.execute(select(table.c.version).where(table.c.id == report_id)).scalar_one()
            )


def action(kind: str, report_id: int | None, base_version: int | None = None, **payload: Any):
    return {
        "action_id": str(uuid.uuid4()),
        "kind": kind,
        "report_id": report_id,
        "base_version": base_version,
        "payload": payload,
        "created_at": 1_790_000_000,
    }


def make_accounts(hub: HubDB) -> dict[str, str]:
    tokens: dict[str, str] = {}
    with hub.write() as conn:
        now = hub.now()
        for name, role in (("ana", "analyst"), ("ben", "analyst"), ("ola", "oncall")):
            tokens[name] = f"{name}:" + create_account(
                conn, kind="user", name=name, role=role, now=now
            )
        tokens["sue"] = "sue:" + create_account(
            conn, kind="user", name="sue", role="supervisor", now=now
        )
        tokens["esp"] = create_account(conn, kind="esp", name="Example ESP", now=now)
        for agency_id in (1, 2):
            name = f"agency-{agency_id}"
            tokens[name] = f"{name}:" + create_account(
                conn, kind="agency", name=name, agency_id=agency_id, now=now
            )
    return tokens


def seed(hub: HubDB) -> tuple[dict[str, str], list[int], list[int]]:
    added, _ = import_agencies(
        hub,
        [
            Agency(kind="icac", name="ICAC Example Task Force", state="NY", country="US"),
            Agency(kind="international", name="Example Partner Police", country="GB"),
        ],
    )
    assert added == 2
    tokens = make_accounts(hub)
    reports = import_reports(hub, [report_to_xml(simple_report(n)) for n in range(5)])
    return tokens, reports, [1, 2]


@pytest.fixture
def world(hub_url: str, tmp_path: Path) -> Iterator[World]:
    hub = open_hub(hub_url)
    tokens, reports, agencies = seed(hub)
    server = ThreadHub(hub, tmp_path / "evidence").start()
    try:
        with httpx.Client() as http:
            yield World(hub, server.url, tokens, reports, agencies, http)
    finally:
        server.stop()
        hub.close()


# ------------------------------------------------------------------ the change feed


def test_changes_come_in_pages_in_seq_order(world: World) -> None:
    import_reports(world.hub, [report_to_xml(simple_report(n)) for n in range(5, 17)])
    seen: list[int] = []
    since, pages = 0, 0
    while True:
        page = world.pull(since=since, limit=5)
        pages += 1
        seqs = [c["seq"] for c in page["changes"]]
        assert seqs == sorted(seqs) and all(s > since for s in seqs)
        seen += seqs
        assert page["next"] == (seqs[-1] if seqs else since)
        since = page["next"]
        if not page["more"]:
            break
    # 2 agencies + 17 reports, each once, in order, nothing skipped
    assert len(seen) == 19 and seen == list(range(seen[0], seen[0] + 19))
    assert pages == 4
    kinds = [c["kind"] for c in world.pull(limit=19)["changes"]]
    assert kinds[:2] == ["agency", "agency"] and set(kinds[2:]) == {"report"}
    first = world.pull(since=2, limit=1)["changes"][0]["payload"]
    assert set(first) == {"report_id", "received_at", "xml", "files"}
    assert first["xml"].startswith("<?xml") and "user0@example.com" in first["xml"]
    agency = world.pull(limit=1)["changes"][0]["payload"]
    assert agency == {
        "agency_id": 1,
        "kind": "icac",
        "name": "ICAC Example Task Force",
        "state": "NY",
        "country": "US",
        "contact": None,
        "takes_urgent": True,
    }
    empty = world.pull(since=10_000)
    assert empty == {"changes": [], "next": 10_000, "more": False}
    too_many = httpx.get(
        f"{world.url}/v1/changes", params={"limit": 5001}, headers=world.auth("ana")
    )
    assert too_many.status_code == 422


def test_concurrent_writers_never_hide_a_change_from_a_puller(world: World) -> None:
    """seq is assigned in commit order: a cursor never skips a row committed later."""
    stop = threading.Event()
    pulled: list[int] = []

    def puller() -> None:
        since = 0
        while not stop.is_set():
            page = world.pull(since=since, limit=7)
            pulled.extend(c["seq"] for c in page["changes"])
            since = page["next"]
        while True:
            page = world.pull(since=since, limit=50)
            pulled.extend(c["seq"] for c in page["changes"])
            since = page["next"]
            if not page["more"]:
                return

    def writer(who: str, report_id: int) -> None:
        for n in range(15):
            world.push(who, action("note", report_id, body=f"{who} {n}"))

    reader = threading.Thread(target=puller)
    reader.start()
    writers = [
        threading.Thread(target=writer, args=(who, world.reports[i]))
        for i, who in enumerate(("ana", "ben", "ola", "sue"))
    ]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    with world.hub.read() as conn:
        table = Change.__table__
        everything = list(conn.execute(select(table.c.seq).order_by(table.c.seq)).scalars())
    assert pulled == everything
    assert len(everything) == 2 + 5 + 60


# ------------------------------------------------------------------ actions


def test_each_action_is_answered_applied_duplicate_conflict_or_rejected(world: World) -> None:
    tip = world.reports[0]
    claim = action("claim", tip, 1)
    labels = action("labels", tip, 2, labels=["Sextortion", "#case-17"])
    stale = action("priority", tip, 1, priority="E")
    answers = world.push("ana", claim, labels, stale, claim)
    assert [a["outcome"] for a in answers] == ["applied", "applied", "conflict", "duplicate"]
    assert answers[0]["version"] == 2 and answers[0]["current"]["claimed_by"] == "ana"
    assert answers[1]["current"]["labels"] == ["sextortion", "case-17"]
    assert answers[2]["current"]["version"] == 3 and answers[2]["current"]["priority"] is None
    assert "version 3" in answers[2]["reason"]
    assert answers[3]["first_outcome"] == "applied" and answers[3]["version"] == 2
    # a conflict is remembered too: the same id again repeats it
    again = world.push("ana", stale)[0]
    assert again["outcome"] == "duplicate" and again["first_outcome"] == "conflict"

    rejected = world.push(
        "ana",
        action("note", 99_999, body="hello"),
        action("priority", tip, 3, priority="urgent"),
        action("labels", tip, 3, labels=["bad tag!"]),
        action("victim_age", tip, 3, min=15, max=12),
        action("assign", tip, 3, agency_id=77),
        action("teleport", tip, 3),
        action("close", tip, None),
        action("note", tip, None, body="   "),
    )
    assert [a["outcome"] for a in rejected] == ["rejected"] * 8
    reasons = [a["reason"] for a in rejected]
    assert reasons[0] == "there is no tip #99999"
    assert "priority must be E, 1, 2, 3 or info" in reasons[1]
    assert "free tag" in reasons[2]
    assert "victim age range" in reasons[3]
    assert reasons[4] == "there is no agency #77 on the hub"
    assert "unknown action kind" in reasons[5]
    assert "base_version" in reasons[6]
    assert "note needs some text" in reasons[7]
    assert world.version(tip) == 3  # nothing rejected changed the tip

    _ola_applies_the_rest(world, tip)


def _ola_applies_the_rest(world: World, tip: int) -> None:
    """On-call takes the tip on once ana released it, through close, a refusal and reopen."""
    held = world.push("ola", action("priority", tip, 3, priority="1"))[0]
    assert (held["outcome"], held["reason"]) == (
        "conflict",
        f"tip #{tip} is claimed by ana; only they or a supervisor may change its priority",
    )
    assert world.push("ana", action("release", tip, 3))[0]["outcome"] == "applied"
    applied = world.push(
        "ola",
        action("priority", tip, 4, priority="1"),
        action("victim_age", tip, 5, min=13, max=15),
        action("assign", tip, 6, agency_id=1, agency="ICAC Example Task Force"),
        action("info_only", tip, 7, priority="info"),
        action("close", tip, 8),
        action("note", tip, None, body="closed: duplicate of an earlier tip"),
        action("priority", tip, 9, priority="2"),
        action("reopen", tip, 9),
    )
    assert [a["outcome"] for a in applied] == ["applied"] * 5 + ["applied", "rejected", "applied"]
    assert "is closed" in applied[6]["reason"]
    final = applied[-1]["current"]
    assert final == {
        "report_id": tip,
        "version": 10,
        "status": "assigned",
        "priority": "info",
        "labels": ["sextortion", "case-17"],
        "victim_age_min": 13,
        "victim_age_max": 15,
        "claimed_by": None,
        "jurisdiction_id": 1,
    }
    changes = world.pull_all()
    analysis = [c["payload"] for c in changes if c["kind"] == "analysis"]
    assert [a["version"] for a in analysis] == list(range(2, 11))
    assert set(analysis[-1]) == {"report_id", "version", *ANALYSIS_FIELDS}
    notes = [c["payload"] for c in changes if c["kind"] == "note"]
    assert notes[0]["author"] == "ola" and notes[0]["body"].startswith("closed:")


def test_claims_are_exclusive_and_only_the_claimer_or_a_supervisor_releases(
    world: World,
) -> None:
    tip = world.reports[1]
    ana, ben = (
        world.push("ana", action("claim", tip, 1))[0],
        world.push("ben", action("claim", tip, 1))[0],
    )
    assert ana["outcome"] == "applied"
    assert ben["outcome"] == "conflict" and ben["current"]["claimed_by"] == "ana"
    # even on the current version, a claim of a claimed tip is a conflict
    ben = world.push("ben", action("claim", tip, 2))[0]
    assert ben["outcome"] == "conflict" and "claimed by ana" in ben["reason"]
    refused = world.push("ben", action("release", tip, 2))[0]
    assert refused["outcome"] == "rejected" and "supervisor" in refused["reason"]
    released = world.push("sue", action("release", tip, 2))[0]
    assert released["outcome"] == "applied"
    assert released["current"]["claimed_by"] is None and released["current"]["status"] == "new"
    assert world.push("ben", action("claim", tip, 3))[0]["current"]["claimed_by"] == "ben"


def test_two_analysts_dispatching_one_tip_one_applied_one_conflict(world: World) -> None:
    tip = world.reports[2]
    barrier = threading.Barrier(2)
    answers: dict[str, dict[str, Any]] = {}

    def dispatch(who: str) -> None:
        act = action("dispatch", tip, 1, agency_id=1, agency="ICAC", contents={"by": who})
        barrier.wait()
        answers[who] = world.push(who, act)[0]

    threads = [threading.Thread(target=dispatch, args=(who,)) for who in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(a["outcome"] for a in answers.values())
    assert outcomes == ["applied", "conflict"]
    with world.hub.read() as conn:
        table = HubReferral.__table__
        referrals = conn.execute(select(table).where(table.c.report_id == tip)).all()
    assert len(referrals) == 1 and referrals[0].status == "sent"
    loser = next(who for who, a in answers.items() if a["outcome"] == "conflict")
    # the loser, now on the current version, is still told: already referred
    again = world.push(loser, action("dispatch", tip, 2, agency_id=1, agency="ICAC"))[0]
    assert again["outcome"] == "conflict" and "already referred" in again["reason"]
    # ...unless they confirmed a second referral
    confirmed = world.push(loser, action("dispatch", tip, 2, agency_id=1, again=True))[0]
    assert confirmed["outcome"] == "applied"
    other = world.push(loser, action("dispatch", tip, 3, agency_id=2, agency="Partner"))[0]
    assert other["outcome"] == "applied"
    referral_changes = [c for c in world.pull_all() if c["kind"] == "referral"]
    assert len(referral_changes) == 3
    assert all(c["payload"]["status"] == "sent" for c in referral_changes)


def test_hub_killed_mid_push_applies_every_action_exactly_once(
    hub_url: str, tmp_path: Path
) -> None:
    hub = open_hub(hub_url)
    tokens, reports, _ = seed(hub)
    headers = {"Authorization": f"Bearer {tokens['ana']}"}
    batch = [action("note", reports[n % 5], body=f"note {n}") for n in range(1000)]
    batch += [action("claim", reports[n], 1) for n in range(5)]
    evidence = tmp_path / "evidence"
    server = ProcessHub(hub_url, evidence).start()

    def count(table: Any) -> int:
        with hub.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def killer() -> None:
        try:  # as soon as the push is under way; the assert below says if it was too late
            wait_until(lambda: count(HubAction.__table__) >= 20, what="20 applied", interval=0.005)
        finally:
            server.kill()

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{server.url}/v1/actions", json={"actions": batch}, headers=headers, timeout=120
            )
    finally:
        thread.join()
        server.kill()
    done = count(HubAction.__table__)
    assert 0 < done < len(batch), "the kill must land in the middle of the push"
    assert count(HubNote.__table__) == min(done, 1000)  # each answer committed with its apply

    server = ProcessHub(hub_url, evidence, port=server.port).start()
    try:
        response = httpx.post(
            f"{server.url}/v1/actions", json={"actions": batch}, headers=headers, timeout=120
        )
    finally:
        server.stop()
    results = response.json()["results"]
    assert [r["action_id"] for r in results] == [a["action_id"] for a in batch]
    assert [r["outcome"] for r in results[:done]] == ["duplicate"] * done
    assert all(r["first_outcome"] == "applied" for r in results[:done])
    assert [r["outcome"] for r in results[done:]] == ["applied"] * (len(batch) - done)
    assert count(HubNote.__table__) == 1000
    assert count(HubAction.__table__) == len(batch)
    with hub.read() as conn:
        table = HubReport.__table__
        versions = list(conn.execute(select(table.c.version).order_by(table.c.id)).scalars())
        bodies = list(conn.execute(select(HubNote.__table__.c.body)).scalars())
    assert versions == [2] * 5  # each claim applied once
    assert sorted(bodies) == sorted(f"note {n}" for n in range(1000))
    hub.close()


# ------------------------------------------------------------------ credentials and roles


def test_missing_or_wrong_credentials_are_401_and_wrong_roles_403(world: World) -> None:
    url = f"{world.url}/v1/changes"
    missing = httpx.get(url)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    for header in (
        "Bearer ana:not-the-secret",
        "Bearer nobody:" + world.tokens["ana"].split(":", 1)[1],
        "Bearer " + world.tokens["ana"].split(":", 1)[1],
        "Basic " + base64.b64encode(world.tokens["ana"].encode()).decode(),
        "Bearer " + world.tokens["agency-1"],  # an agency is not an analyst
        "Bearer " + world.tokens["ana"] + "x",
    ):
        refused = httpx.get(url, headers={"Authorization": header})
        assert refused.status_code == 401, header
        assert world.tokens["ana"].split(":", 1)[1] not in refused.text
    assert httpx.post(f"{world.url}/v1/actions", json={"actions": []}).status_code == 401
    agency_url = f"{world.url}/v1/agency/referrals"
    assert httpx.get(agency_url).status_code == 401
    assert httpx.get(agency_url, headers=world.auth("ana")).status_code == 401
    # a supervisor-only route: analysts and on-call are 403, the supervisor may
    disable = f"{world.url}/v1/users/ben/disable"
    assert httpx.post(disable, headers=world.auth("ana")).status_code == 403
    assert httpx.post(disable, headers=world.auth("ola")).status_code == 403
    assert httpx.post(disable, headers=world.auth("sue")).json()["disabled"] is True
    assert httpx.get(url, headers=world.auth("ben")).status_code == 401  # at once
    assert httpx.get(url, headers=world.auth("ana")).status_code == 200


def test_v1_bodies_over_the_cap_are_refused_with_413_and_nothing_applied(world: World) -> None:
    from tipline_tui.domain.wire import MAX_BODY_BYTES

    note = action("note", world.reports[0], body="x" * 100)
    padding = " " * (MAX_BODY_BYTES + 1 - 100)  # JSON allows it: the body is valid, only big
    body = json.dumps({"actions": [note]}).encode() + padding.encode()

    def post(path: str, who: str, content: Any) -> int:
        headers = {**world.auth(who), "Content-Type": "application/json"}
        return httpx.post(
            f"{world.url}{path}", content=content, headers=headers, timeout=60
        ).status_code

    def chunks():  # no Content-Length: refused once the bytes read pass the cap
        yield body[: len(body) // 2]
        yield body[len(body) // 2 :]

    assert post("/v1/actions", "ana", body) == 413  # declared: refused before reading
    assert post("/v1/actions", "ana", chunks()) == 413
    assert post("/v1/agency/referrals/1/outcome", "agency-1", body) == 413
    assert not any(c["kind"] == "note" for c in world.pull_all("ana")), "nothing was applied"
    small = world.push("ana", note)
    assert small[0]["outcome"] == "applied"


def test_integers_past_64_bits_are_422_never_500(world: World) -> None:
    """One past a BIGINT anywhere a client sends an id, a cursor or a payload number is
    refused where it is declared (422), not left to overflow in the database (500)."""
    big, top = 2**63, 2**63 - 1
    url, ana, agency = world.url, world.auth("ana"), world.auth("agency-1")
    tip = world.reports[0]

    def status(method: str, path: str, **kw: Any) -> int:
        return world.http.request(method, url + path, timeout=60, **kw).status_code

    assert status("GET", "/v1/changes", params={"since": big}, headers=ana) == 422
    assert status("GET", "/v1/changes", params={"since": top}, headers=ana) == 200
    assert status("GET", "/v1/agency/referrals", params={"since": big}, headers=agency) == 422
    assert status("GET", "/v1/agency/referrals", params={"since": top}, headers=agency) == 200
    for verb in ("ack", "outcome"):
        body = {"json": {"status": "acknowledged"}} if verb == "outcome" else {}
        path = f"/v1/agency/referrals/{{}}/{verb}"
        assert status("POST", path.format(big), headers=agency, **body) == 422
        assert status("POST", path.format(-big - 1), headers=agency, **body) == 422
        assert status("POST", path.format(top), headers=agency, **body) == 404
    for bad in (
        action("claim", big, 1),
        action("claim", tip, big),
        action("claim", -big - 1, 1),
        action("claim", 2**31, 1),  # an INTEGER column: 32-bit on PostgreSQL
        action("assign", tip, 1, agency_id=big, agency="x"),
        action("dispatch", tip, 1, agency_id=big, agency="x", contents={}),
        action("victim_age", tip, 1, min=big, max=big),
        {**action("claim", tip, 1), "created_at": big},
    ):
        response = world.http.post(
            url + "/v1/actions", json={"actions": [bad]}, headers=ana, timeout=60
        )
        assert response.status_code == 422, (bad, response.text)
    assert world.version(tip) == 1  # nothing applied
    unknown = world.push("ana", action("claim", 2**31 - 1, 1))[0]
    assert unknown["outcome"] == "rejected"
    far = world.push("ana", action("assign", tip, 1, agency_id=2**31 - 1, agency="x"))[0]
    assert far["outcome"] in {"rejected", "conflict"}, far


def test_esp_basic_auth_refuses_with_401_and_an_empty_body(hub_url: str, tmp_path: Path) -> None:
    hub = open_hub(hub_url)
    tokens, _, _ = seed(hub)
    server = ThreadHub(hub, tmp_path / "evidence")
    probe = APIRouter()

    @probe.get("/probe-esp")
    def who(esp: EspAccount) -> dict[str, str]:
        return {"esp": esp.name}

    server.server.config.app.include_router(probe)
    server.start()
    try:
        ok = httpx.get(f"{server.url}/probe-esp", auth=("Example ESP", tokens["esp"]))
        assert ok.status_code == 200 and ok.json() == {"esp": "Example ESP"}
        for auth in (None, ("Example ESP", "wrong"), ("ana", tokens["ana"].split(":", 1)[1])):
            refused = httpx.get(f"{server.url}/probe-esp", auth=auth)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Basic")
            assert refused.content == b""
        for header in ("Basic %%%", "Basic " + base64.b64encode(b"no-colon").decode(), "Basic"):
            garbage = httpx.get(f"{server.url}/probe-esp", headers={"Authorization": header})
            assert garbage.status_code == 401 and garbage.content == b"", header
        with hub.write() as conn:
            secret = create_account(conn, kind="esp", name="Exämple ESP", now=hub.now())
        basic = base64.b64encode(f"Exämple ESP:{secret}".encode()).decode()
        ok = httpx.get(f"{server.url}/probe-esp", headers={"Authorization": f"Basic {basic}"})
        assert ok.json() == {"esp": "Exämple ESP"}  # UTF-8 names, as RFC 7617 allows
    finally:
        server.stop()
        hub.close()


def test_secrets_are_stored_only_as_salted_hashes(world: World) -> None:
    secret = world.tokens["ana"].split(":", 1)[1]
    with world.hub.read() as conn:
        table = Account.__table__
        rows = conn.execute(select(table)).all()
    hashes = [r.secret_hash for r in rows]
    assert len(set(hashes)) == len(hashes) and all(h.startswith("scrypt$") for h in hashes)
    ana = next(r for r in rows if r.name == "ana")
    assert secret not in ana.secret_hash and verify_secret(secret, ana.secret_hash)
    assert not verify_secret(secret + "x", ana.secret_hash)
    assert len(secret) >= 43  # token_urlsafe(32)


# ------------------------------------------------------------------ agencies


def test_agency_sees_its_referrals_and_its_answers_reach_the_analysts(world: World) -> None:
    tip = world.reports[3]
    world.push("ana", action("priority", tip, 1, priority="E"))
    sent = world.push(
        "ana",
        action("dispatch", tip, 2, agency_id=1, agency="ICAC", contents={"related": [1, 2]}),
    )[0]
    assert sent["outcome"] == "applied"
    agency = world.auth("agency-1")
    page = httpx.get(f"{world.url}/v1/agency/referrals", headers=agency).json()
    assert page["more"] is False and len(page["referrals"]) == 1
    referral = page["referrals"][0]
    assert referral["report_id"] == tip and referral["status"] == "sent"
    assert referral["priority"] == "E" and referral["contents"] == {"related": [1, 2]}
    assert referral["analysis"]["status"] == "referred"
    assert "user3@example.com" in referral["report_xml"]
    assert page["next"] == referral["referral_id"]
    later = httpx.get(
        f"{world.url}/v1/agency/referrals", params={"since": page["next"]}, headers=agency
    ).json()
    assert later["referrals"] == []
    # another agency neither sees nor answers it
    other = world.auth("agency-2")
    rid = referral["referral_id"]
    assert httpx.get(f"{world.url}/v1/agency/referrals", headers=other).json()["referrals"] == []
    assert (
        httpx.post(f"{world.url}/v1/agency/referrals/{rid}/ack", headers=other).status_code == 404
    )
    assert httpx.post(f"{world.url}/v1/agency/referrals/999/ack", headers=agency).status_code == 404

    cursor = world.pull_all()[-1]["seq"]
    acked = httpx.post(f"{world.url}/v1/agency/referrals/{rid}/ack", headers=agency).json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_at"] is not None
    httpx.post(f"{world.url}/v1/agency/referrals/{rid}/ack", headers=agency)  # a repeat: no change
    outcome = httpx.post(
        f"{world.url}/v1/agency/referrals/{rid}/outcome",
        headers=agency,
        json={"status": "failed", "text": "no jurisdiction: subject is outside our area"},
    ).json()
    assert outcome["status"] == "failed" and outcome["detail"].startswith("no jurisdiction")
    bad = httpx.post(
        f"{world.url}/v1/agency/referrals/{rid}/outcome",
        headers=agency,
        json={"status": "lost"},
    )
    assert bad.status_code == 422
    news = world.pull(since=cursor)["changes"]
    assert [c["kind"] for c in news] == ["referral", "referral"]
    assert news[0]["payload"]["status"] == "acknowledged"
    assert news[1]["payload"]["status"] == "failed"
    assert news[1]["payload"]["outcome"] == "no jurisdiction: subject is outside our area"
    assert news[1]["payload"]["action_id"] == sent["action_id"]


def test_text_fields_travel_byte_for_byte(world: World) -> None:
    """Markup and escape sequences arrive unchanged: making them inert is the client's job."""
    report = simple_report(40, screen_name="[b]dark_wolf[/b]")
    report.additional_info = "see [@click=app.quit]here[/] \u009b31mred \u202eevil"  # no ESC in XML
    xml = report_to_xml(report)
    (tip,) = import_reports(world.hub, [xml])
    note = world.push("ana", action("note", tip, body=HOSTILE))[0]
    assert note["outcome"] == "applied"
    sent = world.push("ana", action("dispatch", tip, 1, agency_id=1, contents={"why": HOSTILE}))
    assert sent[0]["outcome"] == "applied"
    rid = httpx.get(f"{world.url}/v1/agency/referrals", headers=world.auth("agency-1")).json()
    referral = rid["referrals"][0]
    assert referral["report_xml"] == xml.decode() and referral["contents"] == {"why": HOSTILE}
    httpx.post(
        f"{world.url}/v1/agency/referrals/{referral['referral_id']}/outcome",
        headers=world.auth("agency-1"),
        json={"status": "acknowledged", "text": HOSTILE},
    )
    changes = world.pull_all("ben")
    by_kind = {c["kind"]: c["payload"] for c in changes}  # the last of each kind
    assert next(c for c in changes if c["kind"] == "report" and c["payload"]["report_id"] == tip)[
        "payload"
    ]["xml"] == xml.decode("utf-8")
    assert by_kind["note"]["body"] == HOSTILE.strip()
    assert by_kind["referral"]["outcome"] == HOSTILE
    raw = httpx.get(f"{world.url}/v1/changes", headers=world.auth("ben")).content
    assert json.loads(raw)["changes"]  # still valid JSON with every control char escaped
    assert b"\x1b" not in raw


# ------------------------------------------------------------------ the app, the CLI, layering


def test_openapi_describes_every_route(world: World) -> None:
    spec = httpx.get(f"{world.url}/openapi.json").json()
    paths = spec["paths"]
    for path, method in (
        ("/v1/changes", "get"),
        ("/v1/actions", "post"),
        ("/v1/agency/referrals", "get"),
        ("/v1/agency/referrals/{referral_id}/ack", "post"),
        ("/v1/agency/referrals/{referral_id}/outcome", "post"),
        ("/v1/users/{name}/disable", "post"),
    ):
        assert path in paths, path
        operation = paths[path][method]
        assert operation["summary"], path
        assert "200" in operation["responses"]
        assert operation.get("security"), path
    schemas = spec["components"]["schemas"]
    assert {"ChangesPage", "AnswerBatch", "ActionBatch", "ReferralPage", "Outcome"} <= set(schemas)
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert paths["/v1/changes"]["get"]["security"] == [{"HTTPBearer": []}]


def test_cli_makes_accounts_and_prints_each_secret_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    csv = tmp_path / "agencies.csv"
    csv.write_text(
        "kind,name,state,country,contact,takes_urgent\n"
        "icac,ICAC Example Task Force,NY,US,icac@example.com,yes\n"
    )
    assert main(["hub", "agencies", "import", str(csv), "--db", url]) == 0
    assert "1 added, 0 updated" in capsys.readouterr().out
    assert main(["hub", "user", "add", "ana", "--role", "analyst", "--db", url]) == 0
    out = capsys.readouterr()
    token = out.out.strip().removeprefix("token: ")
    assert token.startswith("ana:") and "shown once" in out.err
    assert main(["hub", "user", "add", "ana", "--role", "analyst", "--db", url]) == 2
    assert "already an account" in capsys.readouterr().err
    assert main(["hub", "esp", "add", "Example ESP", "--db", url]) == 0
    assert "password: " in capsys.readouterr().out
    assert main(["hub", "agency-token", "ICAC Example Task Force", "--db", url]) == 0
    first = capsys.readouterr().out
    assert main(["hub", "agency-token", "ICAC Example Task Force", "--db", url]) == 0
    second = capsys.readouterr().out
    assert first != second and second.startswith("token: agency-1:")
    assert main(["hub", "agency-token", "Nowhere PD", "--db", url]) == 2
    xml = tmp_path / "r.xml"
    xml.write_bytes(report_to_xml(simple_report(1)))
    assert main(["hub", "import", str(xml), "--db", url]) == 0
    assert "hub report #1" in capsys.readouterr().out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<report>")
    assert main(["hub", "import", str(xml), str(bad), "--db", url]) == 1
    hub = open_hub(url)
    with hub.read() as conn:
        stored = list(conn.execute(select(Account.__table__.c.secret_hash)).scalars())
        reports = conn.execute(select(func.count()).select_from(HubReport.__table__)).scalar()
    hub.close()
    assert token.split(":", 1)[1] not in "".join(stored)
    assert reports == 1  # the bad batch imported nothing


def test_serve_warns_when_bound_beyond_loopback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import uvicorn

    from tipline_tui.hub import server

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setattr(server, "configure_server_logging", lambda: None)  # keep pytest's
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    evidence = tmp_path / "ev"
    args = ["hub", "serve", "--db", url, "--evidence", str(evidence), "--port", "9999"]
    assert main([*args, "--host", "0.0.0.0"]) == 0
    served = {key: calls[-1][key] for key in ("host", "port", "access_log", "backlog")}
    assert served == {"host": "0.0.0.0", "port": 9999, "access_log": False, "backlog": 64}
    assert evidence.is_dir() and (evidence.stat().st_mode & 0o777) == 0o700


def test_serve_warning_text(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch):
    import uvicorn

    from tipline_tui.hub import server

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.setattr(server, "configure_server_logging", lambda: None)
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    main(["hub", "serve", "--db", url, "--evidence", str(tmp_path / "e"), "--host", "0.0.0.0"])
    assert "TLS" in capsys.readouterr().err
    main(["hub", "serve", "--db", url, "--evidence", str(tmp_path / "e")])
    assert "TLS" not in capsys.readouterr().err


def test_hub_import_contract(tmp_path: Path) -> None:
    """An import-linter contract for the hub, kept here so pyproject's count stays as it is."""
    config = tmp_path / "hub-contract.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_package = "tipline_tui"\n'
        "include_external_packages = true\n\n"
        "[[tool.importlinter.contracts]]\n"
        'name = "the hub knows nothing of Textual or the UI"\n'
        'type = "forbidden"\n'
        'source_modules = ["tipline_tui.hub", "tipline_tui.domain.wire"]\n'
        "forbidden_modules = [\n"
        '    "tipline_tui.screens", "tipline_tui.widgets", "tipline_tui.app", "textual", "rich",\n'
        "]\n"
    )
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [lint, "--config", str(config)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_hub_imports_nothing_of_the_ui() -> None:
    code = (
        "import sys, tipline_tui.hub.app, tipline_tui.hub.operator, tipline_tui.hub.db\n"
        "app = tipline_tui.hub.app\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m in "
        "('tipline_tui.app',) or m.startswith(('tipline_tui.screens', 'tipline_tui.widgets'))]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
