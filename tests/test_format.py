"""The one date format, counts that agree with their nouns, wrapped lines that keep their indent."""

from __future__ import annotations

from rich.text import Text

from tests.factories import BASE_TIME
from tipline_tui.domain.views import AuditEntry
from tipline_tui.widgets.format import plural, report_time_text, utc_text
from tipline_tui.widgets.history import history_text
from tipline_tui.widgets.indented import IndentedContent


def test_every_date_is_one_format_in_utc() -> None:
    assert utc_text(0) == "1970-01-01 00:00 UTC"
    assert utc_text(59, seconds=True) == "1970-01-01 00:00:59 UTC"
    assert report_time_text("2026-08-02T20:40:16-08:00") == "2026-08-03 04:40:16 UTC"
    assert report_time_text("2026-09-06T13:54:00Z") == "2026-09-06 13:54 UTC"
    assert report_time_text("2026-09-06T15:54:00.250+02:00") == "2026-09-06 13:54 UTC"


def test_what_is_not_a_zoned_date_time_is_shown_as_given() -> None:
    for value in ("2009-06-30", "2026-09-06T13:54:00", "last Tuesday", "", "2026-13-40T99:00Z"):
        assert report_time_text(value) == value


def test_counts_agree_with_their_nouns() -> None:
    assert plural(1, "problem") == "1 problem"
    assert plural(2, "problem") == "2 problems"
    assert plural(0, "note") == "0 notes"
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(1500, "tip") == "1,500 tips"


def test_a_wrapped_line_keeps_its_indent_and_the_text_stays_whole() -> None:
    text = Text()
    text.append("Heading\n", style="bold")
    text.append("   Note: " + "word " * 30 + "\n")
    content = IndentedContent.of(text)
    assert str(content) == text.plain  # what tests and copy read: unwrapped
    lines = content.hung(40).plain.split("\n")
    assert lines[0] == "Heading"
    assert lines[1].startswith("   Note: word") and len(lines[1]) <= 40
    assert all(line.startswith("     word") for line in lines[2:-1] if line)
    assert all(len(line) <= 40 for line in lines)


def test_history_says_what_changed_in_words() -> None:
    entries = [
        AuditEntry(
            1, BASE_TIME, "ana", "assign", 1, {"jurisdiction_id": None}, {"jurisdiction_id": 5}
        ),
        AuditEntry(
            2, BASE_TIME, "ana", "assign", 1, {"jurisdiction_id": 5}, {"jurisdiction_id": 9}
        ),
        AuditEntry(3, BASE_TIME, "ana", "note", 1, None, {"body": "[b]literal[/b]"}),
        AuditEntry(4, BASE_TIME, "ana", "mark_pair", 1, None, {"other": 7, "same_person": False}),
    ]
    text = history_text(entries, {5: "Ohio ICAC (DEMO)"}).plain
    assert "ana assigned\n      jurisdiction: none → Ohio ICAC (DEMO)\n" in text
    assert "jurisdiction: Ohio ICAC (DEMO) → agency #9" in text  # not in the directory
    assert "ana added a note\n      note: [b]literal[/b]\n" in text
    assert "tip #7: not the same person" in text
