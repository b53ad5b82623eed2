"""Related-report search against how people really vary their traces (a held-out set).

Fictional people, generated here (not copied from anywhere), each with a first report
carrying a full profile and later reports that each carry ONE realistic variation of
it, among look-alike decoys who are other people, all added to a generated background
store. From each first report, prints per variation the share of later reports found in
the top 10 (recall@10), the overall recall@10 and R-precision, and the decoys that
outranked a true match (which must stay 0) or were shown at all, with p50/p95/p99
latency. The background store is bench/related.py's (built once, reused, or migrated
from an older schema); the people are added to a kept copy of it, reused next time.

    python bench/related_variation.py [--tips 20000] [--people 60] [--set real|canonical]
        [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # the checkout: bench.* imports

from bench.related import copy_store, percentile, store_for  # noqa: E402
from tipline_tui.demo.names import (  # noqa: E402
    ESPS,
    FIRST_NAMES,
    HANDLE_NOUNS,
    HANDLE_WORDS,
    SURNAMES,
)
from tipline_tui.domain.report import (  # noqa: E402
    Address,
    Email,
    IpCaptureEvent,
    Person,
    PersonDetails,
    Phone,
    Report,
)
from tipline_tui.store import open_store  # noqa: E402
from tipline_tui.store.related import related_reports  # noqa: E402
from tipline_tui.store.reports import write_reports  # noqa: E402

DAY = 86_400
START = 1_800_000_000  # after the background's newest tip
# Area codes the generator never uses: a fictional person's number is theirs alone, as
# a real one is, so a background tip sharing it never crowds the top 10 by accident.
AREAS = ("458", "463", "564", "640", "659", "726", "743", "826", "839", "945", "983", "986")
STATES = ("NY", "CA", "TX", "FL", "WA", "IL", "OH", "GA", "CO", "OR", "NV", "MO")

# One row per variation: what the later report carries. The order is the table's.
VARIATIONS = (
    ("display", "the same display name on another service"),
    ("esp_id", "a new screen name, same ESP user id on the same service"),
    ("mail_user", "the same distinctive mail user name at another provider"),
    ("phone", "the phone written another way, no country attribute"),
    ("slip", "the screen name with one slip (swap, drop or change)"),
    ("name_dob", "the same full name, one letter slipped in the last name, same DOB"),
    ("cyrillic", "the full name in Cyrillic letters and the same DOB"),
    ("ipv6", "another address in the same IPv6 /64, same service, a day later"),
)
# The held-out set of variations that canonicalise (--set canonical): each is one
# spelling of the first report's own value that the canonical keys fold together.
CANONICAL = (
    ("gmail", "the Gmail address with its dots moved, a +tag, at googlemail.com"),
    ("leet", "the screen name in leetspeak"),
    ("homoglyph", "the screen name with Cyrillic look-alike letters"),
    ("fullwidth", "the screen name in full-width letters"),
    ("case", "the email address in capitals"),
    ("punctuation", "the phone with other punctuation and its +1"),
)
SETS = {"real": VARIATIONS, "canonical": CANONICAL}
DECOYS = (
    ("screen_digits", "another person: same words in the screen name, other digits"),
    ("name_other_dob", "another person: same full name, another birth date and state"),
)


# ------------------------------------------------------------------ Cyrillic, generated


# How a Russian writer spells an English name by ear: digraphs first, then letters. The
# Cyrillic letters are named, not typed, so no reader mistakes one for a Latin look-alike.
def _cy(*names: str) -> str:
    return "".join(unicodedata.lookup(f"CYRILLIC SMALL LETTER {name}") for name in names)


_CYR_DIGRAPHS = (
    ("sch", _cy("SHA")), ("sh", _cy("SHA")), ("ch", _cy("CHE")), ("th", _cy("TE")),
    ("ph", _cy("EF")), ("ck", _cy("KA")), ("ee", _cy("I")), ("oo", _cy("U")),
    ("ay", _cy("IE", "SHORT I")), ("ey", _cy("IE", "SHORT I")), ("kh", _cy("HA")),
    ("zh", _cy("ZHE")),
)  # fmt: skip
_CYR_LETTERS = {
    "a": _cy("A"), "b": _cy("BE"), "d": _cy("DE"), "e": _cy("IE"), "f": _cy("EF"),
    "g": _cy("GHE"), "h": _cy("HA"), "i": _cy("I"), "j": _cy("DE", "ZHE"), "k": _cy("KA"),
    "l": _cy("EL"), "m": _cy("EM"), "n": _cy("EN"), "o": _cy("O"), "p": _cy("PE"),
    "q": _cy("KA"), "r": _cy("ER"), "s": _cy("ES"), "t": _cy("TE"), "u": _cy("U"),
    "v": _cy("VE"), "w": _cy("U"), "x": _cy("KA", "ES"), "y": _cy("I"), "z": _cy("ZE"),
}  # fmt: skip
_SOFT_C, _HARD_C = _cy("ES"), _cy("KA")


def cyrillic(word: str) -> str:
    """A Latin name as a Russian writer spells it: c before e/i/y is s, a final e is silent."""
    text = word.lower()
    if len(text) > 3 and text.endswith("e") and text[-2] not in "aeiouy":
        text = text[:-1]
    out: list[str] = []
    i = 0
    while i < len(text):
        for latin, cyr in _CYR_DIGRAPHS:
            if text.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            ch = text[i]
            if ch == "c":
                out.append(_SOFT_C if text[i + 1 : i + 2] in ("e", "i", "y") else _HARD_C)
            else:
                out.append(_CYR_LETTERS.get(ch, ch))
            i += 1
    spelled = "".join(out)
    return spelled[:1].upper() + spelled[1:]


# ------------------------------------------------------------------ people


@dataclass
class Profile:
    first: str
    last: str
    dob: str
    state: str
    area: str
    line: str  # the 4-digit line number (555-01xx)
    handle: str
    display: str
    mail_local: str
    esp: str
    uid: str
    ipv6_net: str  # the /64 as its first four groups
    reports: dict[str, int] = field(default_factory=dict)  # role -> report id


def make_profile(rng: random.Random, n: int) -> Profile:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    year, month, day = rng.randint(1965, 2005), rng.randint(1, 12), rng.randint(1, 28)
    words = f"{rng.choice(HANDLE_WORDS)}{rng.choice(HANDLE_NOUNS)}"
    return Profile(
        first=first,
        last=last,
        dob=f"{year:04d}-{month:02d}-{day:02d}",
        state=rng.choice(STATES),
        area=rng.choice(AREAS),
        line=f"01{rng.randint(0, 99):02d}",
        handle=f"{words}{rng.randint(10, 99)}",
        display=f"{first} the {rng.choice(HANDLE_NOUNS).title()} {rng.randint(100, 999)}",
        mail_local=f"{first.lower()}.{words}{year}",
        esp=ESPS[n % len(ESPS)].name,
        uid=f"{rng.getrandbits(40)}",
        ipv6_net=f"2001:db8:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}",
    )


def _report(p: Profile, at: int, person: Person, esp: str | None = None) -> Report:
    return Report(
        incident_type="Online Enticement of Children for Sexual Acts",
        incident_date_time=_iso(at),
        esp_name=esp or p.esp,
        received_at=at,
        persons=[person],
    )


def _iso(at: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def first_report(p: Profile, at: int) -> Report:
    details = PersonDetails(
        first_name=p.first,
        last_name=p.last,
        date_of_birth=p.dob,
        phones=[Phone(f"({p.area}) 555-{p.line}", country_calling_code="1")],
        emails=[Email(f"{p.mail_local}@example.org"), Email(_gmail(p))],
        addresses=[Address(city="Exampleville", state=p.state, country="US")],
    )
    person = Person(
        role="reported",
        person=details,
        screen_name=p.handle,
        display_names=[p.display],
        esp_identifier=p.uid,
        ip_capture_events=[IpCaptureEvent(f"{p.ipv6_net}::1a", "Login", _iso(at))],
    )
    return _report(p, at, person)


def _gmail(p: Profile) -> str:
    return f"{p.first.lower()}.{p.last.lower()}.{p.dob[:4]}@gmail.com"


_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5"})
# Cyrillic letters that look Latin, named so no reader mistakes them: a, e, o, p, c
_HOMOGLYPHS = str.maketrans(
    {"a": _cy("A"), "e": _cy("IE"), "o": _cy("O"), "p": _cy("ER"), "c": _cy("ES")}
)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _canonical_variant(p: Profile, kind: str, person: Person) -> None:
    """Give `person` the `kind` spelling of one of the first report's values."""
    details = person.person
    words = p.handle.rstrip("0123456789")
    digits = p.handle[len(words) :]
    if kind == "gmail":
        details.emails = [
            Email(f"{p.first.lower()}{p.last.lower()}.{p.dob[:4]}+tips@googlemail.com")
        ]
    elif kind == "leet":
        person.screen_name = words.translate(_LEET) + digits
    elif kind == "homoglyph":
        person.screen_name = words.translate(_HOMOGLYPHS) + digits
    elif kind == "fullwidth":
        person.screen_name = _fullwidth(p.handle)
    elif kind == "case":
        details.emails = [Email(f"{p.mail_local}@example.org".upper())]
    elif kind == "punctuation":
        details.phones = [Phone(f"+1 ({p.area}) 555.{p.line}")]
    else:
        raise ValueError(kind)


