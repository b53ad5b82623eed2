"""What the terminal is sent: a row is left out only when the terminal already shows it."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from tipline_tui.widgets.frugal import RowMemory, TerseStyles

ROW_1 = "\x1b[1;1H\x1b[1mTip #8\x1b[0m   \n"
ROW_2 = "\x1b[2;1H Summary  People\n"
ROW_3 = "\x1b[3;1H━━━━━━━━"
CURSOR = "\x1b[2;5H"


def test_a_repaint_of_unchanged_rows_sends_only_the_cursor() -> None:
    memory = RowMemory()
    frame = ROW_1 + ROW_2 + ROW_3 + CURSOR
    assert memory.frame(frame) == frame
    assert memory.frame(frame) == CURSOR


def test_a_changed_row_is_sent_and_the_rest_left_out() -> None:
    memory = RowMemory()
    memory.frame(ROW_1 + ROW_2 + ROW_3)
    changed = "\x1b[2;1H Summary  Files\n"
    assert memory.frame(ROW_1 + changed + ROW_3) == changed


def test_a_row_touched_in_between_is_sent_again() -> None:
    """A part of row 2 rewritten since: the full row must go again to undo it."""
    memory = RowMemory()
    memory.frame(ROW_1 + ROW_2 + ROW_3)
    assert memory.frame("\x1b[2;10Hxx") == "\x1b[2;10Hxx"
    assert memory.frame(ROW_1 + ROW_2 + ROW_3) == ROW_2


def test_what_it_cannot_follow_makes_it_forget() -> None:
    memory = RowMemory()
    memory.frame(ROW_1 + ROW_2)
    assert memory.frame("\x1b[2J") == "\x1b[2J"  # a clear screen
    assert memory.frame(ROW_1 + ROW_2) == ROW_1 + ROW_2
    memory.frame("\x1b[1;1Hone\ntwo")  # text running onto the next row: sent, then forgotten
    assert memory.frame(ROW_1) == ROW_1


def test_harmless_sequences_before_a_frame_are_kept_and_remembered_rows_stay() -> None:
    memory = RowMemory()
    memory.frame(ROW_1 + ROW_2)
    pointer = "\x1b]22;default\x1b\\"
    assert memory.frame("\x1b[?2026h") == "\x1b[?2026h"
    assert memory.frame(pointer + ROW_1 + ROW_2) == pointer


def test_default_colours_are_dropped_and_runs_of_one_style_joined() -> None:
    default = Style(color="default", bgcolor="default")
    bold = Style(bold=True, color="default", bgcolor="default")
    blue = Style(color="blue", bgcolor="default")
    segments = [Segment(" ", default), Segment("a", default), Segment("B", bold)]
    joined = TerseStyles().apply([*segments, Segment("c", blue)], Color(0, 0, 0))
    assert [s.text for s in joined] == [" a", "B", "c"]
    assert joined[0].style == Style()  # nothing left to write: the terminal's default
    assert joined[1].style == Style(bold=True)
    assert joined[2].style == Style(color="blue")


def test_click_targets_survive() -> None:
    clickable = Style(color="default", meta={"@click": "app.help"})
    (segment,) = TerseStyles().apply([Segment("?", clickable)], Color(0, 0, 0))
    assert segment.style is not None and segment.style.meta == {"@click": "app.help"}
    assert segment.style.color is None


def test_the_end_of_a_synchronized_update_is_never_left_out() -> None:
    """An unchanged repaint inside `ESC[?2026h ... ESC[?2026l`: its rows go, but the end of
    the update must not, or a terminal that supports mode 2026 holds its display."""
    memory = RowMemory()
    frame = "\x1b[?2026h\x1b[1;1Hhello\x1b[2;1Hworld\x1b[?25h\x1b[?2026l"
    assert memory.frame(frame) == frame
    assert memory.frame(frame) == "\x1b[?2026h\x1b[?25h\x1b[?2026l"
