"""Sync speed against a real hub: the initial pull and an outbox push, each beside a baseline.

Starts the hub (uvicorn on 127.0.0.1, in a child process, over a SQLite hub
database in bench/out) and measures, in one run:

  pull   SyncClient.pull() of every change (N reports) into an empty local store,
         against the SAME pages fetched with plain httpx (GET /v1/changes, the
         client's page size) and bulk-inserted into a plain sqlite3 table
         (seq, kind, payload JSON text) with executemany in one transaction;
  snap   the hub's snapshot of those N reports (SnapshotKeeper.catch_up + publish, timed:
         the hub does it in the background, before any analyst asks), then
         SyncClient.pull() into an empty store WITH the snapshot on offer (GET
         /v1/snapshot, checked, copied in, then the feed after it), against the
         SAME snapshot bytes fetched with plain httpx (streamed to a file) and
         copied into an empty sqlite3 database with the backup API;
  push   SyncClient.push() of --actions outbox actions made with the real action
         functions (claim, priority, labels, note) on pulled tips, against the
         same JSON bodies POSTed with plain httpx to /v1/actions of a fresh copy
         of the hub database and the answers written with sqlite3 executemany.

Target: ours within 2x of the baseline (ratio <= 2.0); the snapshot pull is judged against
the same-bytes baseline, and its ratio to the page baseline is printed beside it. The
seeded hub database (generating and importing N reports takes minutes) is cached in
bench/out and copied for every measured run, so runs start from the same bytes.

    python bench/sync.py [--reports 100000] [--actions 1000] [--runs 1] [--seed 3]
    python bench/sync.py --reports 20000 --profile   # also cProfile our pull
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)  # keep bench/ from shadowing standard modules

import httpx  # noqa: E402

from tipline_tui.demo.synth import GENERATOR_VERSION, generate_reports  # noqa: E402
from tipline_tui.domain.cybertip_xml_write import report_to_xml  # noqa: E402
from tipline_tui.hub.auth import create_account  # noqa: E402
from tipline_tui.hub.db import open_hub  # noqa: E402
from tipline_tui.hub.operator import import_reports  # noqa: E402
from tipline_tui.hub.snapshot import SnapshotKeeper  # noqa: E402
from tipline_tui.hub.tables import hub_metadata  # noqa: E402
from tipline_tui.store import actions, open_store, sync_state  # noqa: E402
from tipline_tui.store.migrations import SCHEMA_VERSION  # noqa: E402
from tipline_tui.sync.client import PAGE, HubConfig, SyncClient  # noqa: E402

TARGET = 2.0
ANALYST = "bench"
IMPORT_BATCH = 1000
NOW = 1_790_000_000


def hub_schema_tag() -> str:
    """A short fingerprint of the hub's tables, so a schema change rebuilds the cache."""
    shape = [
        (t.name, [(c.name, str(c.type)) for c in t.columns]) for t in hub_metadata.sorted_tables
    ]
    return hashlib.sha256(repr(shape).encode()).hexdigest()[:8]


def seeded_hub(out: Path, reports: int, seed: int) -> Path:
    """The hub database with `reports` imported reports, built once per key."""
    name = f"sync-hub-{reports}-{seed}-g{GENERATOR_VERSION}-s{SCHEMA_VERSION}-h{hub_schema_tag()}"
    path = out / f"{name}.sqlite"
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    building = out / f"{name}.building.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    hub = open_hub(f"sqlite:///{building}", clock=lambda: NOW)
    batch: list[bytes] = []
    for report, _identities in generate_reports(reports, seed):
        batch.append(report_to_xml(report))
        if len(batch) == IMPORT_BATCH:
            import_reports(hub, batch)
            batch = []
    if batch:
        import_reports(hub, batch)
    with hub.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    hub.close()
    building.rename(path)
    print(f"seeded a hub with {reports:,} reports in {time.perf_counter() - started:.0f} s")
    return path


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def hub_copy(seeded: Path, path: Path) -> str:
    """A copy of the seeded hub with an analyst account; its bearer token."""
    shutil.copyfile(seeded, fresh(path))
    hub = open_hub(f"sqlite:///{path}", clock=lambda: NOW)
    with hub.write() as conn:
        secret = create_account(conn, kind="user", name=ANALYST, role="analyst", now=NOW)
    hub.close()
    return f"{ANALYST}:{secret}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hub:
    """uvicorn serving the hub app over `db` in a child process (its own core and GIL)."""

    def __init__(self, db: Path, evidence: Path, snapshots: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                str(db),
                str(self.port),
                str(evidence),
                str(snapshots or ""),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1.0)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the hub did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def serve(db: str, port: str, evidence: str, snapshots: str) -> None:
    """The hub; with `snapshots`, /v1/snapshot serves what the bench published there."""
    import uvicorn

    from tipline_tui.hub.app import create_app

    hub = open_hub(f"sqlite:///{db}")
    keeper = SnapshotKeeper(hub, Path(snapshots)) if snapshots else None
    app = create_app(hub, evidence_dir=Path(evidence), snapshots=keeper)  # no polling thread
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", lifespan="off")


