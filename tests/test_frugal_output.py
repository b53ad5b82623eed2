"""What the terminal is sent: text is left out only when the terminal already shows it."""

from __future__ import annotations

import random
import re

from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from tipline_tui.widgets.frugal import ScreenMemory, TerseStyles

ROW_1 = "\x1b[1;1H\x1b[1mTip #8\x1b[0m   \n"
ROW_2 = "\x1b[2;1H Summary  People\n"
ROW_3 = "\x1b[3;1H━━━━━━━━"
CURSOR = "\x1b[2;5H"


def sent(text: str) -> str:
    """A frame as sent: the newlines ending rows go (each row starts with a move)."""
    return text.replace("\n", "")


def test_a_repaint_of_unchanged_rows_sends_only_the_cursor() -> None:
    memory = ScreenMemory()
    frame = ROW_1 + ROW_2 + ROW_3 + CURSOR
    assert memory.frame(frame) == sent(frame)
    assert memory.frame(frame) == CURSOR


def test_a_changed_row_sends_only_its_changed_runs() -> None:
    memory = ScreenMemory()
    memory.frame(ROW_1 + ROW_2 + ROW_3)
    changed = "\x1b[2;1H Summary  \x1b[1mFiles\x1b[0m\n"
    assert memory.frame(ROW_1 + changed + ROW_3) == "\x1b[2;11H\x1b[1mFiles\x1b[0m"


def test_a_row_touched_in_between_is_sent_again() -> None:
    """A part of row 2 rewritten since: the row must go again to undo it."""
    memory = ScreenMemory()
    memory.frame(ROW_1 + ROW_2 + ROW_3)
    assert memory.frame("\x1b[2;10Hxx") == "\x1b[2;10Hxx"
    assert memory.frame(ROW_1 + ROW_2 + ROW_3) == sent(ROW_2)


def test_a_screen_repainted_widget_by_widget_after_row_by_row_sends_nothing() -> None:
    """What cost the assign dialog 17 KB: Textual paints a pushed screen whole, row by row,
    then again widget by widget (pieces of rows), then whole again, with the same cells."""
    memory = ScreenMemory()
    whole = "\x1b[4;1H\x1b[1m  \x1b[0m\x1b[34m│\x1b[0m Assign tip #8\x1b[34m│\x1b[0m\n"
    pieces = "\x1b[4;3H\x1b[34m│\x1b[0m\x1b[4;4H Assign tip #8\x1b[4;18H\x1b[34m│\x1b[0m\n"
    assert memory.frame(whole) == sent(whole)
    assert memory.frame(pieces) == ""
    assert memory.frame(whole + CURSOR) == CURSOR


def test_unchanged_text_between_two_changes_is_sent_when_shorter_than_a_move() -> None:
    memory = ScreenMemory()
    memory.frame("\x1b[1;1H\x1b[1ma\x1b[0mc\x1b[1md\x1b[0m  \x1b[1me\x1b[0m")
    frame = "\x1b[1;1H\x1b[1mx\x1b[0mc\x1b[1my\x1b[0m  \x1b[1mz\x1b[0m"
    assert memory.frame(frame) == frame  # "c" and "  " are shorter than a move


def test_a_wide_character_half_overwritten_is_written_again() -> None:
    memory = ScreenMemory()
    row = "\x1b[1;1H漢x"
    memory.frame(row)
    assert memory.frame("\x1b[1;2Hy") == "\x1b[1;2Hy"  # the terminal blanks column 1
    assert memory.frame(row) == row


def test_what_it_cannot_follow_makes_it_forget() -> None:
    memory = ScreenMemory()
    memory.frame(ROW_1 + ROW_2)
    assert memory.frame("\x1b[2J") == "\x1b[2J"  # a clear screen
    assert memory.frame(ROW_1 + ROW_2) == sent(ROW_1 + ROW_2)
    memory.frame("\x1b[1;1Hone\ntwo")  # text running onto the next row: sent, then forgotten
    assert memory.frame(ROW_1) == sent(ROW_1)


def test_a_style_left_open_is_never_left_out() -> None:
    """A piece ending inside a style hands it to the next: both are sent every time."""
    memory = ScreenMemory()
    frame = "\x1b[1;1H\x1b[1mab\x1b[2;1Hcd\x1b[0m"
    assert memory.frame(frame) == frame
    assert memory.frame(frame) == frame


def test_harmless_sequences_before_a_frame_are_kept_and_remembered_rows_stay() -> None:
    memory = ScreenMemory()
    memory.frame(ROW_1 + ROW_2)
    pointer = "\x1b]22;default\x1b\\"
    assert memory.frame("\x1b[?2026h") == "\x1b[?2026h"
    assert memory.frame(pointer + ROW_1 + ROW_2) == pointer


class Terminal:
    """Just enough of a terminal to compare screens: moves, styles, text, wide characters."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], tuple[tuple[str, ...], str]] = {}
        self.style: tuple[str, ...] = ()
        self.y = self.x = 1

    def feed(self, data: str) -> None:
        for move, params, char in re.findall(r"\x1b\[(\d+;\d+)H|\x1b\[([\d;]*)m|(.)", data):
            if move:
                self.y, self.x = map(int, move.split(";"))
            elif char == "\n":
                self.y, self.x = self.y + 1, 1
            elif char:
                self.put(char, 2 if char in WIDE else 1)
            else:
                codes = tuple(params.split(";"))
                self.style = codes[1:] if codes[0] in ("", "0") else self.style + codes

    def put(self, char: str, width: int) -> None:
        for col in range(self.x, self.x + width):
            old = self.cells.get((self.y, col))
            if old is not None and old[1] == "":  # the right half of a wide character
                self.cells[(self.y, col - 1)] = ((), " ")
            if old is not None and old[1] != "" and old[1] in WIDE:
                self.cells[(self.y, col + 1)] = ((), " ")
        self.cells[(self.y, self.x)] = (self.style, char)
        if width == 2:
            self.cells[(self.y, self.x + 1)] = (self.style, "")
        self.x += width


WIDE = "漢字"


def random_frame(rng: random.Random) -> str:
    """Pieces of rows 1-3 of a 12-column screen, styled or not, some with wide characters."""
    pieces = []
    for _ in range(rng.randint(1, 6)):
        text = ""
        for _ in range(rng.randint(1, 4)):
            run = "".join(rng.choice("ab漢 ") for _ in range(rng.randint(1, 3)))
            style = rng.choice(["", "1", "34", "1;7"])
            text += f"\x1b[{style}m{run}\x1b[0m" if style else run
        pieces.append(f"\x1b[{rng.randint(1, 3)};{rng.randint(1, 6)}H{text}\n")
    return "".join(pieces) + "\x1b[1;1H"


def test_the_terminal_shows_what_the_whole_frames_would_have_shown() -> None:
    rng = random.Random(13)
    whole, frugal, memory = Terminal(), Terminal(), ScreenMemory()
    for _ in range(400):
        frame = random_frame(rng)
        whole.feed(frame)
        frugal.feed(memory.frame(frame))
        assert frugal.cells == whole.cells


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
    memory = ScreenMemory()
    frame = "\x1b[?2026h\x1b[1;1Hhello\x1b[2;1Hworld\x1b[?25h\x1b[?2026l"
    assert memory.frame(frame) == frame
    assert memory.frame(frame) == "\x1b[?2026h\x1b[?25h\x1b[?2026l"
