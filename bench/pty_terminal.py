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