# ------------------------------------------------------------------ pull


def pull_ours(store_path: Path, url: str, token: str, profile: Path | None) -> tuple[float, int]:
    """SyncClient.pull() into an empty store; with `profile`, cProfile both threads.

    The client applies each page in a worker thread, so that thread's work
    (apply_changes) gets a profiler of its own, dumped to `profile`.apply.
    """
    store = open_store(fresh(store_path))

    async def run() -> int:
        client = SyncClient(store, HubConfig(url, token))
        try:
            return await client.pull()
        finally:
            await client.aclose()

    main_profiler = cProfile.Profile()
    apply_profiler = cProfile.Profile()
    original = sync_state.apply_changes
    if profile:

        def profiled(*args: Any) -> int:
            return apply_profiler.runcall(original, *args)  # type: ignore[no-any-return]

        sync_state.apply_changes = profiled  # type: ignore[assignment]
        main_profiler.enable()
    started = time.perf_counter()
    try:
        changes = asyncio.run(run())
    finally:
        elapsed = time.perf_counter() - started
        if profile:
            main_profiler.disable()
            sync_state.apply_changes = original  # type: ignore[assignment]
    with store.read() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM report").scalar()
    store.close()
    if profile:
        main_profiler.dump_stats(profile)
        apply_profiler.dump_stats(f"{profile}.apply")
    if stored != changes:
        print(f"warning: {changes:,} changes pulled but {stored:,} tips stored")
    return elapsed, int(stored or 0)


