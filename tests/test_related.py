"""Related reports: crafted pairs that must and must not match, marks, the CLI and the pane."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.factories import BASE_TIME, simple_report
from tests.tui_helpers import make_app, settle, static_text
from tipline_tui.domain.report import (
    Email,
    FileDetails,
    FileHash,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
    Report,
)
from tipline_tui.screens.report import ReportScreen
from tipline_tui.store import open_store
from tipline_tui.store.related import mark_pair, related_reports


def person_report(
    n: int,
    *,
    screen: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    ip: str | None = None,
    file_hash: str | None = None,
    esp: str | None = None,
    esp_id: str | None = None,
) -> Report:
    report = simple_report(n)
    if esp is not None:
        report.esp_name = esp
    report.persons = [
        Person(
            role="reported",
            screen_name=screen,
            person=PersonDetails(
                emails=[Email(email)] if email else [], phones=[Phone(phone)] if phone else []
            ),
            ip_capture_events=[IpCaptureEvent(ip)] if ip else [],
            esp_identifier=esp_id,
        )
    ]
    if file_hash:
        report.files = [FileDetails(file_id=f"{n:032x}", hashes=[FileHash("MD5", file_hash)])]
    return report


def crafted() -> list[Report]:
    return [
        person_report(
            0,
            screen="dark_wolf_77",
            email="Dark.Wolf@example.com",
            phone="(212) 555-0147",
            ip="192.0.2.10",
        ),  # 1: the tip
        person_report(1, email="dark.wolf@EXAMPLE.com"),  # 2: same email
        person_report(2, phone="+1 212 555 0147"),  # 3: same phone
        person_report(3, screen="DarkWolf77"),  # 4: same name
        person_report(4, screen="dark_wolfe_77"),  # 5: a typo only the fuzzy matcher sees
        person_report(
            5,
            screen="sunny_meadow_12",
            email="meadow@example.org",
            phone="(305) 555-0188",
            ip="198.51.100.7",
        ),  # 6: unrelated
        person_report(6, ip="192.0.2.99"),  # 7: same /24 only
    ]


def ids(found) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.report_id for r in found]


def test_crafted_pairs_rank_by_strength_with_reasons(make_store) -> None:
    store = make_store(crafted())
    with store.read() as conn:
        found = related_reports(conn, 1)
    by_id = {r.report_id: r for r in found}
    assert 6 not in by_id, "an unrelated tip must not match"
    assert {2, 3, 4, 5} <= set(by_id)
    assert "same email" in by_id[2].reasons[0]
    assert "same phone" in by_id[3].reasons[0]
    assert "screen name one letter off (dark_wolfe_77 ~ dark_wolf_77)" in by_id[5].reasons
    assert by_id[2].score > by_id[5].score and by_id[3].score > by_id[5].score
    if 7 in by_id:  # a shared /24 is weak evidence: below any direct identifier
        assert "same /24" in by_id[7].reasons[0]
        assert by_id[7].score < min(by_id[i].score for i in (2, 3, 4))


def test_common_values_weigh_less_than_rare_ones(make_store) -> None:
    reports = [person_report(0, file_hash="aa" * 16, email="solo@example.net")]
    reports += [person_report(n, file_hash="aa" * 16) for n in range(1, 40)]  # a viral file
    reports.append(person_report(40, email="solo@example.net"))
    reports.append(person_report(41, file_hash="bb" * 16))  # tips 42 and 43 share a rare file
    reports.append(person_report(42, file_hash="bb" * 16))
    store = make_store(reports)
    with store.read() as conn:
        found = related_reports(conn, 1, limit=50)
        rare = related_reports(conn, 42, limit=50)
    assert found[0].report_id == 41 and "same email" in found[0].reasons[0]
    assert all(r.score < found[0].score / 2 for r in found[1:])
    assert len(found) < 10, "a file shared by 40 tips is no lead to 39 of them"
    assert [r.report_id for r in rare] == [43] and "same file hash" in rare[0].reasons[0]


def test_an_account_in_very_many_tips_is_still_a_lead(make_store) -> None:
    # a prolific person's (or a shared) account: too common to say "same person" for a
    # name or a network, but an account is one account, so its newest tips are shown
    reports = [person_report(n, email="busy.account@example.com") for n in range(340)]
    reports.append(person_report(340, email="busy.account@example.com", phone="(212) 555-0147"))
    reports.append(person_report(341, phone="+1 212 555 0147"))
    # a handle 320 tips from 320 different services share is a common name, not a person
    reports += [
        person_report(342 + n, screen="common_name", esp=f"Service {n}") for n in range(320)
    ]
    # the same handle on one service is one account, however busy
    reports += [person_report(662 + n, screen="busy_handle", esp="Service A") for n in range(320)]
    store = make_store(reports)  # tip ids are n + 1
    with store.read() as conn:
        found = related_reports(conn, 341, limit=10)
        named = related_reports(conn, 343, limit=10)
        handled = related_reports(conn, 663, limit=10)
    assert found[0].report_id == 342 and "same phone" in found[0].reasons[0]
    assert len(found) == 10 and all("same email" in r.reasons[0] for r in found[1:])
    assert [r.report_id for r in found[1:]] == list(range(340, 331, -1)), "newest first"
    assert found[1].score < found[0].score
    assert named == [], "a name 320 tips on 320 services share says nothing"
    assert [r.report_id for r in handled] == list(range(982, 972, -1)), "newest first"
    assert all(r.reasons == ("same screen name on the same service",) for r in handled)


def test_handles_alike_but_for_digits_are_weak_and_typos_still_match(make_store) -> None:
    reports = [
        person_report(0, screen="dark_wolf_77"),
        person_report(1, screen="dark_wolf_78"),  # a neighbour: maybe another person
        person_report(2, screen="dark_wolfe_77"),  # a typo of the same handle
        person_report(3, screen="d4rk_w0lf_77"),  # leetspeak, on the same service
        person_report(4, screen="D4RK_W0LF_77", esp="Another ESP"),  # and on another
    ]
    store = make_store(reports)
    with store.read() as conn:
        by_id = {r.report_id: r for r in related_reports(conn, 1)}
    assert 2 not in by_id, "differing only in digits is not enough on its own"
    assert by_id[3].reasons[0] == "screen name one letter off (dark_wolfe_77 ~ dark_wolf_77)"
    assert by_id[4].reasons[0] == "look-alike screen name on the same service: d4rk_w0lf_77"
    assert by_id[5].reasons[0] == "screen name same but for leetspeak"
    assert by_id[4].score > by_id[5].score, "a look-alike on one service is the stronger lead"


def test_blocking_skips_common_trigrams_but_finds_the_typo(make_store, monkeypatch) -> None:
    from tipline_tui.store import related_fuzzy
    from tipline_tui.store.related_common import capped_counts
    from tipline_tui.store.related_index import trigrams

    # every stored handle shares "wolf" and "dark"; the rare trigrams are the telling ones
    reports = [person_report(0, screen="darkwolfzephyrquill")]
    reports += [person_report(n, screen=f"darkwolf{n:03d}") for n in range(1, 80)]
    reports.append(person_report(80, screen="darkwolfzephyrquil"))
    store = make_store(reports)
    monkeypatch.setattr(related_fuzzy, "GRAM_BUDGET", 40)
    with store.read() as conn:
        grams = trigrams("darkwolfzephyrquill")
        frequency = dict(
            zip(
                sorted(grams),
                capped_counts(conn, "trigram", "gram = q.c0", [(g,) for g in sorted(grams)], 40),
                strict=True,
            )
        )
        read = related_fuzzy._grams_to_read(grams, frequency)
        found = related_reports(conn, 1)
    assert "wol" not in read and "dar" not in read and len(read) >= related_fuzzy.MIN_GRAMS
    assert found and found[0].report_id == 81 and "%" in found[0].reasons[0]


def test_new_reports_are_searchable_at_once_and_marks_change_ranking(make_store) -> None:
    store = make_store(crafted())
    with store.write() as conn:
        from tipline_tui.store.reports import write_reports

        [new_id] = write_reports(
            conn, [person_report(9, email="DARK.WOLF@example.com")], now=BASE_TIME
        )
        mark_pair(conn, 1, 4, same=False, analyst="ana", now=BASE_TIME)
        mark_pair(conn, 1, 6, same=True, analyst="ana", now=BASE_TIME)
    with store.read() as conn:
        found = {r.report_id: r for r in related_reports(conn, 1)}
    assert new_id in found
    assert 4 not in found, "a pair marked 'not the same' is not offered again"
    assert found[6].marked is True and "marked same person by ana" in found[6].reasons


def test_related_command_prints_reasons_and_json(make_store, tmp_path: Path) -> None:
    make_store(crafted(), name="cli.sqlite")
    db = str(tmp_path / "cli.sqlite")
    run = [sys.executable, "-m", "tipline_tui", "related", "--db", db, "1"]
    text = subprocess.run(run, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "#2  score" in text and "same email" in text
    data = json.loads(
        subprocess.run(
            [*run, "--json"], capture_output=True, text=True, timeout=60, check=True
        ).stdout
    )
    assert data[0]["reasons"] and {"report_id", "score", "reasons"} <= set(data[0])
    missing = subprocess.run([*run[:-1], "999"], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no tip #999" in missing.stderr


def test_a_path_through_another_tips_account_lifts_weak_evidence_only(make_store) -> None:
    weak_ip = "203.0.113.9"
    crowd = [person_report(20 + n, ip=weak_ip) for n in range(6)]  # the address is shared
    reports = [
        person_report(0, email="quiet.heron@example.net", ip=weak_ip),  # 1: the tip
        person_report(1, email="quiet.heron@example.net", esp_id="4242"),  # 2: same email
        person_report(2, esp_id="4242", ip=weak_ip),  # 3: 2's account and the crowded IP
        person_report(3, esp_id="4242"),  # 4: only 2's account
        *crowd,  # 5..10: the crowded IP only
    ]
    store = make_store(reports)
    with store.read() as conn:
        by_id = {r.report_id: r for r in related_reports(conn, 1)}
    assert "same email" in by_id[2].reasons[0]
    assert 3 in by_id and any(r.startswith("linked through tip 2") for r in by_id[3].reasons)
    assert "same IP" in by_id[3].reasons
    assert 4 not in by_id, "a path alone, with nothing shared directly, is no lead"
    assert all(n not in by_id for n in range(5, 11)), "a crowded IP alone is no lead"


def test_a_screen_name_counts_the_services_it_was_reported_on(make_store) -> None:
    # one busy person: forty tips, one account on each of two services
    reports = [person_report(0, screen="Hazel_Crane", esp="Service C")]
    reports += [person_report(1 + n, screen="HazelCrane", esp="Service A") for n in range(20)]
    reports += [person_report(21 + n, screen="hazel.crane", esp="Service B") for n in range(20)]
    store = make_store(reports)
    with store.read() as conn:
        found = related_reports(conn, 1, limit=50)
    assert len(found) == 40 and all(r.score >= 0.3 for r in found)  # 40 tips, 2 accounts
    assert found[0].reasons[0] in (
        "same screen name: HazelCrane",
        "same screen name: hazel.crane",
    )


def test_an_email_user_name_counts_the_addresses_behind_it(make_store) -> None:
    # one busy address at another provider: the user name names one mailbox
    reports = [person_report(0, email="velvet.orca19@example.org")]
    reports += [person_report(1 + n, email="velvet.orca19@mail.example.net") for n in range(30)]
    # a user name thirty different providers' mailboxes have: thirty people, likely
    reports.append(person_report(31, email="sam.smith@example.org"))
    reports += [person_report(32 + n, email=f"sam.smith@host{n}.example.com") for n in range(30)]
    store = make_store(reports)
    with store.read() as conn:
        busy = related_reports(conn, 1, limit=50)
        common = related_reports(conn, 32, limit=50)
    assert len(busy) == 30 and all("same email user name" in r.reasons[0] for r in busy)
    assert ": velvet.orca19@mail.example.net" in busy[0].reasons[0]
    assert common == []


def test_older_stores_are_indexed_by_the_migration(tmp_path: Path) -> None:
    old = tmp_path / "v1.sqlite"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "store_v1.sqlite", old)
    store = open_store(old)
    with store.read() as conn:
        keys = conn.exec_driver_sql("SELECT count(*) FROM identifier_key").scalar()
        grams = conn.exec_driver_sql("SELECT count(*) FROM trigram").scalar()
        handles = conn.exec_driver_sql(
            "SELECT count(*) FROM identifier_key WHERE key_type = 'handle'"
        ).scalar()
        assert keys > 0 and grams > 0 and handles > 0
        assert any(related_reports(conn, n) for n in range(1, 21))
    store.close()


async def test_report_screen_shows_related_reports_with_reasons(make_store) -> None:
    app = make_app(make_store(crafted()))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("G")  # tip 1 is the oldest: last in urgency order
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen) and app.screen.report_id == 1
        await pilot.press("7")
        await settle(pilot)
        assert "related reports" in static_text(app, "#related-status")
        related = app.screen.related
        assert related and related[0].report_id in (2, 3, 4)  # email, phone, handle: 1.0
        await pilot.press("enter")
        await settle(pilot)
        opened = app.screen
        assert isinstance(opened, ReportScreen) and opened.report_id == related[0].report_id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.report_id == 1
        await pilot.press("m")
        await settle(pilot)
        assert app.screen.related[0].marked is True
