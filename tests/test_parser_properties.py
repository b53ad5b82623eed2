"""Properties of the parser over generated input: whatever the bytes, the only way out is a
result or ReportParseError, and text goes in and comes out unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_parser import BATCHED_REPORT, FULL_FILE_DETAILS, FULL_REPORT, MINIMAL
from tipline_tui.domain.cybertip_xml import (
    INTERNAL_ERROR,
    ReportParseError,
    parse_document,
)
from tipline_tui.domain.report import FileDetails, Report

NOW = datetime(2025, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = [FULL_REPORT, FULL_FILE_DETAILS, BATCHED_REPORT, MINIMAL.encode()]


def _parses_or_refuses(data: bytes) -> None:
    """The parser's whole contract on any input: a result, or ReportParseError with problems,
    none of them the safety net's "internal error"."""
    try:
        result = parse_document(data, now=NOW)
    except ReportParseError as error:
        assert error.problems
        assert all(isinstance(p.message, str) and p.message for p in error.problems)
        assert not any(p.message.startswith(INTERNAL_ERROR) for p in error.problems), error
        assert str(error) == "\n".join(str(p) for p in error.problems)
    else:
        assert isinstance(result, Report | FileDetails)


@SETTINGS
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_only_ever_raise_report_parse_error(data: bytes) -> None:
    _parses_or_refuses(data)


@SETTINGS
@given(
    st.lists(
        st.sampled_from(
            [
                b"<",
                b">",
                b"</",
                b"/>",
                b"<report>",
                b"</report>",
                b"<fileDetails>",
                b"&",
                b";",
                b"&#0;",
                b"&#x110000;",
                b"<!DOCTYPE x>",
                b"<?xml version='1.0'?>",
                b"<![CDATA[",
                b"]]>",
                b"\xff",
                b"\xc3",
                b"\x00",
                b"\xfe\xff",
                b"=",
                b'"',
                b"a",
                b"<a b='c'>",
                b"<incidentSummary>",
                b"<!--",
                b"-->",
                b"xmlns:x='u'",
                b"\n",
            ]
        ),
        max_size=40,
    )
)
def test_xml_shaped_noise_only_ever_raises_report_parse_error(parts: list[bytes]) -> None:
    _parses_or_refuses(b"".join(parts))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid document with a few bytes flipped, inserted, deleted, or its tail cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "truncate":
            del data[at:]
        else:
            end = min(len(data), at + draw(st.integers(1, 200)))
            data[end:end] = data[at:end]
    return bytes(data)


@SETTINGS
@given(mutated())
def test_mutated_valid_documents_only_ever_raise_report_parse_error(data: bytes) -> None:
    _parses_or_refuses(data)


XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),  # lone surrogates cannot be encoded
        blacklist_characters="\ufffe\uffff",
    ).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20),
    max_size=60,
)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


@SETTINGS
@given(XML_TEXT, st.sampled_from(["UTF-8", "UTF-16"]))
def test_any_text_comes_back_exactly_as_sent(text: str, encoding: str) -> None:
    document = (
        MINIMAL.replace('encoding="UTF-8"', f'encoding="{encoding}"')
        .replace("</incidentType>", f"</incidentType><platform>{_escape(text)}</platform>")
        .replace(
            "  </reporter>", f"  </reporter>\n  <additionalInfo>{_escape(text)}</additionalInfo>"
        )
    )
    report = parse_document(document.encode(encoding.lower()), now=NOW)
    assert isinstance(report, Report)
    assert report.platform == text
    assert report.additional_info == text
