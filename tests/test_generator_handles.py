"""One handle, one person: the generator never gives two fictional people one screen name.

A real platform hands a handle to one account at a time. The generator spells a
person's handle another way in some reports (another number, the number dropped or
extended); in a large run that spelling was often another person's handle, which
capped what any related-report ranking could reach (issue 14).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from random import Random

from tests.test_generator import table_contents
from tipline_tui.demo.generator import build_demo_store
from tipline_tui.demo.identity import (
    handle_claimant,
    handle_owner,
    make_identity,
    screen_name_variant,
)
from tipline_tui.demo.names import HANDLE_NOUNS, HANDLE_WORDS
from tipline_tui.domain.keys import handle_keys

SEED = 1
COMBOS = len(HANDLE_WORDS) * len(HANDLE_NOUNS)
DIGITS = ("", *(str(i) for i in range(100)), *(str(1900 + i) for i in range(100)))


def _same_words_people(word: str, noun: str) -> list[int]:
    """Every person whose canonical handle is word+noun with some number (201 of them)."""
    numbers = [handle_owner(word, noun, digits) for digits in DIGITS]
    assert all(n is not None for n in numbers)
    return [n for n in numbers if n is not None]


def _owners_of_handles(numbers: list[int], pool: int | None) -> dict[str, set[int]]:
    """The handle keys (on one service) each person's reports write, and whose they are."""
    owners: dict[str, set[int]] = defaultdict(set)
    for number in numbers:
        ident = make_identity(SEED, number)
        rng = Random(f"handles/{number}")
        for _ in range(40):
            spelled = screen_name_variant(rng, ident, pool)
            for key in handle_keys("SnapTalk (demo)", spelled):
                if key.type == "handle":
                    owners[key.value].add(number)
    return owners


def test_handle_owner_inverts_the_pool_handles() -> None:
    for number in (*range(0, 300), *range(COMBOS - 5, COMBOS + 5), 198_765, 2_400_123, 3_000_001):
        assert handle_owner(*make_identity(SEED, number).handle) == number
    assert handle_owner("bold", "heron", "07") is None  # no canonical handle has a leading zero


def test_no_handle_names_two_people_in_a_large_run() -> None:
    people = _same_words_people("bold", "heron") + _same_words_people("swift", "otter")
    pool = max(people) + 1
    owners = _owners_of_handles(people, pool)
    shared = {key: who for key, who in owners.items() if len(who) > 1}
    assert not shared, f"{len(shared)} handles name two people, e.g. {next(iter(shared.items()))}"
    # the same draws without the rule do collide: the test has teeth
    unruled = _owners_of_handles(people, None)
    assert sum(len(who) > 1 for who in unruled.values()) > 20


def test_people_still_spell_their_handle_with_other_numbers() -> None:
    people = _same_words_people("bold", "heron")
    owners = _owners_of_handles(people, max(people) + 1)
    canonical = {make_identity(SEED, n).screen_name.lower() for n in people}
    other_spellings = [key for key in owners if key.partition("\x1f")[0] not in canonical]
    assert len(other_spellings) >= 50


def test_a_run_no_wider_than_one_round_of_word_pairs_is_unchanged() -> None:
    """Below 4 x COMBOS reports everyone has a bare word pair: the bundled demo stays as it was."""
    pool = COMBOS
    for number in range(0, pool, 37):
        ident = make_identity(SEED, number)
        ruled = screen_name_variant(Random(number), ident, pool)
        assert ruled == screen_name_variant(Random(number), ident)


def test_the_claimant_of_a_free_spelling_is_one_of_the_people_who_can_write_it() -> None:
    pool = 3 * COMBOS
    seventeen = handle_owner("bold", "heron", "17")
    assert seventeen is not None
    if seventeen < pool:
        assert handle_claimant("bold", "heron", "17", pool) == seventeen
    # "173" is nobody's own handle: it goes to someone who writes 17 (+ a digit) or 164..172 bumped
    claimant = handle_claimant("bold", "heron", "173", 10**8)
    sources = ("17", *(str(173 - k) for k in range(1, 10)))
    writers = {handle_owner("bold", "heron", d) for d in sources}
    assert claimant in writers


def test_a_bulk_build_stores_the_same_rows_as_a_normal_one(tmp_path: Path) -> None:
    """The benchmark's fast build (no fsync, big cache, no compaction) writes the same rows."""
    build_demo_store(tmp_path / "normal.sqlite", 600, 5)
    build_demo_store(tmp_path / "bulk.sqlite", 600, 5, bulk=True)
    normal, bulk = (
        table_contents(tmp_path / "normal.sqlite"),
        table_contents(tmp_path / "bulk.sqlite"),
    )
    assert normal["report"] and normal["identifier_key"] and normal["trigram"]
    assert bulk == normal
