"""A program in a pseudo-terminal of its own: what the benchmarks that drive the app share.

Textual draws on stderr and reads stdin, so all three standard streams are the terminal,
sized before the program starts so its first layout is the measured one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

# CSI, OSC, and two-byte escapes: enough to turn Textual's output into plain text.
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-_]"
)


def strip_ansi(text: str) -> str:
    """Plain text of terminal output, so what a screen shows can be found by a regex."""
    return ANSI.sub("", text)


def spawn(
    argv: list[str], env: dict[str, str], columns: int, lines: int, cwd: Path | str | None = None
) -> tuple[int, subprocess.Popen[bytes]]:
    """Start `argv` on a new pty of `columns` x `lines`; its master side and the process."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    return master, proc


def read_chunk(master: int, timeout: float) -> bytes | None:
    """What arrives within `timeout` seconds: None if nothing did, b"" at end of output."""
    ready, _, _ = select.select([master], [], [], max(0.0, timeout))
    if not ready:
        return None
    try:
        return os.read(master, 65536)
    except OSError:  # EIO once the child has closed the terminal
        return b""


def stop(
    proc: subprocess.Popen[bytes] | None,
    master: int,
    quit_keys: bytes,
    drain: Callable[[float], object],
) -> None:
    """Quit with the program's own keys, then SIGTERM, then SIGKILL; `drain` reads its
    output meanwhile (a program blocked writing to a full terminal never exits)."""
    if proc is not None:
        with contextlib.suppress(OSError):
            os.write(master, quit_keys)
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and proc.poll() is None:
                proc.send_signal(sig)
            deadline = time.perf_counter() + 3.0
            while proc.poll() is None and time.perf_counter() < deadline:
                drain(0.05)
            if proc.poll() is not None:
                break
        proc.wait()
    if master >= 0:
        os.close(master)


class PtySession:
    """A running program's pty, read as a terminal would be: everything it wrote so far
    (`raw`), when it started and when its first byte arrived."""

    def __init__(self) -> None:
        self.master = -1
        self.proc: subprocess.Popen[bytes] | None = None
        self.raw = bytearray()
        self.eof = False
        self.started = 0.0
        self.first_output: float | None = None  # seconds from spawn to the first byte

    def spawn(
        self, argv: list[str], env: dict[str, str], columns: int, lines: int, cwd: Path | None
    ) -> None:
        self.started = time.perf_counter()
        self.master, self.proc = spawn(argv, env, columns, lines, cwd=cwd)

    def read(self, timeout: float) -> bytes:
        """Whatever arrives within `timeout` seconds (b"" if nothing, or at EOF)."""
        if self.eof:
            return b""
        chunk = read_chunk(self.master, timeout)
        if chunk is None:
            return b""
        if not chunk:
            self.eof = True
        elif self.first_output is None:
            self.first_output = time.perf_counter() - self.started
        self.raw += chunk
        return chunk

    def wait_for(self, pattern: re.Pattern[str], timeout: float, start: int = 0) -> float | None:
        """Seconds from spawn until `pattern` shows in the plain text written since `start`,
        or None if it did not within `timeout`."""
        deadline = time.perf_counter() + timeout
        while True:
            if pattern.search(strip_ansi(self.raw[start:].decode("utf-8", "replace"))):
                return time.perf_counter() - self.started
            left = deadline - time.perf_counter()
            if self.eof or left <= 0:
                return None
            self.read(left)

    def wait_quiet(self, quiet: float, cap: float) -> int:
        """Read until nothing arrives for `quiet` seconds (or `cap` passes); bytes read."""
        total = 0
        deadline = time.perf_counter() + cap
        while not self.eof and (left := deadline - time.perf_counter()) > 0:
            chunk = self.read(min(quiet, left))
            if not chunk:
                break
            total += len(chunk)
        return total

    def drain(self, seconds: float) -> None:
        """Read everything written for `seconds`, however busy."""
        deadline = time.perf_counter() + seconds
        while not self.eof and (left := deadline - time.perf_counter()) > 0:
            self.read(left)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self, quit_keys: bytes) -> None:
        """Quit with the program's own keys, then SIGTERM, then SIGKILL."""
        stop(self.proc, self.master, quit_keys, self.read)
        self.master = -1
