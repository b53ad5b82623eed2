"""Where bench/hub_fleet.py's CPU goes, and hosts modelled on one machine by CPU budgets.

On one machine the hubs, PostgreSQL and the bench client share the cores: if a finished
report costs h seconds of hub CPU and o of everything else, two processes can reach at most
2h/(h+o) times one, whatever the hub's locks do. So the bench reads, from /proc, the CPU
seconds of each hub process, of PostgreSQL's whole process tree (its backends) and of
itself; and it can give each hub process a fixed CPU budget of its own, as a VM has, with
the cgroup v1 cpu controller (`cpu.cfs_quota_us` over `cpu.cfs_period_us`), PostgreSQL and
the client keeping the rest. With hosts that bring their own CPU, a fleet that does not
grow with its processes is held back by something they share: a lock, a row, a pool.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CGROUP_CPU = Path("/sys/fs/cgroup/cpu")


def descendants(root: int) -> set[int]:
    """`root` and every process below it (PostgreSQL's postmaster and its backends)."""
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


def cpu_seconds(pids: set[int]) -> float:
    """User and system CPU seconds the processes (all their threads) have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def core_wait_seconds(pids: set[int]) -> float:
    """Seconds the processes' threads have spent runnable but waiting for a core, so far
    (/proc/PID/task/TID/schedstat): a host short of CPU because the machine is, not idle."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the thread ended meanwhile
    return total / 1e9


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def load_average() -> float:
    """The machine's one-minute load average: how many wanted a core, beside our own."""
    return float(Path("/proc/loadavg").read_text().split()[0])


class HostBudgets:
    """One cgroup per hub process, each allowed `cores` of CPU: hosts of their own.

    `period_ms` is short so a budget is spent fairly evenly, as a VM's vCPU share is, rather
    than in bursts followed by a long stall (a process throttled while it holds a lock stalls
    the others longer than a real host would); but long enough that a quota is several of
    the 5 ms slices the kernel deals it to each core in, or much of it goes unused (of 0.4
    core, two hosts used 0.32 each at 10 ms, 0.37 at 50 ms, here). A budget is also guaranteed, as a
    VM's is: on a machine busy with other jobs, a group weighs as one process among many
    unless its `cpu.shares` say more. PostgreSQL and the bench (`rest`) get a weighty group
    of their own, with no cap: the database host and the balancer's side. With no budget,
    the hubs join that group: one machine, its cores shared, weighing as much against other
    jobs on it as the hosts do, so the two modes compare.
    """

    SHARES = 8192  # eight ordinary processes' weight: enough to get the budget when asked

    def __init__(self, cores: float, period_ms: float = 50.0) -> None:
        self.cores = cores
        self.period_us = int(period_ms * 1000)
        self.groups: list[Path] = []
        self.hosts: list[Path] = []  # the capped ones, host by host

    def _group(self, name: str) -> Path:
        group = CGROUP_CPU / f"hub-fleet-{os.getpid()}-{name}"
        if group not in self.groups:
            group.mkdir(exist_ok=True)
            (group / "cpu.shares").write_text(str(self.SHARES))
            self.groups.append(group)
        return group

    @staticmethod
    def _move(group: Path, pids: set[int]) -> None:
        for pid in sorted(pids):
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                (group / "cgroup.procs").write_text(str(pid))

    def rest(self, pids: set[int]) -> None:
        """PostgreSQL's processes (new backends follow the postmaster) and the bench."""
        self._move(self._group("rest"), pids)

    @staticmethod
    def unavailable() -> str | None:
        """Why budgets cannot be set here, or None when they can."""
        if not (CGROUP_CPU / "cpu.cfs_quota_us").exists():
            return f"no cgroup v1 cpu controller at {CGROUP_CPU}"
        probe = CGROUP_CPU / f"hub-fleet-probe-{os.getpid()}"
        try:
            probe.mkdir()
            (probe / "cpu.cfs_quota_us").write_text("10000")
        except OSError as exc:
            return f"{CGROUP_CPU} is not writable here ({exc.strerror})"
        finally:
            if probe.exists():
                probe.rmdir()
        return None

    def place(self, n: int, pid: int) -> None:
        """Put process `pid` (and what it started) into host `n`'s budget; with no budget
        (`cores` 0), into the group of the rest: one machine, as weighty as with budgets."""
        if not self.cores:
            self._move(self._group("rest"), descendants(pid))
            return
        group = self._group(f"host-{n}")
        (group / "cpu.cfs_period_us").write_text(str(self.period_us))
        (group / "cpu.cfs_quota_us").write_text(str(int(self.cores * self.period_us)))
        self._move(group, descendants(pid))
        self.hosts.append(group)

    def throttled(self) -> list[tuple[int, int]]:
        """(periods, periods throttled) so far, per host."""
        out = []
        for group in self.hosts:
            stat = dict(
                line.split() for line in (group / "cpu.stat").read_text().splitlines() if line
            )
            out.append((int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0))))
        return out

    def remove(self) -> None:
        """Back to the machine's own group, every process left; then the groups go."""
        for group in self.groups:
            self._move(CGROUP_CPU, {int(p) for p in (group / "cgroup.procs").read_text().split()})
            with contextlib.suppress(OSError):
                group.rmdir()
        self.groups.clear()
        self.hosts.clear()
