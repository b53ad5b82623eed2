"""The agency directory file: strict parsing with every problem by line, upsert by name, CLI."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tipline_tui.cli import main
from tipline_tui.demo import DEMO_COUNTRIES
from tipline_tui.demo.generator import demo_agencies
from tipline_tui.domain.agency import Agency, directory_changes
from tipline_tui.domain.agency_csv import (
    COLUMNS,
    AgencyFileError,
    countries,
    format_agencies,
    parse_agencies,
)
from tipline_tui.domain.report import Report
from tipline_tui.store import Store
from tipline_tui.store.directory import list_agencies, upsert_agencies, write_agencies

MakeStore = Callable[[Sequence[Report]], Store]
HEADER = ",".join(COLUMNS) + "\n"
GOOD = HEADER + (
    "icac,Ohio ICAC Task Force (DEMO),OH,US,cybertips.oh@icac.example.org,yes\n"
    "international,National Police Partner (DEMO),,GB,liaison.gb@partners.example.org,no\n"
)


def problems(text: str) -> list[str]:
    with pytest.raises(AgencyFileError) as caught:
        parse_agencies(text)
    return caught.value.problems


def directory(store: Store) -> list[Agency]:
    with store.read() as conn:
        return list_agencies(conn)


def without_ids(agencies: Sequence[Agency]) -> list[Agency]:
    return [dataclasses.replace(a, id=None) for a in agencies]


# ------------------------------------------------------------------ the file format


def test_the_demo_directory_round_trips() -> None:
    agencies = demo_agencies(DEMO_COUNTRIES)
    assert len(agencies) > 60
    text = format_agencies(agencies)
    assert text.startswith(HEADER)
    assert parse_agencies(text) == agencies
    assert format_agencies(parse_agencies(text)) == text


def test_columns_in_any_order_any_case_bom_blank_lines_and_spaces() -> None:
    text = (
        "\ufeffTakes_Urgent, name ,country,KIND,contact,state\n"
        "\n"
        "NO,  Fairview Police Department (DEMO) ,us,Local,,or\n"
        "1,FBI (DEMO),,federal,tips@fbi.example.org,\n"
        'false,"Smith, Jones & Co (DEMO)",JP,international,,\n'
    )
    assert parse_agencies(text) == [
        Agency("local", "Fairview Police Department (DEMO)", "OR", "US", None, False),
        Agency("federal", "FBI (DEMO)", None, None, "tips@fbi.example.org", True),
        Agency("international", "Smith, Jones & Co (DEMO)", None, "JP", None, False),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", True), ("yes", True), ("TRUE", True), ("1", True), ("No", False), ("false", False),
     ("0", False)],
)  # fmt: skip
def test_takes_urgent_values(value: str, expected: bool) -> None:
    (agency,) = parse_agencies(HEADER + f"federal,HSI (DEMO),,US,,{value}\n")
    assert agency.takes_urgent is expected


def test_country_codes_come_from_phonenumbers_regions() -> None:
    known = countries()
    assert {"US", "GB", "DE", "JP", "XK", "BR", "IN"} <= known
    assert not {"AC", "TA", "UK", "EU", "001"} & known
    assert all(len(code) == 2 and code.isalpha() and code.isupper() for code in known)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("icak,A (DEMO),OH,US,,", "2: unknown kind 'icak' (kinds are icac, local, federal, "),
        (",A (DEMO),OH,US,,", "2: unknown kind blank"),
        ("icac,  ,OH,US,,", "2: name is empty"),
        ("icac,A (DEMO),ZZ,US,,", "2: 'ZZ' is not a US state or territory code"),
        ("federal,A (DEMO),Ohio,US,,", "2: 'Ohio' is not a US state or territory code"),
        ("international,A (DEMO),,UK,,", "2: 'UK' is not a two-letter ISO country code"),
        ("international,A (DEMO),,GBR,,", "2: 'GBR' is not a two-letter ISO country code"),
        ("icac,A (DEMO),,US,,", "2: an icac agency needs a US state"),
        ("local,A (DEMO),,,,", "2: a local agency needs a US state"),
        ("local,A (DEMO),OH,CA,,", "2: a local agency is in the US, not 'CA'"),
        ("international,A (DEMO),,US,,", "2: an international partner needs a country other"),
        ("international,A (DEMO),,,,", "2: an international partner needs a country other"),
        ("international,A (DEMO),TX,MX,,", "2: an international partner takes no US state"),
        ("federal,A (DEMO),,US,,maybe", "2: takes_urgent is 'maybe'; use yes, no, true, false"),
        ("federal,A\x1b[2J (DEMO),,US,,", "2: name contains control characters"),
        ("federal,A (DEMO),,US,a\x00@example.org,", "2: contact contains control characters"),
        ("federal,A\u202e (DEMO),,US,,", "2: name contains control characters"),
        ('federal,"A\n(DEMO)",,US,,', "2: name contains control characters"),
        ("federal,A (DEMO),,US,,yes,extra", "2: 7 fields where the header has 6"),
        ("federal,A (DEMO),,US", "2: 4 fields where the header has 6"),
        ('federal,"A" (DEMO),,US,,', "2: not valid CSV"),
    ],
)
def test_each_bad_row_is_named_with_its_line(row: str, message: str) -> None:
    found = problems(HEADER + row + "\n")
    assert len(found) == 1 and found[0].startswith(message), found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "1: the file is empty; the first line must be a header"),
        ("\n\n", "1: the file is empty"),
        ("icac,Ohio (DEMO),OH,US,,yes\n", "1: the first line must be a header naming the columns"),
        ("kind,name,state,country,contact\n", "1: missing column takes_urgent"),
        ("kind,name\n", "1: missing columns state, country, contact, takes_urgent"),
        (HEADER.strip() + ",notes\n", "1: unknown column 'notes'"),
        ("kind,name,name,state,country,contact,takes_urgent\n", "1: column 'name' appears twice"),
    ],
)
def test_header_problems(text: str, message: str) -> None:
    found = problems(text)
    assert found[0].startswith(message), found


def test_every_problem_is_listed_with_its_line() -> None:
    text = (
        HEADER
        + "icac,Ohio ICAC (DEMO),OH,US,,yes\n"  # line 2: fine
        + "icak,Bad Kind (DEMO),OH,US,,yes\n"  # 3
        + '"local","Multi\nLine (DEMO)",OH,US,,\n'  # 4-5: one record over two lines
        + "local,Ohio ICAC (DEMO),OH,US,,\n"  # 6: duplicate of line 2
        + "\n"  # 7: blank
        + "international,OHIO icac (demo),,US,,sometimes\n"  # 8: duplicate, US, bad urgent
    )
    assert problems(text) == [
        "3: unknown kind 'icak' (kinds are icac, local, federal, international)",
        "4: name contains control characters (line breaks, tabs, escapes or direction "
        "overrides are not allowed)",
        "6: duplicate name 'Ohio ICAC (DEMO)' (also on line 2)",
        "8: an international partner needs a country other than US",
        "8: takes_urgent is 'sometimes'; use yes, no, true, false, 1 or 0 (blank means yes)",
        "8: duplicate name 'OHIO icac (demo)' (also on line 2)",
    ]


def test_values_in_messages_are_shortened_and_one_line() -> None:
    found = problems(HEADER + "icac,A (DEMO),OH\x1b,US\u202e,,\n")
    assert "2: 'OH?' is not a US state or territory code" in found
    assert "2: 'US?' is not a two-letter ISO country code" in found
    assert not any("\x1b" in p or "\u202e" in p for p in found)
    (long,) = problems(HEADER + f"{'x' * 500},A (DEMO),OH,US,,\n")
    assert len(long) < 120


# ------------------------------------------------------------------ the store


def test_upsert_adds_then_updates_by_name_and_never_deletes(make_store: MakeStore) -> None:
    store = make_store([])
    demo = demo_agencies(["GB", "JP"])
    with store.write() as conn:
        assert upsert_agencies(conn, demo) == (len(demo), 0)
    ids = {a.name: a.id for a in directory(store)}
    with store.write() as conn:
        assert upsert_agencies(conn, demo) == (0, 0)  # unchanged is not "updated"
    changed = [
        dataclasses.replace(demo[0], contact="new.desk@icac.example.org", takes_urgent=False),
        Agency("international", "National Police Partner, Mexico (DEMO)", country="MX"),
    ]
    with store.write() as conn:
        assert upsert_agencies(conn, changed) == (1, 1)
    after = {a.name: a for a in directory(store)}
    assert len(after) == len(demo) + 1
    first = after[demo[0].name]
    assert first.id == ids[demo[0].name]  # same row: referrals keep pointing at it
    assert (first.contact, first.takes_urgent) == ("new.desk@icac.example.org", False)


def test_list_is_ordered_by_kind_state_country_name(make_store: MakeStore) -> None:
    store = make_store([])
    with store.write() as conn:
        write_agencies(conn, reversed(demo_agencies(["JP", "GB"])))
    listed = directory(store)
    keys = [(a.kind, a.state or "", a.country or "", a.name) for a in listed]
    assert keys == sorted(keys)
    assert all(a.id is not None for a in listed)


def test_store_round_trip_of_the_demo_directory(make_store: MakeStore) -> None:
    store = make_store([])
    demo = demo_agencies(DEMO_COUNTRIES)
    with store.write() as conn:
        upsert_agencies(conn, parse_agencies(format_agencies(demo)))
    listed = directory(store)
    assert sorted(without_ids(listed), key=lambda a: a.name) == sorted(demo, key=lambda a: a.name)
    assert parse_agencies(format_agencies(listed)) == without_ids(listed)


# ------------------------------------------------------------------ CLI


def test_cli_import_export_list(
    make_store: MakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(make_store([]).path)
    source = tmp_path / "agencies.csv"
    source.write_text(format_agencies(demo_agencies(DEMO_COUNTRIES)), encoding="utf-8")
    total = len(demo_agencies(DEMO_COUNTRIES))

    assert main(["agencies", "import", "--db", db, str(source)]) == 0
    assert capsys.readouterr().out == f"{total} added, 0 updated\n"
    source.write_text(GOOD, encoding="utf-8")
    assert main(["agencies", "import", "--db", db, str(source)]) == 0
    assert capsys.readouterr().out == "1 added, 0 updated\n"  # Ohio's ICAC changed name: new row

    assert main(["agencies", "export", "--db", db]) == 0
    exported = capsys.readouterr().out
    assert len(parse_agencies(exported)) == total + 1
    out = tmp_path / "out.csv"
    assert main(["agencies", "export", "--db", db, str(out)]) == 0
    assert out.read_text(encoding="utf-8") == exported
    assert main(["--db", db, "agencies", "export", "-"]) == 0
    assert capsys.readouterr().out.endswith(exported)

    assert main(["agencies", "import", "--db", db, str(out)]) == 0
    assert capsys.readouterr().out == "0 added, 0 updated\n"

    assert main(["agencies", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["kind", "state", "country", "urgent", "name", "contact"]
    assert len(lines) == total + 2
    assert any("FBI (DEMO)" in line and "tips@fbi.example.org" in line for line in lines)


def test_cli_import_of_a_bad_file_changes_nothing(
    make_store: MakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store([])
    with store.write() as conn:
        upsert_agencies(conn, parse_agencies(GOOD))
    before = directory(store)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        GOOD.replace("cybertips.oh@icac.example.org,yes", "changed@example.org,no")
        + "federal,New Agency (DEMO),,US,,\n"
        + "icak,Typo (DEMO),OH,US,,\n"
        + "local,No State (DEMO),,US,,\n",
        encoding="utf-8",
    )
    assert main(["agencies", "import", "--db", str(store.path), str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{bad}:5: unknown kind 'icak' (kinds are icac, local, federal, international)",
        f"{bad}:6: a local agency needs a US state",
        "tipline: 2 problems; nothing was imported",
    ]
    assert directory(store) == before


def test_cli_import_of_unreadable_files(
    make_store: MakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store([])
    db = str(store.path)
    assert main(["agencies", "import", "--db", db, str(tmp_path / "missing.csv")]) == 1
    assert capsys.readouterr().err == (
        f"tipline: cannot read {tmp_path / 'missing.csv'}: No such file or directory\n"
    )
    assert main(["agencies", "import", "--db", db, str(tmp_path)]) == 1
    assert f"tipline: cannot read {tmp_path}: Is a directory" in capsys.readouterr().err
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(GOOD.encode() + "federal,Polic\u00eda (DEMO),,US,,\n".encode("latin-1"))
    assert main(["agencies", "import", "--db", db, str(latin1)]) == 1
    assert capsys.readouterr().err == f"tipline: {latin1}:4: not UTF-8 text (byte 0xed)\n"
    assert directory(store) == []


def test_cli_export_to_an_unwritable_place(
    make_store: MakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(make_store([]).path)
    target = tmp_path / "no" / "such" / "dir.csv"
    assert main(["agencies", "export", "--db", db, str(target)]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_cli_list_empty_and_hostile_names(
    make_store: MakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store([])
    assert main(["agencies", "list", "--db", str(store.path)]) == 0
    assert "empty" in capsys.readouterr().out
    with store.write() as conn:  # written past the importer, which would refuse it
        write_agencies(conn, [Agency("federal", "[bold]X\x1b[2J\u202e (DEMO)", country="US")])
    assert main(["agencies", "list", "--db", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "[bold]X[2J<RLO> (DEMO)" in out


def test_directory_changes_is_the_one_rule_for_store_and_hub() -> None:
    old = Agency("icac", "Ohio ICAC (DEMO)", "OH", "US", contact="a@example.org", id=7)
    same = dataclasses.replace(old, id=None)
    moved = dataclasses.replace(old, contact="b@example.org", id=None)
    new = Agency("federal", "New (DEMO)", None, "US", takes_urgent=False, id=99)
    existing = {old.name: old}
    assert directory_changes(existing, [same]) == []
    assert directory_changes(existing, [new, moved]) == [
        dataclasses.replace(new, id=None),  # new: no id, whatever the file said
        dataclasses.replace(moved, id=7),  # a change keeps the existing id
    ]
    assert directory_changes(existing, [moved, same]) == []  # a name twice: the last wins


def test_store_and_hub_imports_read_a_file_the_same_way(
    make_store: MakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(make_store([]).path)
    hub_db = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(GOOD.encode() + "federal,Polic\u00eda (DEMO),,US,,\n".encode("latin-1"))
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "icak,Typo (DEMO),OH,US,,\n", encoding="utf-8")
    for path in (latin1, bad, tmp_path / "missing.csv"):
        assert main(["agencies", "import", "--db", db, str(path)]) == 1
        local = capsys.readouterr()
        assert main(["hub", "agencies", "import", "--db", hub_db, str(path)]) == 1
        assert capsys.readouterr() == local
    assert local.err.startswith("tipline: cannot read")