def pull_baseline(db_path: Path, url: str, token: str) -> tuple[float, int]:
    db = sqlite3.connect(fresh(db_path), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE change (seq INTEGER PRIMARY KEY, kind TEXT, payload TEXT)")
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    total = 0
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
        db.execute("BEGIN")
        since = 0
        while True:
            response = http.get("/v1/changes", params={"since": since, "limit": PAGE})
            response.raise_for_status()
            page = response.json()
            changes = page["changes"]
            db.executemany(
                "INSERT INTO change (seq, kind, payload) VALUES (?, ?, ?)",
                [(c["seq"], c["kind"], json.dumps(c["payload"])) for c in changes],
            )
            total += len(changes)
            since = page["next"]
            if not page["more"] or not changes:
                break
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, total


# ------------------------------------------------------------------ snapshot


def build_snapshot(hub_path: Path, directory: Path) -> tuple[float, Path, int]:
    """What the hub does in the background: catch the live store up, publish a copy."""
    shutil.rmtree(directory, ignore_errors=True)
    hub = open_hub(f"sqlite:///{hub_path}", clock=lambda: NOW)
    keeper = SnapshotKeeper(hub, directory)
    started = time.perf_counter()
    keeper.catch_up()
    published = keeper.publish()
    elapsed = time.perf_counter() - started
    hub.close()
    found = keeper.latest()
    if published is None or found is None:
        raise SystemExit("the keeper published no snapshot")
    return elapsed, found[0], found[1]


def snapshot_baseline(db_path: Path, url: str, token: str) -> tuple[float, int]:
    """The same snapshot bytes with plain httpx to a file, then sqlite3's backup API."""
    download = db_path.with_suffix(".download")
    fresh(download)
    fresh(db_path)
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    with (
        httpx.Client(base_url=url, headers=headers, timeout=60.0) as http,
        http.stream("GET", "/v1/snapshot") as response,
        download.open("wb") as out,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes(1 << 20):
            out.write(chunk)
    src = sqlite3.connect(download)
    dest = sqlite3.connect(db_path)
    src.backup(dest)
    elapsed = time.perf_counter() - started
    total = dest.execute("SELECT count(*) FROM report").fetchone()[0]
    src.close()
    dest.close()
    return elapsed, int(total)


# ------------------------------------------------------------------ push


def make_actions(store_path: Path, count: int) -> list[list[dict[str, object]]]:
    """`count` pending actions on pulled tips; the wire batches SyncClient.push() will send."""
    store = open_store(store_path)
    kinds = ("claim", "priority", "labels", "note")
    with store.write() as conn:
        tips = [
            r
            for (r,) in conn.exec_driver_sql(
                "SELECT id FROM report WHERE hub_id IS NOT NULL ORDER BY id LIMIT ?", (count,)
            )
        ]
        if len(tips) < count:
            raise SystemExit(f"only {len(tips)} tips to act on; use --reports >= --actions")
        for n, tip in enumerate(tips):
            kind = kinds[n % len(kinds)]
            if kind == "claim":
                actions.claim(conn, tip, analyst=ANALYST, now=NOW)
            elif kind == "priority":
                actions.set_priority(conn, tip, "1", analyst=ANALYST, now=NOW)
            elif kind == "labels":
                actions.set_labels(conn, tip, ["bench", "grooming"], analyst=ANALYST, now=NOW)
            else:
                actions.add_note(conn, tip, f"bench note {n}", analyst=ANALYST, now=NOW)
    with store.read() as conn:
        pending = sync_state.pending_actions(conn, limit=count)
    store.close()
    step = sync_state.PUSH_BATCH
    return [pending[i : i + step] for i in range(0, len(pending), step)]


def push_ours(store_path: Path, url: str, token: str) -> tuple[float, int, dict[str, int]]:
    store = open_store(store_path)

    async def run() -> int:
        client = SyncClient(store, HubConfig(url, token))
        try:
            return await client.push()
        finally:
            await client.aclose()

    started = time.perf_counter()
    pushed = asyncio.run(run())
    elapsed = time.perf_counter() - started
    with store.read() as conn:
        states = dict(
            conn.exec_driver_sql("SELECT state, count(*) FROM outbox GROUP BY state").all()
        )
    store.close()
    return elapsed, pushed, states


def push_baseline(
    db_path: Path, url: str, token: str, batches: list[list[dict[str, object]]]
) -> tuple[float, int, dict[str, int]]:
    db = sqlite3.connect(fresh(db_path), isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE answer (action_id TEXT PRIMARY KEY, outcome TEXT, answered_at INTEGER, "
        "answer TEXT)"
    )
    headers = {"Authorization": f"Bearer {token}"}
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    with httpx.Client(base_url=url, headers=headers, timeout=60.0) as http:
        for batch in batches:
            response = http.post("/v1/actions", json={"actions": batch})
            response.raise_for_status()
            answers = response.json()["results"]
            now = int(time.time())
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO answer (action_id, outcome, answered_at, answer) VALUES (?, ?, ?, ?)",
                [(a["action_id"], a["outcome"], now, json.dumps(a)) for a in answers],
            )
            db.execute("COMMIT")
            for a in answers:
                outcomes[a["outcome"]] = outcomes.get(a["outcome"], 0) + 1
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, sum(outcomes.values()), outcomes


# ------------------------------------------------------------------ report


def missed(ratio: float) -> str:
    return "" if ratio <= TARGET else " MISSED"


def top_costs(profile: Path, title: str, limit: int = 20) -> str:
    out = io.StringIO()
    print(f"---- {title}: top {limit} by own time, then by cumulative time", file=out)
    stats = pstats.Stats(str(profile), stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--serve":
        serve(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile our pull (first run) and print top costs"
    )
    args = parser.parse_args()

    seeded = seeded_hub(args.out, args.reports, args.seed)
    work = args.out / "sync-run"
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average before "
        + " ".join(f"{x:.2f}" for x in load_before)
    )
    print(
        f"hub: uvicorn on 127.0.0.1 in a child process, SQLite {seeded.name} "
        f"({seeded.stat().st_size / 1e6:,.0f} MB), copied fresh for every run; page size {PAGE}"
    )

    figures: dict[str, list[float]] = {k: [] for k in ("po", "pb", "so", "sb", "no", "nb")}
    snapshots = work / "snapshots"
    token_s = hub_copy(seeded, work / "hub-s.sqlite")
    build_s, snapshot_file, snapshot_seq = build_snapshot(work / "hub-s.sqlite", snapshots)
    snapshot_mb = snapshot_file.stat().st_size / 1e6
    print(
        f"hub snapshot: {args.reports:,} reports (seq {snapshot_seq:,}) caught up and published "
        f"in {build_s:.1f} s, {snapshot_mb:,.0f} MB (on the hub, in the background)"
    )
    for run in range(args.runs):
        token = hub_copy(seeded, work / "hub-a.sqlite")
        hub = Hub(work / "hub-a.sqlite", work / "evidence")
        try:
            # alternate which goes first, so neither always gets the warmer cache
            profile = work / "pull.prof" if args.profile and run == 0 else None
            order = ("ours", "base") if run % 2 == 0 else ("base", "ours")
            for which in order:
                if which == "ours":
                    t_ours, stored = pull_ours(work / "store.sqlite", hub.url, token, profile)
                else:
                    t_base, fetched = pull_baseline(work / "baseline.sqlite", hub.url, token)
            batches = make_actions(work / "store.sqlite", args.actions)
            s_ours, pushed, states = push_ours(work / "store.sqlite", hub.url, token)
        finally:
            hub.stop()
        token_b = hub_copy(seeded, work / "hub-b.sqlite")
        hub = Hub(work / "hub-b.sqlite", work / "evidence")
        try:
            s_base, answered, outcomes = push_baseline(
                work / "baseline-push.sqlite", hub.url, token_b, batches
            )
        finally:
            hub.stop()
        token_s = hub_copy(seeded, work / "hub-s.sqlite")  # the snapshot's seq is its head
        hub = Hub(work / "hub-s.sqlite", work / "evidence", snapshots)
        try:
            for which in order:
                if which == "ours":
                    n_ours, booted = pull_ours(work / "store-snap.sqlite", hub.url, token_s, None)
                else:
                    n_base, copied = snapshot_baseline(
                        work / "baseline-snap.sqlite", hub.url, token_s
                    )
        finally:
            hub.stop()
        figures["no"].append(booted / n_ours)
        figures["nb"].append(copied / n_base)
        figures["po"].append(stored / t_ours)
        figures["pb"].append(fetched / t_base)
        figures["so"].append(pushed / s_ours)
        figures["sb"].append(answered / s_base)
        print(
            f"run {run + 1}: pull ours {stored:,} tips in {t_ours:.1f} s, baseline "
            f"{fetched:,} changes in {t_base:.1f} s; push ours {pushed:,} in {s_ours:.2f} s "
            f"({states}), baseline {answered:,} in {s_base:.2f} s ({outcomes}); snapshot pull "
            f"ours {booted:,} tips in {n_ours:.2f} s, baseline {copied:,} in {n_base:.2f} s"
        )

    what = "one run" if args.runs == 1 else f"median of {args.runs} runs"
    po, pb = statistics.median(figures["po"]), statistics.median(figures["pb"])
    so, sb = statistics.median(figures["so"]), statistics.median(figures["sb"])
    print(f"initial pull of {args.reports:,} reports ({what}):")
    print(f"  ours      {po:10,.0f} reports/s   SyncClient.pull() into an empty store")
    print(f"  baseline  {pb:10,.0f} reports/s   httpx pages + sqlite3 executemany, one transaction")
    print(f"  ratio     {pb / po:10.2f}x{missed(pb / po)}   (target <= {TARGET:.1f})")
    no, nb = statistics.median(figures["no"]), statistics.median(figures["nb"])
    print(f"first sync of {args.reports:,} reports WITH the hub's snapshot ({what}):")
    print(f"  hub build {build_s:10.1f} s          catch_up + publish, before anyone asks")
    print(f"  ours      {no:10,.0f} reports/s   SyncClient.pull() into an empty store")
    print(f"  baseline  {nb:10,.0f} reports/s   the same bytes: httpx to a file + sqlite3 backup")
    print(f"  ratio     {nb / no:10.2f}x{missed(nb / no)}   (target <= {TARGET:.1f})")
    print(
        f"  vs pages  {pb / no:10.2f}x          the page baseline above over ours with the snapshot"
    )
    print(f"push of {args.actions:,} actions ({what}):")
    print(f"  ours      {so:10,.0f} actions/s   SyncClient.push()")
    print(f"  baseline  {sb:10,.0f} actions/s   the same bodies with httpx + sqlite3 executemany")
    print(f"  ratio     {sb / so:10.2f}x{missed(sb / so)}   (target <= {TARGET:.1f})")
    print("load average after " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.profile:
        print(top_costs(work / "pull.prof", "pull, event-loop thread (HTTP, JSON)"))
        print(top_costs(work / "pull.prof.apply", "pull, writer thread (apply_changes)"))


if __name__ == "__main__":
    main()
