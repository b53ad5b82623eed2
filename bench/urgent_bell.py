"""On call: from an ESP finishing an escalated report to the bell in the analyst's terminal.

A real hub (`tipline hub serve`, SQLite, 127.0.0.1, a child process), an on-call analyst's
store connected to it, and `tipline --on-call` in an 80x24 pseudo-terminal. An ESP submits
and finishes escalated ("imminent danger") reports through the ESP API; each is timed from
the moment its `/ispws/finish` is sent until a BEL byte (outside OSC strings: the desktop
notification escapes end in BEL too) reaches the terminal. `--reports` reports, a random
gap of 1 to 3 s between them (seeded), so a poll interval cannot line up with them.

Two phases in one run: push (the long-poll, `[hub] push = true`, the default) and then the
same with push disabled (`TIPLINE_HUB_PUSH=false`: a round every 5 s, the old client), the
baseline. Target: worst <= 1 s with push on loopback.

    python bench/urgent_bell.py [--reports 20] [--seed 7] [--only push|poll]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)  # keep bench/ from shadowing standard modules
sys.path.insert(0, str(HERE.parent))  # the checkout: bench.* imports

import httpx  # noqa: E402

from bench.pty_terminal import read_chunk, spawn, stop, strip_ansi  # noqa: E402
from tipline_tui.demo.synth import generate_reports  # noqa: E402
from tipline_tui.domain.cybertip_xml_write import report_to_xml  # noqa: E402
from tipline_tui.hub.auth import create_account  # noqa: E402
from tipline_tui.hub.db import open_hub  # noqa: E402

TARGET = 1.0
COLUMNS, LINES = 80, 24
OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hub:
    """`tipline hub serve` in a child process, with an ESP and an on-call account."""

    def __init__(self, work: Path) -> None:
        self.db = f"sqlite:///{work / 'hub.sqlite'}"
        hub = open_hub(self.db)
        now = int(time.time())
        with hub.write() as conn:
            esp = create_account(conn, kind="esp", name="Example ESP", now=now)
            self.esp = ("Example ESP", esp)
            secret = create_account(conn, kind="user", name="ana", now=now, role="oncall")
        hub.close()
        self.analyst_token = f"ana:{secret}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "tipline_tui", "hub", "serve", "--db", self.db),
                *("--port", str(self.port), "--evidence", str(work / "evidence")),
            ],
            cwd=HERE.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the hub did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Analyst:
    """`tipline --on-call` on its own store in a pty, synced with the hub."""

    def __init__(self, work: Path, hub: Hub, *, push: bool) -> None:
        home = work / ("push" if push else "poll")
        home.mkdir()
        env = dict(
            os.environ,
            TERM="xterm-256color",
            COLUMNS=str(COLUMNS),
            LINES=str(LINES),
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_STATE_HOME=str(home / "state"),
            TIPLINE_DB=str(home / "store.sqlite"),
            TIPLINE_HUB_URL=hub.url,
            TIPLINE_HUB_TOKEN=hub.analyst_token,
            TIPLINE_HUB_PUSH="true" if push else "false",
            TIPLINE_ONCALL_REALERT="1h",  # only new tips ring during the measurement
            TIPLINE_ANALYST="ana",
        )
        for name in ("TEXTUAL", "NO_COLOR", "TMUX", "TIPLINE_CONFIG"):
            env.pop(name, None)
        argv = [sys.executable, "-m", "tipline_tui", "--on-call"]
        self.master, self.proc = spawn(argv, env, COLUMNS, LINES, cwd=HERE.parent)
        self.raw = bytearray()
        self.wait_for(lambda: b"online" in bytes(self.raw), "the app to be online", 60)

    def drain(self, timeout: float) -> bytes:
        chunk = read_chunk(self.master, timeout)
        if chunk:
            self.raw += chunk
        return chunk or b""

    def wait_for(self, condition: object, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            if time.monotonic() > deadline:
                text = strip_ansi(bytes(self.raw[-2000:]).decode(errors="replace"))
                raise RuntimeError(f"gave up waiting for {what}: {text!r}")
            self.drain(0.05)

    def bell_after(self, mark: int, timeout: float = 30.0) -> float | None:
        """perf_counter() when a BEL outside OSC strings has arrived after byte `mark`."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if b"\x07" in OSC.sub(b"", bytes(self.raw[mark:])):
                return time.perf_counter()
            self.drain(0.002)
        return None

    def stop(self) -> None:
        stop(self.proc, self.master, b"q", self.drain)