def _slip(rng: random.Random, handle: str) -> str:
    """One slip in the letters: two neighbours swapped, one dropped or one changed."""
    letters = len(handle.rstrip("0123456789"))
    i = rng.randint(1, letters - 2)
    how = rng.choice(("swap", "drop", "change"))
    if how == "swap" and handle[i] != handle[i + 1]:
        return handle[:i] + handle[i + 1] + handle[i] + handle[i + 2 :]
    if how == "drop":
        return handle[:i] + handle[i + 1 :]
    other = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != handle[i]])
    return handle[:i] + other + handle[i + 1 :]


def _phone_variant(p: Profile, n: int) -> str:
    digits = f"{p.area}555{p.line}"
    forms = (
        f"001 {p.area} 555 {p.line}",
        digits,
        f"+1.{p.area}.555.{p.line}",
    )
    return forms[n % len(forms)]


def _other_esp(p: Profile) -> str:
    return next(e.name for e in ESPS if e.name != p.esp)


def later_report(rng: random.Random, p: Profile, kind: str, at: int, n: int) -> Report:
    """The later report carrying only the `kind` variation of the profile."""
    person = Person(role="reported")
    details = person.person
    esp: str | None = None
    if kind == "display":
        person.display_names = [p.display]
        esp = _other_esp(p)
    elif kind == "esp_id":
        person.screen_name = f"{rng.choice(HANDLE_WORDS)}_{rng.choice(HANDLE_NOUNS)}_{n}"
        person.esp_identifier = p.uid
    elif kind == "mail_user":
        details.emails = [Email(f"{p.mail_local}@example.net")]
    elif kind == "phone":
        details.phones = [Phone(_phone_variant(p, n))]
    elif kind == "slip":
        person.screen_name = _slip(rng, p.handle)
    elif kind == "name_dob":
        last = _slip(rng, p.last.lower() + "00")[:-2].title()
        details.first_name, details.last_name, details.date_of_birth = p.first, last, p.dob
    elif kind == "cyrillic":
        details.first_name, details.last_name = cyrillic(p.first), cyrillic(p.last)
        details.date_of_birth = p.dob
    elif kind == "ipv6":
        iid = rng.getrandbits(16)
        event = IpCaptureEvent(f"{p.ipv6_net}::{iid:x}:2", "Login", _iso(at))
        person.ip_capture_events = [event]
    else:
        _canonical_variant(p, kind, person)
    return _report(p, at, person, esp)


