"""One browser tab's demo process: the textual-serve subprocess that runs `tipline demo`.

The web server (demo/web.py) starts one `tipline demo --web-tab PID` per browser tab. This
module is both halves of that process's life:

- `TabProcess` (server side) starts it without a shell, in a temporary folder of its own
  (its TMPDIR, where `tipline demo` makes its store copy and demo hub), and when the tab
  closes asks it to quit, waits, then terminates and at last kills it, and removes the
  folder whatever happened.
- `become_tab_process` (child side) makes the process end with the server, whatever ends
  the server and wherever the app is (a thread watches for the parent to go, removes the
  tab's folder and exits), and sends its stderr to the log file, so nothing reaches the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from asyncio.subprocess import Process
from pathlib import Path

from textual_serve.app_service import AppService

from tipline_tui.config import DB_ENV
from tipline_tui.settings import HUB_TOKEN_ENV, HUB_URL_ENV

log = logging.getLogger("tipline_tui.web")

QUIT_GRACE = 10.0  # seconds a tab's app has to quit on the "quit" message
EXIT_GRACE = 3.0  # then seconds for its process to exit (it removes its copy first)
SIGNAL_GRACE = 5.0  # then seconds after SIGTERM before SIGKILL
PARENT_POLL = 0.5  # seconds between a tab's looks at whether its server is still there
TAB_DIR_PREFIX = "tipline-web-tab-"
# A tab never needs the analyst's store or hub (the demo has its own): it never holds them.
HIDDEN_FROM_TABS = (DB_ENV, HUB_URL_ENV, HUB_TOKEN_ENV)


def tab_command(pace: float, on_call: bool) -> list[str]:
    """The argv of one tab: this Python running `tipline demo`, told which server owns it."""
    command = [sys.executable, "-m", "tipline_tui", "demo", "--pace", str(pace)]
    if on_call:
        command.append("--on-call")
    return [*command, "--web-tab", str(os.getpid())]


class TabProcess(AppService):
    """textual-serve's AppService, with a stop that always ends the process and its files.

    textual-serve's own stop sends "quit" and waits for the app's output to end, however
    long that takes; it never waits for the process, signals it, or cleans up after it.
    """

    def __init__(self, argv: list[str], tabs_root: Path, **service: object) -> None:
        super().__init__(" ".join(argv), **service)  # type: ignore[arg-type]
        self.argv = argv
        self.tab_dir = Path(tempfile.mkdtemp(prefix=TAB_DIR_PREFIX, dir=tabs_root))

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        for name in HIDDEN_FROM_TABS:
            environment.pop(name, None)
        environment["TMPDIR"] = str(self.tab_dir)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        # exec, not a shell: the process signalled and reaped is the app itself
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width, height),
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the app to quit; if it has not within the grace, terminate, then kill it.
        The tab's folder goes in every case (a killed app cannot remove its own copy)."""
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE)
        except TimeoutError:
            log.warning("demo tab %s did not quit within %.0f s", self.pid, QUIT_GRACE)
        finally:
            if self._process is not None:
                await _end_process(self._process)
            shutil.rmtree(self.tab_dir, ignore_errors=True)


async def _end_process(process: Process) -> None:
    """Wait for `process` to exit: after EXIT_GRACE, SIGTERM; after SIGNAL_GRACE more, SIGKILL."""
    for ending, grace in (("quit", EXIT_GRACE), ("terminate", SIGNAL_GRACE), ("kill", None)):
        if ending == "terminate":
            _signal(process, signal.SIGTERM)
        elif ending == "kill":
            log.warning("demo tab %s ignored SIGTERM; killing it", process.pid)
            _signal(process, signal.SIGKILL)
        try:
            await asyncio.wait_for(process.wait(), grace)
            return
        except TimeoutError:
            continue


def _signal(process: Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def become_tab_process(server_pid: int, log_path: Path) -> None:
    """In the tab's process, before the demo opens: end when the server ends, and write
    anything on stderr (a crash's traceback) to the log file instead of the page."""
    if os.getppid() != server_pid:  # run by hand, or the server is already gone
        raise SystemExit(1)
    _end_with_server(server_pid, _own_tab_dir())
    _stderr_to(log_path)


def _own_tab_dir() -> Path | None:
    """The folder the server made for this tab (its TMPDIR), never a shared /tmp."""
    folder = Path(tempfile.gettempdir())
    return folder if folder.name.startswith(TAB_DIR_PREFIX) else None


def _end_with_server(server_pid: int, tab_dir: Path | None) -> None:
    """A thread that, once the server is gone (even killed outright, when it cannot stop its
    tabs), removes the tab's folder with the demo copy in it and ends the process at once:
    an orphaned demo has no one to show anything to, and a signal could find the app
    mid-start-up, where it might not end."""

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(PARENT_POLL)
        if tab_dir is not None:
            shutil.rmtree(tab_dir, ignore_errors=True)
        os._exit(0)

    threading.Thread(target=watch, name="tipline-web-tab-server-watch", daemon=True).start()


def _stderr_to(log_path: Path) -> None:
    """Point file descriptor 2 at the (private) log file, appending."""
    log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.dup2(descriptor, 2)
    finally:
        os.close(descriptor)
