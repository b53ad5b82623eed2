"""Related reports in a large store: shared screen names weighed by what else shares them.

In a large store many unrelated tips share a screen name: a handle taken again by another
account, a bare-word name many people chose, a placeholder string. Each must stop
crowding the top 10 while a person's own tips still match.
"""

from __future__ import annotations

from tests.test_related import person_report
from tipline_tui.domain.report import Person
from tipline_tui.store.related import related_reports


def test_a_handle_beside_another_account_id_is_another_account(make_store) -> None:
    reports = [person_report(0, screen="bold_heron", esp="Service A", esp_id="1110001")]
    # the handle on the same service, another account id: the handle was taken again
    reports += [
        person_report(n, screen="BoldHeron", esp="Service A", esp_id="2220002") for n in range(1, 4)
    ]
    reports.append(person_report(4, screen="boldheron", esp="Service A", esp_id="1110001"))
    reports.append(person_report(5, screen="bold.heron", esp="Service A"))  # no id: can't tell
    with_victim = person_report(6, screen="boldheron", esp="Service A")
    # a victim's account id is not the reported person's: no conflict
    with_victim.persons.append(Person(role="victim", screen_name="kid_1", esp_identifier="999"))
    reports.append(with_victim)
    # one ESP, two named platforms: two numberings, so the ids are not compared
    reports[0].persons[0].esp_service = "Photos A"
    other_platform = person_report(7, screen="boldheron", esp="Service A", esp_id="3330003")
    other_platform.persons[0].esp_service = "Chat A"
    reports.append(other_platform)
    store = make_store(reports)  # tip ids are n + 1
    with store.read() as conn:
        found = {r.report_id: r for r in related_reports(conn, 1, limit=20)}
    assert not {2, 3, 4} & set(found), "another account id on the service: another account"
    assert {5, 6, 7, 8} <= set(found)
    assert "same screen name on the same service" in found[6].reasons[0]


def test_a_bare_word_screen_name_weighs_as_common_as_its_words(make_store) -> None:
    base = [
        person_report(0, screen="quietotter", esp="Service A"),
        person_report(1, screen="QuietOtter", esp="Service B"),  # same bare name elsewhere
    ]
    # forty other people liked the same words: quietotter17, quiet_otter1990, ...
    crowd = [
        person_report(2 + n, screen=f"quiet_otter{n + 10}", esp=f"Service {n % 5}")
        for n in range(40)
    ]
    alone, crowded = make_store(base, "alone.sqlite"), make_store(base + crowd, "crowd.sqlite")
    with alone.read() as conn:
        lone = related_reports(conn, 1)
    with crowded.read() as conn:
        among = related_reports(conn, 1)
    assert [r.report_id for r in lone] == [2] and "same screen name" in lone[0].reasons[0]
    assert 2 not in {r.report_id for r in among}, "words forty others use are no lead alone"


def test_a_screen_name_on_every_service_is_no_account(make_store) -> None:
    # a template string left in the screen-name field of 310 tips on 8 services
    reports = [person_report(n, screen="%s (unknown)", esp=f"Service {n % 8}") for n in range(310)]
    reports.append(
        person_report(310, screen="%s (unknown)", esp="Service 0", email="a@example.com")
    )
    reports.append(person_report(311, email="a@example.com"))
    store = make_store(reports)
    with store.read() as conn:
        found = related_reports(conn, 311)
    assert [r.report_id for r in found] == [312] and "same email" in found[0].reasons[0]


def test_a_common_trigram_is_counted_once_per_store(make_store, monkeypatch) -> None:
    from tipline_tui.store import related_fuzzy

    # every handle shares "darkwolf": its trigrams are common, counted once, then known
    reports = [person_report(n, screen=f"darkwolf{n:03d}") for n in range(60)]
    reports.append(person_report(60, screen="darkwolfzephyrquill"))
    reports.append(person_report(61, screen="darkwolfzephyrquil"))
    store = make_store(reports)
    monkeypatch.setattr(related_fuzzy, "GRAM_BUDGET", 40)
    counted: list[str] = []
    real_counts = related_fuzzy.capped_counts

    def spy(conn, table, where, params, cap):  # type: ignore[no-untyped-def]
        if table == "trigram":
            counted.extend(g for (g,) in params)
        return real_counts(conn, table, where, params, cap)

    monkeypatch.setattr(related_fuzzy, "capped_counts", spy)
    with store.read() as conn:
        first = related_reports(conn, 61)
        once = list(counted)
        counted.clear()
        again = related_reports(conn, 61)
    assert first == again and first[0].report_id == 62
    assert " da" in once and "wol" in once
    assert " da" not in counted and "wol" not in counted, "a common trigram is not counted again"
    assert "phy" in counted, "a rare one is: it may become common"
