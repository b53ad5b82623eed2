"""Real hubs for tests: uvicorn on 127.0.0.1 (a thread or a killable process), PostgreSQL.

PostgreSQL: the binaries are found on PATH, in $TIPLINE_PG_BIN, or in
/usr/lib/postgresql/*/bin. A throwaway cluster is made with initdb in a fresh
directory and started on a free port; as root (CI containers) it runs as
`nobody` through runuser, because postgres refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from tests.waiting import wait_until
from tipline_tui.hub.app import create_app
from tipline_tui.hub.db import HubDB
from tipline_tui.hub.snapshot import SnapshotKeeper

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, alive: Callable[[], bool] = lambda: True) -> None:
    """Return once the hub at `url` answers; fail at once if `alive` says it has died."""

    def answers() -> bool:
        if not alive():
            raise RuntimeError(f"hub at {url} exited before it answered")
        try:
            httpx.get(f"{url}/openapi.json", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    wait_until(answers, what=f"the hub at {url} to answer")


class ThreadHub:
    """The hub app on uvicorn in a thread of this process, sharing `hub` with the test."""

    def __init__(
        self,
        hub: HubDB,
        evidence_dir: Path,
        snapshots: SnapshotKeeper | None = None,
        *,
        sweep_every: float | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()  # a given port: the hub "comes back" where it was
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(  # lifespan off unless sweeping: a test drives the keeper
            create_app(
                hub, evidence_dir=evidence_dir, snapshots=snapshots, sweep_every=sweep_every
            ),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on" if sweep_every else "off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ThreadHub:
        self.thread.start()

        def started() -> bool:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            return bool(self.server.started)

        wait_until(started, what="uvicorn to start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


class ProcessHub:
    """`tipline hub serve` as a child process: what a crash test can SIGKILL."""

    def __init__(
        self,
        db_url: str,
        evidence_dir: Path,
        port: int | None = None,
        *extra: str,
        env: dict[str, str] | None = None,
        open_files: int | None = None,
    ) -> None:
        self.env = env or {}  # more TIPLINE_HUB_ settings
        self.open_files = open_files  # the child's RLIMIT_NOFILE, to run it out of descriptors
        self.db_url = db_url
        self.evidence_dir = evidence_dir
        self.extra = extra  # more `tipline hub serve` options
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ProcessHub:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tipline_tui",
                "hub",
                "serve",
                "--db",
                self.db_url,
                "--port",
                str(self.port),
                "--evidence",
                str(self.evidence_dir),
                *self.extra,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **self.env},
            preexec_fn=self._limit_files if self.open_files else None,
        )
        process = self.process
        try:
            wait_until_up(self.url, alive=lambda: process.poll() is None)
        except BaseException:
            self.kill()
            raise
        return self

    def _limit_files(self) -> None:
        assert self.open_files is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; whatever was mid-transaction is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


# ------------------------------------------------------------------ PostgreSQL


def find_pg_bin() -> Path | None:
    """The directory of `initdb` and `postgres`, or None if this machine has none."""
    candidates = [os.environ.get("TIPLINE_PG_BIN", "")]
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        tools = ("initdb", "postgres", "pg_ctl")
        if folder and all((Path(folder) / tool).is_file() for tool in tools):
            return Path(folder)
    return None


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 with trust auth for user `postgres`."""

    bin_dir: Path
    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    _databases: int = 0

    @property
    def _as_user(self) -> list[str]:
        return ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            os.chown(self.data_dir, 65534, 65534)  # nobody: postgres refuses to run as root
        subprocess.run(
            [
                *self._as_user,
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data_dir / "pg"),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
        )
        self.process = subprocess.Popen(
            [
                *self._as_user,
                str(self.bin_dir / "postgres"),
                "-D",
                str(self.data_dir / "pg"),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.data_dir),
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                raise RuntimeError("postgres exited before it listened")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_until(listening, what="postgres to listen")
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        def ready() -> bool:
            try:
                psycopg.connect(self.url("postgres", driver=False), connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        wait_until(ready, what="postgres to accept connections")

    def url(self, database: str, *, driver: bool = True) -> str:
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database for one test; its SQLAlchemy URL."""
        import psycopg

        self._databases += 1
        name = f"hub_{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url("postgres", driver=False), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Fast shutdown through pg_ctl (runuser does not pass SIGINT on to postgres)."""
        if self.process is not None and self.process.poll() is None:
            pg_ctl = str(self.bin_dir / "pg_ctl")
            subprocess.run(
                [*self._as_user, pg_ctl, "stop", "-m", "fast", "-D", str(self.data_dir / "pg")],
                capture_output=True,
                check=False,
                timeout=60,
            )
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_postgres() -> Iterator[PostgresServer | None]:
    """Yield a running throwaway cluster, or None if no PostgreSQL binaries exist here."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        yield None
        return
    # not under pytest's tmp_path: its parents are private to root, and `nobody` must enter
    data_dir = Path(tempfile.mkdtemp(prefix="tipline-pg-"))
    data_dir.chmod(0o700)
    server = PostgresServer(bin_dir, data_dir, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
