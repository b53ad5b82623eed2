from tipline_tui.domain.literal import literal


def test_markup_is_kept_as_characters() -> None:
    text = "[bold]x[/bold] [link=https://example.com]y[/link] [@click=app.quit]z[/]"
    assert literal(text) == text


def test_control_characters_never_survive() -> None:
    hostile = "a\x1b[31mred\x1b]8;;https://example.com\x07b\x9bc\x7fd\x00e\x85f"
    shown = literal(hostile)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in shown)
    assert shown == "a[31mred]8;;https://example.combcdef"


def test_newlines_and_tabs_kept_in_multiline_and_flattened_in_cells() -> None:
    assert literal("a\r\nb\tc") == "a\nb\tc"
    assert literal("a\nb\tc", multiline=False) == "a b c"


def test_bidi_overrides_are_shown_not_obeyed() -> None:
    shown = literal("user\u202egnp.exe\u202c and \u2066x\u2069")
    assert shown == "user<RLO>gnp.exe<PDF> and <LRI>x<PDI>"
    assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in shown)


def test_non_latin_and_emoji_pass_unchanged() -> None:
    text = "Дмитрий 李小龍 محمد 🙂"
    assert literal(text) == text
