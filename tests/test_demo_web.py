"""`tipline demo --web` in a real headless Chromium: one private demo per browser tab.

The server runs as a real process (`python -m tipline_tui demo --web`), each tab's demo as
its real subprocess; the browser is Debian's chromium driven through its chromedriver.
The page draws the terminal on a canvas, so the screen is read from xterm.js's own buffer:
a script run before the page's catches the terminal object the page makes.

Without chromium the browser tests skip, except where TIPLINE_REQUIRE_BROWSER=1 (.ci/run
sets it after installing chromium): there they fail, so CI never passes them unrun.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.hub_helpers import free_port
from tests.waiting import wait_until
from tipline_tui.cli.exits import USAGE_OR_STORE
from tipline_tui.demo.web import is_loopback

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUIRE_BROWSER = "TIPLINE_REQUIRE_BROWSER"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)
# Runs before the page's own script: the page keeps its xterm.js Terminal in an object that
# also gets a `fitAddon`; a setter on Object.prototype sees that object and keeps its terminal.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'fitAddon', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'fitAddon', {value, writable: true, configurable: true});
    if (this.terminal) { window.tiplineTerminal = this.terminal; }
  },
});
"""
READ_SCREEN = """
const terminal = window.tiplineTerminal;
if (!terminal) { return null; }
const buffer = terminal.buffer.active, rows = [];
for (let y = 0; y < terminal.rows; y++) {
  const line = buffer.getLine(y);
  rows.push(line ? line.translateToString(true) : '');
}
return rows;
"""
QUEUE_ROW = re.compile(r"^(?P<cursor>[> ])\s*(?P<tip>\d+)\s")
TAB_START = 60.0  # seconds for a tab's demo to draw its queue on a slow, shared machine


def _browser_or_skip() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if not missing:
        return
    message = f"no headless browser: missing {', '.join(missing)}"
    message += " (apt-get install chromium chromium-driver)"
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{message}; {REQUIRE_BROWSER}=1 says this machine must have it")
    pytest.skip(message)


@dataclass
class WebDemo:
    process: subprocess.Popen[str]
    port: int
    tmp: Path  # the server's TMPDIR: every tab's folder and demo copy are under it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def tab_pids(self) -> list[int]:
        """Live processes running a tab of this server (found by their `--web-tab PID`)."""
        marker = f"\0--web-tab\0{self.process.pid}\0".encode()
        pids = []
        for proc in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes():
                    state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":  # a zombie has exited; only its parent has not reaped it
                        pids.append(int(proc.name))
        return pids

    def demo_copies(self) -> list[Path]:
        return list(self.tmp.glob("**/tipline-demo-*"))


def start_web_demo(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], int, Path]:
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "TMPDIR": str(tmp),
        "TIPLINE_LOG": str(tmp_path / "tipline.log"),
        "TIPLINE_CONFIG": str(tmp_path / "none.toml"),
    }
    command = [sys.executable, "-m", "tipline_tui", "demo", "--web", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--pace", "0", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, port, tmp


def _serving(demo: WebDemo) -> bool:
    assert demo.process.poll() is None, demo.process.communicate()
    with contextlib.suppress(OSError), urllib.request.urlopen(demo.url, timeout=2) as page:
        return bool(page.status == 200)
    return False


@pytest.fixture
def web_demo(tmp_path: Path) -> Iterator[WebDemo]:
    process, port, tmp = start_web_demo(tmp_path)
    demo = WebDemo(process, port, tmp)
    try:
        wait_until(lambda: _serving(demo), what="the web demo to serve its page")
        yield demo
    finally:
        leftovers = demo.tab_pids()
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        for pid in leftovers:  # only if a test failed midway: never leave a demo running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def browser() -> Iterator[Any]:
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="tipline-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screen(driver: Any) -> list[str]:
    return driver.execute_script(READ_SCREEN) or []


def open_tab(driver: Any, demo: WebDemo, *, new: bool) -> str:
    """Open the demo in a (new) tab and wait for its queue; the tab's window handle."""
    if new:
        driver.switch_to.new_window("tab")
    # per tab: a script given to one tab does not run in the next
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_TERMINAL})
    driver.get(demo.url)
    wait_until(lambda: queue_rows(driver), what="the queue in the page", timeout=TAB_START)
    return str(driver.current_window_handle)


def queue_rows(driver: Any) -> dict[int, str]:
    """The queue's rows on the page, by tip number."""
    rows = (QUEUE_ROW.match(line) for line in screen(driver))
    return {int(row["tip"]): row.string for row in rows if row}