def decoy_report(rng: random.Random, p: Profile, kind: str, at: int) -> Report:
    person = Person(role="reported")
    if kind == "screen_digits":
        words = p.handle.rstrip("0123456789")
        digits = p.handle[len(words) :]
        other = digits
        while other == digits:
            other = str(rng.randint(10, 99))
        person.screen_name = f"{words}{other}"
        person.esp_identifier = f"{rng.getrandbits(40)}"
    else:
        year = int(p.dob[:4]) + rng.choice((-9, -5, -3, 3, 5, 9))
        person.person = PersonDetails(
            first_name=p.first,
            last_name=p.last,
            date_of_birth=f"{year:04d}{p.dob[4:]}",
            addresses=[Address(state=next(s for s in STATES if s != p.state), country="US")],
        )
    return _report(p, at, person)


# ------------------------------------------------------------------ the run


Variations = tuple[tuple[str, str], ...]


def people_reports(
    people: int, seed: int, variations: Variations
) -> tuple[list[Profile], list[tuple[Profile, str]], list[Report]]:
    """The fictional people, and their reports in writing order with each one's role."""
    rng = random.Random(f"related-variation/{seed}")
    profiles = [make_profile(rng, n) for n in range(people)]
    reports: list[Report] = []
    roles: list[tuple[Profile, str]] = []
    for n, p in enumerate(profiles):
        at = START + n * 10 * DAY
        reports.append(first_report(p, at))
        roles.append((p, "first"))
        for k, (kind, _) in enumerate(variations):
            reports.append(later_report(rng, p, kind, at + DAY + k * 60, n))
            roles.append((p, kind))
        for k, (kind, _) in enumerate(DECOYS):
            reports.append(decoy_report(rng, p, kind, at + 2 * DAY + k * 60))
            roles.append((p, kind))
    return profiles, roles, reports


