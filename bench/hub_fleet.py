"""The hub's write path as a fleet: finished ESP reports per second with 1, 2 and 3 hub processes.

Starts a throwaway PostgreSQL cluster (as tests/hub_helpers.py does), then for each code tree
given (`--code LABEL=PATH`, e.g. a worktree of main beside this one) and each process count, a
fresh database with `tipline hub serve` x N on it. `--clients` concurrent ESP clients (asyncio,
each its own ESP account unless `--esps` says fewer) file reports through the real ESP API over
HTTP: submit, upload (`--file-bytes` random bytes), fileinfo, finish, each call on the next
process in turn as a round-robin balancer would. It prints, per tree and process count:

- reports/s: reports finished (code 0 from finish) in the `--seconds` window after a warm-up;
- lock held: the share of that window the global advisory lock was held, two ways: the seconds
  each process held it, summed (bench/hub_fleet_trace/sitecustomize.py), and sampling pg_locks
  every 20 ms (the share of samples showing it granted);
- round trips per report, all and under the global lock (what sitecustomize.py counts, divided
  by the reports finished in the window);
- CPU: milliseconds per finished report of each hub process, of PostgreSQL's process tree
  and of this bench, and how busy the machine's cores were, with what that allows: if a
  report costs h of hub CPU and o of the rest, two processes on 2 cores reach at most
  2h/(h+o) times one, so a ratio capped by the machine says so in numbers.

`--hosts` (bench/hub_fleet_hosts.py): `shared`, the hubs share the machine's cores with
PostgreSQL and the bench; `budget`, each hub process has a CPU budget of its own
(`--host-cores`, a cgroup v1 cpu quota), as a host or VM would, PostgreSQL and the bench the
rest, so 1, 2, 3 processes show whether the fleet grows when each host brings its own CPU
or something shared (a lock, a row, a pool) holds it; `both` (default) alternates them. The
ratio two processes over one is taken within each round and its median printed (`--repeat`).
Where cgroups are not writable it says so and runs `shared` only.

Then, with one process and one client, round trips per call (median of `--per-call` reports).

    python bench/hub_fleet.py --code main=/tmp/main-tree --code new=.   # --processes 1 2 3
    python bench/hub_fleet.py --repeat 3 --hosts both --host-cores 0.4
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)  # keep bench/ from shadowing standard modules
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench.hub_fleet_hosts import (  # noqa: E402
    HostBudgets,
    core_wait_seconds,
    cpu_seconds,
    descendants,
    load_average,
    machine_busy,
)
from bench.hub_fleet_report import ROUND_TRIPS, Run, print_runs, print_targets  # noqa: E402
from bench.hub_fleet_wire import Wire  # noqa: E402
from tests.factories import simple_report  # noqa: E402
from tests.hub_helpers import PostgresServer, ProcessHub, start_postgres  # noqa: E402
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml, report_to_xml  # noqa: E402
from tipline_tui.domain.report import FileDetails  # noqa: E402
from tipline_tui.hub.auth import create_account  # noqa: E402
from tipline_tui.hub.db import WRITE_LOCK_KEY, open_hub  # noqa: E402

TRACE_SITE = HERE / "hub_fleet_trace"
XML = "text/xml; charset=utf-8"
BOUNDARY = "hub-fleet-boundary-5f1c"
FORM = f"multipart/form-data; boundary={BOUNDARY}"
FORM_URLENCODED = "application/x-www-form-urlencoded"
REPORT_MARK, FILE_MARK = 987654321, "f1e2d3c4b5a6978801234567890abcde"  # filled in per report
CALLS = ("submit", "upload", "fileinfo", "finish")
SAMPLE_EVERY = 0.02


# ------------------------------------------------------------------ one ESP client


def _form(report_id: str, data: bytes) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="id"\r\n\r\n{report_id}\r\n'
    return head.encode() + data


class Esp:
    """One ESP's calls; `hosts` are taken in turn, one call each. Every document and form
    is built once and only its ids filled in per report: the bench's CPU is the hubs' loss."""

    def __init__(self, wire: Wire, hosts: itertools.cycle[str], data: bytes) -> None:
        self.wire, self.hosts = wire, hosts
        self.document = report_to_xml(simple_report(9))
        file_part = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="evidence.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.file_part = file_part + data + f"\r\n--{BOUNDARY}--\r\n".encode()
        self.details = file_details_to_xml(
            FileDetails(file_id=FILE_MARK, file_name="evidence.bin"), REPORT_MARK
        )

    async def call(self, path: str, body: bytes, content_type: str) -> ET.Element:
        answer = await self.wire.post(f"{next(self.hosts)}/ispws/{path}", body, content_type)
        root = ET.fromstring(answer)
        code = int(root.findtext("responseCode") or -1)
        if code != 0:
            raise RuntimeError(f"{path}: code {code}: {root.findtext('responseDescription')}")
        return root

    async def report(self, between: object = None) -> None:
        """submit, upload, fileinfo, finish; `between` (a coroutine function) after each."""
        root = await self.call("submit", self.document, XML)
        report_id = root.findtext("reportId") or ""
        await _maybe(between, "submit")
        form = _form(report_id, self.file_part)
        file_id = (await self.call("upload", form, FORM)).findtext("fileId") or ""
        await _maybe(between, "upload")
        details = self.details.replace(str(REPORT_MARK).encode(), report_id.encode(), 1)
        await self.call("fileinfo", details.replace(FILE_MARK.encode(), file_id.encode(), 1), XML)
        await _maybe(between, "fileinfo")
        await self.call("finish", f"id={report_id}".encode(), FORM_URLENCODED)
        await _maybe(between, "finish")


async def _maybe(between: object, call: str) -> None:
    if between is not None:
        await between(call)  # type: ignore[operator]


async def _load(
    hosts: list[str], accounts: list[tuple[str, str]], args: argparse.Namespace
) -> list[float]:
    """Every client filing reports until the window closes; the finish times."""
    finished: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + args.warmup + args.seconds
    data = os.urandom(args.file_bytes)

    async def client(n: int) -> None:
        wire = Wire(accounts[n % len(accounts)])
        esp = Esp(wire, itertools.cycle(hosts[n % len(hosts) :] + hosts[: n % len(hosts)]), data)
        try:
            while time.monotonic() < stop_at:
                try:
                    await esp.report()
                    finished.append(time.monotonic())
                except (RuntimeError, OSError, ValueError, asyncio.IncompleteReadError) as exc:
                    errors.append(str(exc)[:200])
        finally:
            wire.close()

    await asyncio.gather(*(client(n) for n in range(args.clients)))
    if errors:
        print(f"    {len(errors)} failed reports, first: {errors[0]}", file=sys.stderr)
    return finished


# ------------------------------------------------------------------ measuring


def _trace_totals(directory: Path, pids: set[int]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for pid in pids:
        try:
            counts = json.loads((directory / f"{pid}.json").read_text())
        except (OSError, ValueError):
            continue
        for key, value in counts.items():
            totals[key] = totals.get(key, 0.0) + value
    return totals


def _diff(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}


class LockSampler:
    """Samples pg_locks for the global advisory lock, granted, every SAMPLE_EVERY seconds."""

    def __init__(self, dsn: str) -> None:
        self.dsn, self.samples, self.held = dsn, 0, 0
        self.backend = 0  # its own backend's pid: PostgreSQL's CPU is counted without it
        self.running = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 1"
        )
        key = ((WRITE_LOCK_KEY >> 32) & 0xFFFFFFFF, WRITE_LOCK_KEY & 0xFFFFFFFF)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            self.backend = conn.info.backend_pid
            while self.running:
                row = conn.execute(query, key).fetchone()
                self.samples += 1
                self.held += bool(row and row[0])
                time.sleep(SAMPLE_EVERY)

    def __enter__(self) -> LockSampler:
        self.running = True
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()

    @property
    def share(self) -> float:
        return self.held / self.samples if self.samples else 0.0


# ------------------------------------------------------------------ a fleet


@dataclass
class Fleet:
    """A fresh database, its ESP accounts and N hub processes of one code tree."""

    postgres: PostgresServer
    tree: Path
    processes: int
    esps: int
    work: Path
    budgets: HostBudgets | None = None  # each process's own CPU budget, as a host's
    hosts: list[TreeHub] = field(default_factory=list)
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def __enter__(self) -> Fleet:
        self.url = self.postgres.new_database()
        hub = open_hub(self.url, pool_size=1, max_overflow=0)
        with hub.write() as conn:
            for n in range(self.esps):
                name = f"Bench ESP {n}"
                self.accounts.append(
                    (name, create_account(conn, kind="esp", name=name, now=int(time.time())))
                )
        hub.close()
        self.trace = Path(tempfile.mkdtemp(prefix="trace-", dir=self.work))
        env = {
            "PYTHONPATH": f"{TRACE_SITE}{os.pathsep}{self.tree}",
            "HUB_FLEET_TRACE": str(self.trace),
        }
        for n in range(self.processes):
            self.hosts.append(
                TreeHub(self.tree, self.url, self.work / f"evidence-{n}", env).start()
            )
            if self.budgets and self.hosts[-1].process:  # started at full speed, then held
                self.budgets.place(n, self.hosts[-1].process.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts:
            host.stop()
        if self.budgets:
            self.budgets.remove()

    @property
    def urls(self) -> list[str]:
        return [host.url for host in self.hosts]

    def pids(self) -> set[int]:
        return set(self.ordered_pids())

    def ordered_pids(self) -> list[int]:
        return [host.process.pid for host in self.hosts if host.process is not None]


class TreeHub(ProcessHub):
    """`tipline hub serve` run from a given code tree (its working directory, so its code)."""

    def __init__(self, tree: Path, db_url: str, evidence_dir: Path, env: dict[str, str]) -> None:
        super().__init__(db_url, evidence_dir, None, "--no-snapshots", env=env)
        self.tree = tree

    def start(self) -> TreeHub:
        command = [sys.executable, "-m", "tipline_tui", "hub", "serve", "--db", self.db_url]
        command += ["--port", str(self.port), "--evidence", str(self.evidence_dir), *self.extra]
        self.process = subprocess.Popen(
            command,
            cwd=self.tree,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self.env},
        )
        process, deadline = self.process, time.monotonic() + 180  # a busy machine starts slowly
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"hub at {self.url} did not start")
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=2.0)
                return self
            except httpx.TransportError:
                time.sleep(0.2)


def measure_load(
    postgres: PostgresServer,
    label: str,
    tree: Path,
    n: int,
    args: argparse.Namespace,
    budget: float = 0.0,
) -> Run:
    """One fleet under load; `budget`: the cores each hub process may use (0: no limit)."""
    run = Run(label, n, budget)
    esps = args.esps or args.clients
    budgets = HostBudgets(budget, args.host_period_ms) if args.cgroups else None
    with Fleet(postgres, tree, n, esps, args.work, budgets) as fleet:
        window: dict[str, Any] = {}
        dsn = fleet.url.replace("postgresql+psycopg", "postgresql")
        sampler = LockSampler(dsn)
        if budgets and postgres.process:  # the database's host and the balancer's side
            budgets.rest(descendants(postgres.process.pid) | {os.getpid()})

        def mark(name: str) -> None:
            pg = descendants(postgres.process.pid) if postgres.process else set()
            window[name] = (
                time.monotonic(),
                _trace_totals(fleet.trace, fleet.pids()),
                {f"hub {i}": cpu_seconds({pid}) for i, pid in enumerate(fleet.ordered_pids())},
                cpu_seconds(pg - {sampler.backend}),
                cpu_seconds({os.getpid()}),
                machine_busy(),
                budgets.throttled() if budgets else [],
                [core_wait_seconds({pid}) for pid in fleet.ordered_pids()],
                core_wait_seconds(pg - {sampler.backend}),
            )

        async def timed() -> list[float]:
            loop = asyncio.get_running_loop()
            loop.call_later(args.warmup, mark, "start")
            loop.call_later(args.warmup + args.seconds, mark, "end")
            return await _load(fleet.urls, fleet.accounts, args)

        with sampler:
            finished = asyncio.run(timed())
        run.lock_sampled = sampler.share
        (t0, tr0, hub0, pg0, me0, m0, th0, w0, pw0) = window["start"]
        (t1, tr1, hub1, pg1, me1, m1, th1, w1, pw1) = window["end"]
        run.seconds = t1 - t0
        run.reports = sum(1 for at in finished if t0 <= at < t1)
        run.trace = _diff(tr1, tr0)
        run.cpu = {k: hub1[k] - hub0[k] for k in hub1}
        run.cpu |= {"postgres": pg1 - pg0, "bench": me1 - me0}
        run.busy_cores = (m1[0] - m0[0]) / max(1, m1[1] - m0[1]) * (os.cpu_count() or 1)
        run.load = load_average()
        run.throttled = [(b[1] - a[1]) / max(1, b[0] - a[0]) for a, b in zip(th0, th1, strict=True)]
        run.core_wait = [(b - a) / run.seconds for a, b in zip(w0, w1, strict=True)]
        run.pg_wait = pw1 - pw0
    return run


def measure_calls(
    postgres: PostgresServer, tree: Path, args: argparse.Namespace
) -> dict[str, float]:
    """Round trips per call, one process, one client, one call at a time (median)."""
    per_call: dict[str, list[float]] = {}
    with Fleet(postgres, tree, 1, 1, args.work) as fleet:

        async def go() -> None:
            wire = Wire(fleet.accounts[0])
            try:
                esp = Esp(wire, itertools.cycle(fleet.urls), os.urandom(args.file_bytes))
                await esp.report()  # warms the ESP's credentials cache
                last = [await _settled(fleet)]

                async def between(call: str) -> None:
                    now = await _settled(fleet)
                    trips = _diff(now, last[0])
                    all_trips = sum(trips.get(k, 0.0) for k in ROUND_TRIPS)
                    per_call.setdefault(call, []).append(all_trips)
                    locked = trips.get("locked_round_trips", 0.0)
                    per_call.setdefault(f"{call} locked", []).append(locked)
                    last[0] = now

                for _ in range(args.per_call):
                    last[0] = await _settled(fleet)
                    await esp.report(between)
            finally:
                wire.close()

        asyncio.run(go())
    return {call: statistics.median(values) for call, values in per_call.items()}


async def _settled(fleet: Fleet) -> dict[str, float]:
    await asyncio.sleep(0.3)  # two dumps: every statement of the call is in the file
    return _trace_totals(fleet.trace, fleet.pids())


# ------------------------------------------------------------------ report


def _keys(runs: list[Run]) -> list[tuple[str, int]]:
    return sorted({(r.label, r.processes) for r in runs}, key=lambda k: (k[1], k[0]))


def _median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="a code tree to run the hub from (repeat; default: this one)",
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--esps", type=int, default=0, help="ESP accounts the clients share (default: one each)"
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--file-bytes", type=int, default=20_000)
    parser.add_argument("--per-call", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, alternated")
    parser.add_argument(
        "--hosts",
        choices=("shared", "budget", "both"),
        default="both",
        help="hub processes share the machine's cores, each has its own CPU budget as a host "
        "would (a cgroup each), or both alternated (default)",
    )
    parser.add_argument("--host-cores", type=float, default=0.4, help="each host's budget")
    parser.add_argument(
        "--host-period-ms",
        type=float,
        default=50.0,
        help="the budget's period; short ones are dealt out badly (the kernel hands a budget "
        "to each core in 5 ms slices)",
    )
    args = parser.parse_args()
    args.cgroups = not (why := HostBudgets.unavailable())
    if why:
        print(f"no per-host CPU budgets: {why}; hub processes share the cores", file=sys.stderr)
        args.hosts = "shared"
    codes = [tuple(c.split("=", 1)) for c in args.code] or [("this", str(ROOT))]
    with tempfile.TemporaryDirectory(prefix="hub-fleet-") as work:
        args.work = Path(work)
        cluster = start_postgres()  # a generator: its clean-up runs when it is closed
        postgres = next(cluster)
        try:
            if postgres is None:
                print("no PostgreSQL binaries: install Debian's postgresql", file=sys.stderr)
                return 1
            return _bench(postgres, codes, args)
        finally:
            cluster.close()


def _budgets(args: argparse.Namespace) -> list[float]:
    """The modes to run: 0.0 (hubs share the machine's cores), the per-host budget, or both."""
    return {"shared": [0.0], "budget": [args.host_cores], "both": [0.0, args.host_cores]}[
        args.hosts
    ]


def _label(label: str, budget: float) -> str:
    return f"{label}@{budget:g}c" if budget else label


def _bench(postgres: PostgresServer, codes: list[tuple[str, str]], args: argparse.Namespace) -> int:
    print(
        f"{args.clients} clients, {args.esps or args.clients} ESP accounts, "
        f"{args.file_bytes:,}-byte files, {args.seconds:g} s windows, {os.cpu_count()} cores"
        + (
            f"; hosts of {args.host_cores:g} core each as @{args.host_cores:g}c"
            if args.hosts != "shared"
            else ""
        )
    )
    every: list[Run] = []
    for round_ in range(args.repeat):  # trees alternate run by run: drift hits both alike
        for n in args.processes:
            for label, tree in codes:
                for budget in _budgets(args):
                    run = measure_load(
                        postgres, _label(label, budget), Path(tree).resolve(), n, args, budget
                    )
                    run.round = round_
                    every.append(run)
                    print_runs(every[-1:])
    runs = [
        _median_run([r for r in every if (r.label, r.processes) == key]) for key in _keys(every)
    ]
    print(f"\nthe run of median reports/s of {args.repeat} for each:")
    print_runs(runs)
    for label, tree in codes:
        calls = measure_calls(postgres, Path(tree).resolve(), args)
        shown = ", ".join(f"{c} {calls[c]:g} ({calls[c + ' locked']:g} locked)" for c in CALLS)
        print(f"round trips per call, {label}: {shown}")
    for label, _tree in codes:
        for budget in _budgets(args):
            print_targets(runs, every, _label(label, budget))
    return 0


if __name__ == "__main__":
    sys.exit(main())