def measure(work: Path, hub: Hub, *, push: bool, documents: list[bytes], seed: int) -> list[float]:
    analyst = Analyst(work, hub, push=push)
    gaps = random.Random(seed)
    delays: list[float] = []
    try:
        with httpx.Client(base_url=hub.url, auth=hub.esp, timeout=30) as esp:
            for n, document in enumerate(documents):
                pause = time.monotonic() + gaps.uniform(1.0, 3.0)
                while time.monotonic() < pause:
                    analyst.drain(0.05)
                submit = esp.post(
                    "/ispws/submit",
                    content=document,
                    headers={"Content-Type": "text/xml; charset=utf-8"},
                )
                report_id = ElementTree.fromstring(submit.content).findtext("reportId")
                analyst.drain(0.0)
                mark = len(analyst.raw)
                started = time.perf_counter()  # the ESP sends /finish: the clock starts
                finished = esp.post("/ispws/finish", data={"id": str(report_id)})
                if ElementTree.fromstring(finished.content).findtext("responseCode") != "0":
                    raise RuntimeError(f"report {n + 1}: finish refused: {finished.text}")
                rang = analyst.bell_after(mark)
                if rang is None:
                    raise RuntimeError(f"report {n + 1}: no bell within 30 s")
                delays.append(rang - started)
                print(f"  {'push' if push else 'poll'} #{n + 1:2}: {delays[-1]:.3f} s", flush=True)
    finally:
        analyst.stop()
    return delays


def documents(count: int, seed: int) -> list[bytes]:
    reports = [report for report, _ in generate_reports(count, seed, start=10_000)]
    danger = "Synthetic bench: the child may be in danger tonight"
    return [report_to_xml(replace(r, escalate_to_high_priority=danger)) for r in reports]


def summary(name: str, delays: list[float]) -> tuple[float, float]:
    median, worst = statistics.median(delays), max(delays)
    print(f"{name:5} median {median:.3f} s  worst {worst:.3f} s  ({len(delays)} reports)")
    return median, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("push", "poll"))
    args = parser.parse_args()
    docs = documents(args.reports * 2, args.seed)
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tipline-bell-") as temp:
        work = Path(temp)
        hub = Hub(work)
        try:
            print(f"hub: tipline hub serve on {hub.url}, SQLite; app: tipline --on-call, 80x24 pty")
            for phase, push, batch in (
                ("push", True, docs[: args.reports]),
                ("poll", False, docs[args.reports :]),
            ):
                if args.only in (None, phase):
                    delays = measure(work, hub, push=push, documents=batch, seed=args.seed)
                    results[phase] = summary(phase, delays)
        finally:
            hub.stop()
    print()
    for phase, (median, worst) in results.items():
        print(f"{phase:5} ESP finish -> bell: median {median:.3f} s, worst {worst:.3f} s")
    if "push" in results:
        worst = results["push"][1]
        verdict = "met" if worst <= TARGET else "MISSED"
        print(f"target: push worst <= {TARGET:g} s on loopback: {verdict}")
    if len(results) == 2:
        print(
            f"push / poll: median {results['push'][0] / results['poll'][0]:.2f}x, "
            f"worst {results['push'][1] / results['poll'][1]:.2f}x"
        )


if __name__ == "__main__":
    main()
