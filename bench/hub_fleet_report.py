"""bench/hub_fleet.py's figures: one run's, and the issue's targets with what bounds them."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field

ROUND_TRIPS = ("statements", "begins", "ends", "pings")  # what sitecustomize.py counts
LOCK_TARGET = 0.5  # share of the window, at the load where main holds it 90-100%
LOCKED_TRIPS_TARGET = 4.0  # round trips under the global lock per report
SCALE_TARGET = 1.5  # two processes over one


@dataclass
class Run:
    label: str
    processes: int
    budget: float = 0.0  # cores each hub process may use; 0: no budget, the machine's cores
    round: int = 0  # which repeat: ratios are taken within one
    reports: int = 0
    seconds: float = 0.0
    errors: int = 0
    trace: dict[str, float] = field(default_factory=dict)
    lock_sampled: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # "hub 0", "hub 1", "postgres", "bench"
    busy_cores: float = 0.0
    load: float = 0.0  # the one-minute load average at the window's end
    throttled: list[float] = field(default_factory=list)  # per host: share of periods throttled
    core_wait: list[float] = field(default_factory=list)  # per host: threads waiting for a core
    pg_wait: float = 0.0  # seconds PostgreSQL's processes were runnable with no core free

    @property
    def rate(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0

    def per_report(self, key: str) -> float:
        return self.trace.get(key, 0.0) / self.reports if self.reports else float("nan")

    def cpu_per_report(self, prefix: str) -> float:
        """CPU seconds per finished report of the components whose name starts `prefix`."""
        used = sum(v for k, v in self.cpu.items() if k.startswith(prefix))
        return used / self.reports if self.reports else float("nan")

    def host_cores(self) -> list[float]:
        """Cores each hub process used, on average, in the window."""
        hubs = sorted(k for k in self.cpu if k.startswith("hub "))
        return [self.cpu[k] / self.seconds if self.seconds else 0.0 for k in hubs]

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


def print_runs(runs: list[Run]) -> None:
    """Two tables: throughput and the lock; then where the CPU went."""
    print(
        f"{'code':<11}{'procs':>6}{'reports/s':>11}{'x one':>7}{'lock held':>11}"
        f"{'(pg_locks)':>11}{'lock cap/s':>11}{'trips/rep':>11}{'locked':>8}{'load':>6}"
    )
    ones = {r.label: r.rate for r in runs if r.processes == 1}
    for r in runs:
        scale = r.rate / ones.get(r.label, r.rate)
        print(
            f"{r.label:<11}{r.processes:>6}{r.rate:>11.1f}{scale:>7.2f}"
            f"{r.trace.get('locked_seconds', 0) / r.seconds:>10.0%}{r.lock_sampled:>10.0%} "
            f"{r.lock_cap:>10.0f} {r.round_trips:>10.1f}{r.per_report('locked_round_trips'):>8.1f}"
            f"{r.load:>6.2f}"
        )
    print(
        "CPU: ms per finished report (hubs, each hub, PostgreSQL's process tree, this bench); "
        "cores each hub used and waited for (runnable, no core free; with a budget, throttled "
        "time too); the share of budget periods each hub was throttled in; ms per report "
        "PostgreSQL's backends waited for a core (each of a report's round trips waits for one)"
    )
    print(
        f"{'code':<11}{'procs':>6}{'hubs':>6}{'each hub':>16}{'pg':>5}{'bench':>6}"
        f"{'used':>16}{'waited':>16}{'throttled':>12}{'pg waited':>10}{'ours':>6}{'busy':>7}"
    )
    for r in runs:
        each = "/".join(f"{v / r.reports * 1000:.1f}" for v in _hub_cpu(r)) if r.reports else "-"
        print(
            f"{r.label:<11}{r.processes:>6}{r.cpu_per_report('hub') * 1000:>6.1f}{each:>16}"
            f"{r.cpu_per_report('postgres') * 1000:>5.1f}{r.cpu_per_report('bench') * 1000:>6.1f}"
            f"{_each(r.host_cores()):>16}{_each(r.core_wait):>16}"
            f"{'/'.join(f'{t:.0%}' for t in r.throttled) or '-':>12}"
            f"{r.pg_wait / r.reports * 1000 if r.reports else 0:>10.1f}"
            f"{r.our_cores:>6.2f}{r.busy_cores:>5.2f}/{os.cpu_count()}"
        )


def _each(values: list[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values) or "-"


def _hub_cpu(run: Run) -> list[float]:
    return [run.cpu[k] for k in sorted(k for k in run.cpu if k.startswith("hub "))]


def print_targets(runs: list[Run], every: list[Run], label: str) -> None:
    """The issue's targets for one label, on the median runs and within each round."""
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
    ratios = _round_ratios(every, label)
    if ratios:
        checks.append(
            (
                f"two processes >= {SCALE_TARGET}x one, median of each round's ratio",
                statistics.median(ratios) >= SCALE_TARGET,
                f"{statistics.median(ratios):.2f}x ({', '.join(f'{x:.2f}' for x in ratios)})",
            )
        )
    for what, ok, got in checks:
        print(f"  {'met   ' if ok else 'MISSED'} {what}: {label} {got}")
    for r in sorted(mine.values(), key=lambda r: r.processes):
        print(
            f"    {label} x{r.processes}: this run's processes had {r.our_cores:.2f} cores, "
            f"other work {max(0.0, r.busy_cores - r.our_cores):.2f}, "
            f"idle {max(0.0, (os.cpu_count() or 1) - r.busy_cores):.2f}, load {r.load:.2f}"
        )
        print(f"      {_why(r, mine.get(1))}")


def _round_ratios(every: list[Run], label: str) -> list[float]:
    """Two processes over one, within each round (the same minutes of the machine)."""
    rates = {(r.round, r.processes): r.rate for r in every if r.label == label}
    return [
        rates[(n, 2)] / rates[(n, 1)]
        for n in sorted({r for r, _ in rates})
        if (n, 1) in rates and (n, 2) in rates and rates[(n, 1)]
    ]


def _why(r: Run, one: Run | None) -> str:
    """What bounds this run: each host's own budget, or the machine's shared cores."""
    if r.budget:
        used = r.host_cores()
        full = all(c >= 0.9 * r.budget for c in used)
        pg_wait = r.pg_wait / r.reports * 1000 if r.reports else 0.0
        return (
            f"hosts used {_each(used)} of {r.budget:g} core each, throttled in "
            f"{'/'.join(f'{t:.0%}' for t in r.throttled)} of periods, PostgreSQL's backends "
            f"waited {pg_wait:.1f} ms a report for a core: "
            + (
                "bound by their own CPU, so more hosts bring more"
                if full
                else "below budget, waiting for the shared machine's cores (theirs, or the "
                "database's on each round trip) or something else shared"
            )
        )

    hub, other = r.cpu_per_report("hub"), r.cpu_per_report("postgres") + r.cpu_per_report("bench")
    cores = os.cpu_count() or 1
    left = max(0.1, cores - max(0.0, r.busy_cores - r.our_cores))  # less other jobs' share
    base = one.rate if one and one.rate else float("nan")
    cap = min(r.processes / hub, cores / (hub + other))
    return (
        f"{hub * 1000:.1f} ms hub + {other * 1000:.1f} ms PostgreSQL and bench CPU a report: "
        f"{cores} idle cores allow at most {cap:.0f}/s ({cap / base:.2f}x one process measured), "
        f"the {left:.2f} cores other jobs left {left / (hub + other):.0f}/s "
        f"({left / (hub + other) / base:.2f}x)"
    )
