"""Deterministic synthetic CyberTipline-style reports: the generator proper.

Everything is fictional and marked so: ESPs "(demo)", fake surnames, text
"(synthetic demo text)", identifiers only from ranges reserved for
documentation or fiction. Report `index` is a pure function of
(seed, index, start + count): it draws from its own random.Random seeded by
text, never the global RNG, the clock, hash() or set order, so a build
repeats byte for byte and any slice can be generated alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from random import Random

from tipline_tui.demo.clock import DAY, DEMO_EPOCH, SPAN_SECONDS, iso_local, iso_utc
from tipline_tui.demo.identity import Identity, make_identity
from tipline_tui.demo.names import (
    ADDITIONAL_INFO,
    ESCALATIONS,
    ESPS,
    HOSTILE_TEXTS,
    TIME_DESCRIPTIONS,
    Esp,
)
from tipline_tui.demo.parts import (
    file_details,
    internet_detail,
    law_enforcement,
    other_person,
    reported_person,
    reporter,
)
from tipline_tui.demo.pick import Table, one
from tipline_tui.domain.enums import REPORT_ANNOTATIONS, IncidentType, PersonRole
from tipline_tui.domain.enums import InternetDetailKind as K
from tipline_tui.domain.report import InternetDetail, Person, Report

# 2: wider handle vocabulary; 3: unique mailboxes, no shared MACs; 4: unique handles and
# phone numbers per person, batched reports name accounts on the reporting ESP itself.
# A handle spelled with another number is never another person's handle (issue 14): that
# changes only runs of more than 4 x 12,765 reports (a pool wider than one round of word
# pairs), so stores of up to 51,063 reports (the bundled demo's 1,500) are as version 4 made them.
GENERATOR_VERSION = "4"
BATCHED_REASON = "VIRAL_POTENTIAL_MEME"
NOT_IN_POOL = -1

_MIN_POOL = 50
_CACHE_LIMIT = 50_000
_BATCHED_RATE = 0.01
_VIRAL_RATE = 0.05  # of reports with files
_VIRAL_FILES = 10
_HOSTILE_RATE = 0.01

_T = IncidentType
_INCIDENTS = Table(
    (
        _T.CHILD_PORNOGRAPHY,
        _T.ENTICEMENT,
        _T.UNSOLICITED_OBSCENE,
        _T.MISLEADING_WORDS,
        _T.MISLEADING_DOMAIN,
        _T.MOLESTATION,
        _T.SEX_TRAFFICKING,
        _T.SEX_TOURISM,
    ),
    (885, 70, 20, 8, 5, 5, 5, 2),
)
# Rare types are also placed at fixed positions, so even a few-hundred-report store has each.
_RARE = (
    _T.SEX_TRAFFICKING,
    _T.SEX_TOURISM,
    _T.MOLESTATION,
    _T.MISLEADING_DOMAIN,
    _T.MISLEADING_WORDS,
    _T.UNSOLICITED_OBSCENE,
)
_ALL_KINDS = tuple(K)
_RARE_PERIOD = 40


@dataclass(frozen=True, slots=True)
class _Profile:
    """How reports of one incident type tend to look."""

    escalate: float
    victim: float
    recipient: float
    sextortion: float
    solicitation: float
    in_person: float
    files: Table[int]


_PROFILES = {
    _T.CHILD_PORNOGRAPHY: _Profile(
        0.02, 0.08, 0.03, 0.03, 0.03, 0.005, Table((0, 1, 2, 3, 5), (8, 55, 22, 10, 5))
    ),
    _T.ENTICEMENT: _Profile(0.15, 0.45, 0.25, 0.3, 0.2, 0.05, Table((0, 1, 2), (5, 4, 1))),
    _T.UNSOLICITED_OBSCENE: _Profile(0.03, 0.3, 0.7, 0.05, 0.0, 0.0, Table((0, 1, 2), (4, 5, 1))),
    _T.MISLEADING_WORDS: _Profile(0.0, 0.02, 0.0, 0.0, 0.0, 0.0, Table((0, 1), (7, 3))),
    _T.MISLEADING_DOMAIN: _Profile(0.0, 0.02, 0.0, 0.0, 0.0, 0.0, Table((0, 1), (9, 1))),
    _T.MOLESTATION: _Profile(0.2, 0.6, 0.0, 0.02, 0.02, 0.6, Table((0, 1, 2), (5, 4, 1))),
    _T.SEX_TRAFFICKING: _Profile(0.25, 0.5, 0.05, 0.0, 0.05, 0.5, Table((0, 1, 2), (5, 4, 1))),
    _T.SEX_TOURISM: _Profile(0.2, 0.3, 0.0, 0.0, 0.0, 0.6, Table((0, 1), (7, 3))),
}
_REPORTED_COUNT = Table((0, 1, 2, 3), (4, 88, 7, 1))
_DETAIL_COUNT = Table((0, 1, 2), (10, 75, 15))
_ESP_TABLE = Table(ESPS, [e.weight for e in ESPS])
_ESP_KINDS = {e.slug: Table([k for k, _ in e.kinds], [w for _, w in e.kinds]) for e in ESPS}


class _World:
    """What every report of one run shares: the seed, the pool, the viral files."""

    def __init__(self, seed: int, total: int) -> None:
        self.seed = seed
        self.pool_size = max(_MIN_POOL, total // 4)
        self.step = SPAN_SECONDS / max(total, 1)
        self._identities: dict[int, Identity] = {}
        rng = Random(f"tipline-demo/viral/{seed}")
        self.viral = tuple(
            (
                (f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(160):040x}"),
                f"shared_{rng.getrandbits(24):06x}.{one(rng, ('jpg', 'gif', 'mp4'))}",
            )
            for _ in range(_VIRAL_FILES)
        )
        self.viral_table = Table(
            range(_VIRAL_FILES), [1 / (k + 1) ** 1.1 for k in range(_VIRAL_FILES)]
        )

    def identity(self, number: int) -> Identity:
        ident = self._identities.get(number)
        if ident is None:
            if len(self._identities) >= _CACHE_LIMIT:
                self._identities.clear()
            ident = self._identities[number] = make_identity(self.seed, number)
        return ident

    def draw_identities(self, rng: Random, n: int) -> list[Identity]:
        """`n` distinct identities, low numbers far more often (a few prolific people)."""
        found: list[Identity] = []
        for _ in range(n * 3):
            if len(found) == n:
                break
            ident = self.identity(int(self.pool_size * rng.random() ** 2))
            if all(ident.number != other.number for other in found):
                found.append(ident)
        return found

    def viral_file(self, rng: Random) -> tuple[tuple[str, str], str]:
        return self.viral[self.viral_table.draw(rng)]


def generate_reports(count: int, seed: int, start: int = 0) -> Iterator[tuple[Report, list[int]]]:
    """Reports `start` .. `start + count - 1` of the run for `seed`, with their ground truth.

    Each item is (report, identities): for each person in report.persons, in
    order, the pool identity it really is, or -1 for people outside the pool
    (victims, intended recipients). The identity pool (about a quarter of
    `start + count`) and the time step both depend on `start + count`, so a
    slice equals the same slice of a full run with the same end.
    """
    if count < 0 or start < 0:
        raise ValueError("count and start must be >= 0")
    world = _World(seed, start + count)
    return (_report(world, index) for index in range(start, start + count))


def _report(world: _World, index: int) -> tuple[Report, list[int]]:
    rng = Random(f"tipline-demo/report/{world.seed}/{index}")
    received = DEMO_EPOCH - SPAN_SECONDS + int((index + rng.random()) * world.step)
    if rng.random() < _BATCHED_RATE:
        return _batched(world, rng, received)
    if index % _RARE_PERIOD == 7:
        incident = _RARE[(index // _RARE_PERIOD) % len(_RARE)]
    else:
        incident = _INCIDENTS.draw(rng)
    profile = _PROFILES[incident]
    idents = world.draw_identities(rng, _REPORTED_COUNT.draw(rng))
    primary = idents[0] if idents else None
    esp = one(rng, primary.esps) if primary and rng.random() < 0.9 else _ESP_TABLE.draw(rng)
    platform = one(rng, esp.platforms)
    incident_at = received - 120 - int(rng.random() ** 3 * 21 * DAY)
    place = primary.place if primary else None
    when = (
        iso_local(incident_at, place.utc_offset_min)
        if place and rng.random() < 0.4
        else iso_utc(incident_at)
    )

    persons = [
        reported_person(rng, ident, esp, platform, incident_at, world.pool_size) for ident in idents
    ]
    truth = [ident.number for ident in idents]
    for role, p in ((PersonRole.VICTIM, profile.victim), (PersonRole.RECIPIENT, profile.recipient)):
        if rng.random() < p:
            for _ in range(1 + (rng.random() < 0.1)):
                persons.append(other_person(rng, role.value, place, incident_at))
                truth.append(NOT_IN_POOL)

    report = Report(
        incident_type=incident.value,
        incident_date_time=when,
        reporter=reporter(rng, esp),
        esp_name=esp.name,
        received_at=received,
        platform=platform,
        persons=persons,
        internet_details=_details(rng, index, esp, primary, incident_at, incident, profile),
        files=_files(world, rng, esp, incident_at, primary, profile),
    )
    if rng.random() < profile.escalate:
        report.escalate_to_high_priority = one(rng, ESCALATIONS)
    report.report_annotations = _annotations(rng, profile)
    if rng.random() < 0.15:
        report.incident_date_time_description = one(rng, TIME_DESCRIPTIONS)
    if rng.random() < (0.15 if report.escalated else 0.03):
        report.law_enforcement = law_enforcement(rng, primary, received)
    if rng.random() < 0.2:
        report.additional_info = one(rng, ADDITIONAL_INFO)
    if rng.random() < _HOSTILE_RATE:
        _add_hostile_text(rng, report, bool(idents))
    return report, truth


def _details(
    rng: Random,
    index: int,
    esp: Esp,
    primary: Identity | None,
    t: int,
    incident: IncidentType,
    profile: _Profile,
) -> list[InternetDetail]:
    kinds_table = _ESP_KINDS[esp.slug]
    kinds = [kinds_table.draw(rng) for _ in range(_DETAIL_COUNT.draw(rng))]
    if incident in (_T.MISLEADING_DOMAIN, _T.MISLEADING_WORDS):
        kinds = [K.WEB_PAGE, *kinds[1:]]
    if rng.random() < profile.in_person:
        kinds.append(K.NON_INTERNET)
    if index % _RARE_PERIOD == 23:  # every kind appears in any store of a few hundred reports
        kinds.append(_ALL_KINDS[(index // _RARE_PERIOD) % len(_ALL_KINDS)])
    unique = list(dict.fromkeys(kinds))
    return [internet_detail(rng, kind, esp, primary, t, incident.value) for kind in unique]


def _files(
    world: _World, rng: Random, esp: Esp, t: int, primary: Identity | None, profile: _Profile
) -> list:
    count = profile.files.draw(rng)
    files = []
    for slot in range(count):
        annotations: list[str] = []
        name = None
        hashes = None
        if slot == 0 and rng.random() < _VIRAL_RATE:
            hashes, name = world.viral_file(rng)
            r = rng.random()
            if r < 0.25:
                annotations = ["viral"]
            elif r < 0.35:
                annotations = ["potentialMeme"]
        elif primary is not None and primary.files and rng.random() < 0.25:
            hashes = one(rng, primary.files)
        files.append(file_details(rng, esp, t, primary, hashes, name, annotations))
    return files


def _annotations(rng: Random, profile: _Profile) -> list[str]:
    chances = (profile.sextortion, profile.solicitation, 0.015, 0.008, 0.004)
    return [name for name, p in zip(REPORT_ANNOTATIONS, chances, strict=True) if rng.random() < p]


def _add_hostile_text(rng: Random, report: Report, has_reported: bool) -> None:
    """Put markup-like text where an ESP could: it must be shown literally, never run."""
    text = one(rng, HOSTILE_TEXTS)
    r = rng.random()
    if r < 0.4 or not has_reported:
        report.additional_info = text
    elif r < 0.7:
        report.persons[0].screen_name = text
    else:
        report.persons[0].display_names = [text]


def _batched(world: _World, rng: Random, received: int) -> tuple[Report, list[int]]:
    """A batched viral/meme report: accounts known only by ESP id, one flagged file."""
    # An ESP reports accounts on its own service: the people named are users of it.
    idents = world.draw_identities(rng, 1 + int(rng.random() * 3))
    esp = one(rng, idents[0].esps) if idents else _ESP_TABLE.draw(rng)
    idents = [ident for ident in idents if esp in ident.esps]
    incident_at = received - 600 - int(rng.random() * 3 * DAY)
    hashes, name = world.viral_file(rng)
    annotations = one(rng, (["viral"], ["potentialMeme"], ["potentialMeme", "viral"]))
    report = Report(
        incident_type=_T.CHILD_PORNOGRAPHY.value,
        incident_date_time=iso_utc(incident_at),
        reporter=reporter(rng, esp),
        esp_name=esp.name,
        received_at=received,
        batched_reason=BATCHED_REASON,
        platform=one(rng, esp.platforms),
        persons=[
            Person(role=PersonRole.REPORTED.value, esp_identifier=ident.esp_id(esp))
            for ident in idents
        ],
        files=[file_details(rng, esp, incident_at, None, hashes, name, list(annotations))],
    )
    return report, [ident.number for ident in idents]
