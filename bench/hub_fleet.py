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
- CPU: seconds per report of the hub processes, of PostgreSQL and of this bench, and how busy
  the machine's cores were, so a ratio capped by a saturated CPU says so.

Then, with one process and one client, round trips per call (median of `--per-call` reports).

    python bench/hub_fleet.py --code main=/tmp/main-tree --code new=.   # --processes 1 2 3
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)  # keep bench/ from shadowing standard modules
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

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
ROUND_TRIPS = ("statements", "begins", "ends", "pings")  # what sitecustomize.py counts
SAMPLE_EVERY = 0.02
LOCK_TARGET = 0.5  # share of the window, at the load where main holds it 90-100%
LOCKED_TRIPS_TARGET = 4.0  # round trips under the global lock per report
SCALE_TARGET = 1.5  # two processes over one


@dataclass
class Run:
    label: str
    processes: int
    reports: int = 0
    seconds: float = 0.0
    errors: int = 0
    trace: dict[str, float] = field(default_factory=dict)
    lock_sampled: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    busy_cores: float = 0.0

    @property
    def rate(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0

    def per_report(self, key: str) -> float:
        return self.trace.get(key, 0.0) / self.reports if self.reports else float("nan")

    @property
    def lock_cap(self) -> float:
        """Reports/s the global lock alone would allow: one report per its lock-held time."""
        held = self.trace.get("locked_seconds", 0.0)
        return self.reports / held if held else float("inf")

    @property
    def our_cores(self) -> float:
        """Cores the hubs, PostgreSQL and this bench used, on average, in the window."""
        return sum(self.cpu.values()) / self.seconds if self.seconds else 0.0

    @property
    def round_trips(self) -> float:
        return sum(self.per_report(k) for k in ROUND_TRIPS)


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


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def _cpu_seconds(pids: set[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class LockSampler:
    """Samples pg_locks for the global advisory lock, granted, every SAMPLE_EVERY seconds."""

    def __init__(self, dsn: str) -> None:
        self.dsn, self.samples, self.held = dsn, 0, 0
        self.running = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 1"
        )
        key = ((WRITE_LOCK_KEY >> 32) & 0xFFFFFFFF, WRITE_LOCK_KEY & 0xFFFFFFFF)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
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
        return self

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts:
            host.stop()

    @property
    def urls(self) -> list[str]:
        return [host.url for host in self.hosts]

    def pids(self) -> set[int]:
        return {host.process.pid for host in self.hosts if host.process is not None}


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
    postgres: PostgresServer, label: str, tree: Path, n: int, args: argparse.Namespace
) -> Run:
    run = Run(label, n)
    esps = args.esps or args.clients
    with Fleet(postgres, tree, n, esps, args.work) as fleet:
        pg_pids = _descendants(postgres.process.pid) if postgres.process else set()
        window: dict[str, object] = {}

        def mark(name: str) -> None:
            window[name] = (
                time.monotonic(),
                _trace_totals(fleet.trace, fleet.pids()),
                _cpu_seconds(fleet.pids()),
                _cpu_seconds(_descendants(postgres.process.pid) if postgres.process else pg_pids),
                _cpu_seconds({os.getpid()}),
                _machine_busy(),
            )

        async def timed() -> list[float]:
            loop = asyncio.get_running_loop()
            loop.call_later(args.warmup, mark, "start")
            loop.call_later(args.warmup + args.seconds, mark, "end")
            return await _load(fleet.urls, fleet.accounts, args)

        dsn = fleet.url.replace("postgresql+psycopg", "postgresql")
        with LockSampler(dsn) as sampler:
            finished = asyncio.run(timed())
        run.lock_sampled = sampler.share
        (t0, tr0, hub0, pg0, me0, m0), (t1, tr1, hub1, pg1, me1, m1) = (
            window["start"],
            window["end"],
        )  # type: ignore[misc]
        run.seconds = t1 - t0
        run.reports = sum(1 for at in finished if t0 <= at < t1)
        run.trace = _diff(tr1, tr0)
        run.cpu = {"hub": hub1 - hub0, "postgres": pg1 - pg0, "bench": me1 - me0}
        run.busy_cores = (m1[0] - m0[0]) / max(1, m1[1] - m0[1]) * (os.cpu_count() or 1)
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


def print_runs(runs: list[Run]) -> None:
    print(
        f"{'code':<8}{'procs':>6}{'reports/s':>11}{'x one':>7}{'lock held':>11}"
        f"{'(pg_locks)':>11}{'lock cap/s':>11}{'trips/rep':>11}{'locked':>8}{'cpu hub':>9}"
        f"{'cpu pg':>8}{'cpu bench':>10}{'cores ours':>11}{'busy':>7}"
    )
    ones = {r.label: r.rate for r in runs if r.processes == 1}
    for r in runs:
        per = {k: v / r.reports if r.reports else 0 for k, v in r.cpu.items()}
        print(
            f"{r.label:<8}{r.processes:>6}{r.rate:>11.1f}{r.rate / ones.get(r.label, r.rate):>7.2f}"
            f"{r.trace.get('locked_seconds', 0) / r.seconds:>10.0%}{r.lock_sampled:>10.0%} "
            f"{r.lock_cap:>10.0f} {r.round_trips:>10.1f}{r.per_report('locked_round_trips'):>8.1f}"
            f"{per.get('hub', 0) * 1000:>7.1f}ms{per.get('postgres', 0) * 1000:>6.1f}ms"
            f"{per.get('bench', 0) * 1000:>8.1f}ms{r.our_cores:>11.2f}"
            f"{r.busy_cores:>5.2f}/{os.cpu_count()}"
        )


def _keys(runs: list[Run]) -> list[tuple[str, int]]:
    return sorted({(r.label, r.processes) for r in runs}, key=lambda k: (k[1], k[0]))


def _median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def print_targets(runs: list[Run], label: str) -> None:
    mine = {r.processes: r for r in runs if r.label == label}
    checks = []
    if mine:
        worst_trips = max(r.per_report("locked_round_trips") for r in mine.values())
        checks.append(
            (
                f"round trips under the global lock per report <= {LOCKED_TRIPS_TARGET:g}",
                worst_trips <= LOCKED_TRIPS_TARGET,
                f"{worst_trips:.1f}",
            )
        )
        worst_lock = max(r.trace.get("locked_seconds", 0) / r.seconds for r in mine.values())
        checks.append(
            (
                f"global lock held < {LOCK_TARGET:.0%} of the time",
                worst_lock < LOCK_TARGET,
                f"{worst_lock:.0%}",
            )
        )
    if 1 in mine and 2 in mine:
        ratio = mine[2].rate / mine[1].rate
        checks.append(
            (f"two processes >= {SCALE_TARGET}x one", ratio >= SCALE_TARGET, f"{ratio:.2f}x")
        )
    for what, ok, got in checks:
        print(f"  {'met   ' if ok else 'MISSED'} {what}: {label} {got}")
    for r in sorted(mine.values(), key=lambda r: r.processes):
        print(
            f"    {label} x{r.processes}: this run's processes had {r.our_cores:.2f} cores, "
            f"other work {max(0.0, r.busy_cores - r.our_cores):.2f}, "
            f"idle {max(0.0, (os.cpu_count() or 1) - r.busy_cores):.2f}"
        )


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
    args = parser.parse_args()
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


def _bench(postgres: PostgresServer, codes: list[tuple[str, str]], args: argparse.Namespace) -> int:
    print(
        f"{args.clients} clients, {args.esps or args.clients} ESP accounts, "
        f"{args.file_bytes:,}-byte files, {args.seconds:g} s windows, {os.cpu_count()} cores"
    )
    every: list[Run] = []
    for _round in range(args.repeat):  # trees alternate run by run: drift hits both alike
        for n in args.processes:
            for label, tree in codes:
                every.append(measure_load(postgres, label, Path(tree).resolve(), n, args))
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
        print_targets(runs, label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