def add_people(
    store_path: Path, people: int, seed: int, variations: Variations, *, stored: bool
) -> list[Profile]:
    """Write the people's reports into the store, or, when `stored`, find the ones written
    there before (the newest tips, in writing order)."""
    profiles, roles, reports = people_reports(people, seed, variations)
    store = open_store(store_path)
    if stored:
        with store.read() as conn:
            newest = conn.exec_driver_sql(
                "SELECT id FROM report ORDER BY id DESC LIMIT ?", (len(reports),)
            )
            ids = sorted(report_id for (report_id,) in newest)
    else:
        with store.write() as conn:
            ids = write_reports(conn, reports, now=START)
    store.close()
    for (p, role), report_id in zip(roles, ids, strict=True):
        p.reports[role] = report_id
    return profiles


def evaluate(
    store_path: Path, profiles: list[Profile], variations: Variations, show_misses: bool
) -> None:
    found = {kind: 0 for kind, _ in variations}
    decoys_top = {kind: 0 for kind, _ in DECOYS}
    decoys_shown = {kind: 0 for kind, _ in DECOYS}
    r_precisions: list[float] = []
    latencies: list[float] = []
    cpu_times: list[float] = []
    relevant_count = len(variations)
    store = open_store(store_path)
    with store.read() as conn:
        related_reports(conn, profiles[0].reports["first"])  # warm the page cache
        for p in profiles:
            started, cpu = time.perf_counter(), time.process_time()
            top = related_reports(conn, p.reports["first"], limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            ranked = [r.report_id for r in top]
            relevant = {p.reports[kind] for kind, _ in variations}
            r_precisions.append(len(set(ranked[:relevant_count]) & relevant) / relevant_count)
            for kind, _ in variations:
                if p.reports[kind] in ranked:
                    found[kind] += 1
                elif show_misses:
                    print(f"  missed {kind}: person {p.first} {p.last} {p.handle}")
            last_found = max((i for i, r in enumerate(ranked) if r in relevant), default=-1)
            for kind, _ in DECOYS:
                if p.reports[kind] in ranked[:last_found]:  # above a true match
                    decoys_top[kind] += 1
                if p.reports[kind] in ranked:
                    decoys_shown[kind] += 1
                    if show_misses:
                        reasons = next(r.reasons for r in top if r.report_id == p.reports[kind])
                        print(f"  decoy {kind} shown for {p.handle}: {reasons}")
    store.close()
    people = len(profiles)
    print(f"{people} people, {relevant_count} later reports each, {len(DECOYS)} decoys each")
    print("| later report carries | found in the top 10 from the first report |")
    print("|---|---|")
    for kind, label in variations:
        print(f"| {label} | {found[kind] / people:.0%} |")
    overall = sum(found.values()) / (people * relevant_count)
    print(f"recall@10 overall {overall:.3f}   R-precision {statistics.mean(r_precisions):.3f}")
    for kind, label in DECOYS:
        print(
            f"decoys ({label}): ranked above a true match {decoys_top[kind]}, "
            f"shown in the top 10 at all {decoys_shown[kind]}"
        )
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    print(f"latency p50 {p50:.1f} ms   p95 {p95:.1f} ms   p99 {p99:.1f} ms")
    c50, c95, c99 = (percentile(cpu_times, q) for q in (50, 95, 99))
    print(f"CPU time p50 {c50:.1f} ms   p95 {c95:.1f} ms   p99 {c99:.1f} ms   (load aside)")
    print(f"machine load (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", "--reports", dest="reports", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--set", choices=sorted(SETS), default="real", help="which variations")
    parser.add_argument("--misses", action="store_true", help="list each miss and shown decoy")
    args = parser.parse_args()
    base = store_for(args.out, args.reports, args.seed)
    work = base.with_name(f"variation-{args.set}-{base.stem}-{args.people}.sqlite")
    stored = work.exists()
    if not stored:
        copying = work.with_suffix(".copying")
        copy_store(base, copying)
        copying.rename(work)
    variations = SETS[args.set]
    profiles = add_people(work, args.people, args.seed, variations, stored=stored)
    evaluate(work, profiles, variations, args.misses)


if __name__ == "__main__":
    main()