def press(driver: Any, keys: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(keys)


def cursor_tip(driver: Any) -> int | None:
    for line in screen(driver):
        if (row := QUEUE_ROW.match(line)) and row["cursor"] == ">":
            return int(row["tip"])
    return None


def claim_first_new_tip(driver: Any) -> int:
    """Move the cursor to the first unclaimed new tip and claim it (c); its number."""
    tip = next(number for number, row in queue_rows(driver).items() if " new " in row)
    for _ in range(len(queue_rows(driver))):
        tip_before = wait_until(lambda: cursor_tip(driver), what="the cursor")
        if tip_before == tip:
            break
        press(driver, "j")
        wait_until(lambda was=tip_before: cursor_tip(driver) != was, what="the cursor to move")
    press(driver, "c")
    wait_until(lambda: "@" in queue_rows(driver)[tip], what=f"tip {tip} shown claimed")
    return tip


def test_each_tab_has_its_own_demo_and_a_key_opens_a_tip(browser: Any, web_demo: WebDemo) -> None:
    first = open_tab(browser, web_demo, new=False)
    assert screen(browser)[0].lstrip().startswith("DEMO"), screen(browser)[0]
    second = open_tab(browser, web_demo, new=True)
    assert len(web_demo.tab_pids()) == 2 and len(web_demo.demo_copies()) == 2

    claimed = claim_first_new_tip(browser)  # in the second tab
    browser.switch_to.window(first)
    row = queue_rows(browser)[claimed]
    assert " new " in row and "@" not in row, row

    press(browser, "\n")  # Enter: the tip under the cursor opens in its panes
    wait_until(
        lambda: all(name in " ".join(screen(browser)) for name in ("Summary", "People", "History")),
        what="the tip's detail panes",
    )
    assert re.search(r"Tip #\d+", screen(browser)[0]), screen(browser)[0]

    browser.switch_to.window(second)
    browser.close()  # the tab, as a trainee closes it
    browser.switch_to.window(first)
    wait_until(lambda: len(web_demo.tab_pids()) == 1, what="the closed tab's demo to exit")
    wait_until(lambda: len(web_demo.demo_copies()) == 1, what="the closed tab's copy to go")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            if proc.name.isdigit():
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(proc.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_a_browser_that_dies_leaves_no_demo_behind(browser: Any, web_demo: WebDemo) -> None:
    open_tab(browser, web_demo, new=False)
    assert len(web_demo.tab_pids()) == 1 and len(web_demo.demo_copies()) == 1
    for pid in _descendants(browser.service.process.pid):  # chromium and its helpers
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not web_demo.tab_pids(), what="the dead tab's demo to exit")
    wait_until(lambda: not web_demo.demo_copies(), what="the dead tab's copy to go")
    assert _serving(web_demo)


def test_stopping_the_server_ends_every_tab(browser: Any, web_demo: WebDemo) -> None:
    open_tab(browser, web_demo, new=False)
    open_tab(browser, web_demo, new=True)
    assert len(web_demo.tab_pids()) == 2
    web_demo.process.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = web_demo.process.communicate(timeout=60)
    assert web_demo.process.returncode == 0, err
    assert not web_demo.tab_pids()
    assert list(web_demo.tmp.iterdir()) == []  # the copies, the tabs' folders, the server's
    assert out == "" and err.startswith("serving the demo at http://127.0.0.1:"), (out, err)


def test_a_killed_server_still_leaves_no_demo_behind(browser: Any, web_demo: WebDemo) -> None:
    open_tab(browser, web_demo, new=False)
    tab = web_demo.tab_pids()
    web_demo.process.kill()  # SIGKILL: the server cannot stop its tabs; they end themselves
    web_demo.process.wait()
    wait_until(lambda: not web_demo.tab_pids(), what=f"tab {tab} to exit with its server")
    wait_until(lambda: not web_demo.demo_copies(), what="its copy to go")
    wait_until(lambda: not list(web_demo.tmp.glob("*/tipline-web-tab-*")), what="its folder")


def test_the_page_asks_no_other_site_for_anything(web_demo: WebDemo) -> None:
    """textual-serve's page would fetch its font from Google Fonts: here it comes from us."""
    with urllib.request.urlopen(web_demo.url, timeout=10) as page:
        html = page.read().decode()
    addresses = re.findall(r"""(?:href|src|url)[=(]["']?([a-z]+://[^"')]+)""", html)
    here = f"127.0.0.1:{web_demo.port}"
    assert addresses and all(urlsplit(a).netloc == here for a in addresses), addresses
    assert f'data-session-websocket-url="ws://{here}/ws"' in html
    font = next(a for a in addresses if a.endswith(".ttf"))
    with urllib.request.urlopen(font, timeout=10) as response:
        assert response.status == 200 and len(response.read()) > 10_000


def test_a_websocket_from_another_sites_page_is_refused(web_demo: WebDemo) -> None:
    """A page on another site cannot start demos on the trainer's machine."""
    import http.client

    def upgrade(origin: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", web_demo.port, timeout=10)
        headers = {
            "Origin": origin,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
        connection.request("GET", "/ws", headers=headers)
        status = connection.getresponse().status
        connection.close()
        return status

    assert upgrade("http://classroom.example.com") == 403
    assert not web_demo.tab_pids()
    assert upgrade(f"http://127.0.0.1:{web_demo.port}") == 101


def test_on_loopback_a_request_naming_another_host_is_refused(web_demo: WebDemo) -> None:
    """DNS rebinding: a page on a name pointed at 127.0.0.1 is not this server's page."""
    import http.client

    def status(host: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", web_demo.port, timeout=10)
        connection.request("GET", "/", headers={"Host": host})
        answer = connection.getresponse().status
        connection.close()
        return answer

    assert status(f"rebound.example.com:{web_demo.port}") == 403
    assert status(f"localhost:{web_demo.port}") == 200
    assert status(f"[::1]:{web_demo.port}") == 200


def test_a_port_in_use_is_refused_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tipline_tui", "demo", "--web", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TIPLINE_CONFIG": str(tmp_path / "none.toml")},
        )
    assert result.returncode == USAGE_OR_STORE
    assert result.stderr == (
        f"tipline: port {port} on 127.0.0.1 is already in use; choose another with --port\n"
    )


def test_listening_beyond_loopback_warns_there_is_no_authentication(tmp_path: Path) -> None:
    process, _port, _tmp = start_web_demo(tmp_path, "--host", "0.0.0.0")
    try:
        assert process.stderr is not None
        warning = process.stderr.readline()
        assert warning.startswith("warning: listening on 0.0.0.0:"), warning
        assert "no authentication" in warning
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.0.2.10", False),
        ("classroom.example.com", False),
    ],
)
def test_loopback_is_told_apart(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


STUBBORN_APP = """
import os, pathlib, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(os.environ["TMPDIR"], "tipline-demo-stub").mkdir()
time.sleep(120)
"""


async def test_a_tab_that_will_not_quit_is_killed_and_its_folder_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app that ignores both "quit" and SIGTERM: the stop still ends it and its files."""
    from textual_serve.download_manager import DownloadManager

    from tipline_tui.demo import web_tab

    monkeypatch.setattr(web_tab, "QUIT_GRACE", 0.5)
    monkeypatch.setattr(web_tab, "EXIT_GRACE", 0.5)
    monkeypatch.setattr(web_tab, "SIGNAL_GRACE", 0.5)

    async def ignore(_data: object) -> None:
        return None

    tab = web_tab.TabProcess(
        [sys.executable, "-c", STUBBORN_APP],
        tmp_path,
        write_bytes=ignore,
        write_str=ignore,
        close=ignore,
        download_manager=DownloadManager(),
    )
    await tab.start(80, 24)
    wait_until(lambda: list(tab.tab_dir.iterdir()), what="the stub's folder")
    await tab.stop()
    assert tab._process is not None and tab._process.returncode == -signal.SIGKILL
    assert list(tmp_path.iterdir()) == []


HUNG_TAB = """
import os, pathlib, signal, sys, time
from tipline_tui.demo.web_tab import become_tab_process
signal.signal(signal.SIGTERM, signal.SIG_IGN)
become_tab_process(os.getppid(), pathlib.Path(sys.argv[1]))
pathlib.Path(os.environ["TMPDIR"], "tipline-demo-copy").mkdir()
pathlib.Path(sys.argv[2]).write_text(str(os.getpid()))
time.sleep(120)  # an app stuck where no signal ends it
"""


STAND_IN_SERVER = """
import pathlib, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", *sys.argv[1:]])
while not pathlib.Path(sys.argv[3]).exists():  # the tab is up (and watching)
    time.sleep(0.05)
"""


def test_a_tab_whose_server_is_gone_exits_even_if_stuck(tmp_path: Path) -> None:
    """The server killed outright cannot stop its tabs: each removes its own folder and exits,
    whatever its app is doing (here: sleeping with SIGTERM ignored)."""
    tab_dir = tmp_path / "tipline-web-tab-x"
    tab_dir.mkdir()
    pid_file = tmp_path / "pid"
    env = {**os.environ, "TMPDIR": str(tab_dir)}
    server = subprocess.Popen(  # stands in for the server: starts the tab, then dies
        [
            sys.executable,
            "-c",
            STAND_IN_SERVER,
            HUNG_TAB,
            str(tmp_path / "tipline.log"),
            str(pid_file),
        ],
        env=env,
    )
    server.wait(timeout=60)
    pid = int(pid_file.read_text())
    try:
        wait_until(lambda: not Path(f"/proc/{pid}").exists(), what="the orphaned tab to exit")
        assert not tab_dir.exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # only if it failed: leave nothing running
