"""Jurisdiction suggestion: where a tip's signals point, and which agencies should get it.

Pure: no I/O. Signals (`jurisdiction_signals`) say where a tip points and how strongly;
signals for the same place combine as a noisy-OR (independent pieces of evidence:
1 - prod(1 - s)), and every signal at a US state also counts for "US". Places within
`CONFLICT_RATIO` of the best contend; agencies are ranked for the contending places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tipline_tui.domain.agency import Agency
from tipline_tui.domain.enums import AgencyKind
from tipline_tui.domain.jurisdiction_places import GeoIp, Place, place_of
from tipline_tui.domain.jurisdiction_signals import Signal, jurisdiction_signals, report_ips
from tipline_tui.domain.report import Report


@dataclass(frozen=True, slots=True)
class AgencyChoice:
    """An agency to refer to: score (place strength x rank of its kind there) and why."""

    agency: Agency
    score: float
    reasons: tuple[str, ...]


class Outcome(StrEnum):
    """Stored at intake as report.jurisdiction_outcome; NONE stays with the clearinghouse."""

    SUGGESTED = "suggested"
    CONFLICT = "conflict"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Everything an analyst needs to choose: outcome, evidence, places and agencies.

    For SUGGESTED, `places[0]` is the suggested place (a US state when one is known);
    for CONFLICT the summary names every contending place and `agencies` serves each.
    """

    outcome: Outcome
    signals: tuple[Signal, ...]  # every signal found, strongest first
    places: tuple[tuple[Place, float], ...]  # best first (see `locate`)
    agencies: tuple[AgencyChoice, ...]  # best first; empty for NONE
    summary: str
    legal_process: str | None = None


CONFLICT_RATIO = 0.65
"""A runner-up at least this share of the best makes a conflict.

0.65 rather than 0.6 so that one phone area code elsewhere (0.5) does not
contest a reported person's address (0.8): numbers move with people. Two
independent signals elsewhere (phone and estimated location: 0.8) do.
"""

# agency rank within a place: multiplied by the place's strength
_RANK_ICAC = 1.0
_RANK_LOCAL = 0.8
_RANK_FEDERAL_STATE = 0.5  # behind the state's own task force and locals
_RANK_FEDERAL_US = 0.7  # US with no state: federal agencies are the natural first stop
_RANK_PARTNER = 1.0
_RANK_FEDERAL_ABROAD = 0.5  # HSI, which has attachés abroad

_SOURCE_WORDS = {
    "legal_process": "legal process",
    "estimated_location": "estimated location",
}


def _noisy_or(strengths: Iterable[float]) -> float:
    miss = 1.0
    for s in strengths:
        miss *= 1.0 - min(max(s, 0.0), 1.0)
    return 1.0 - miss


# ------------------------------------------------------------------ locating


def _scores(signals: Sequence[Signal]) -> tuple[dict[str, float], dict[Place, float]]:
    """Combined strength per country (all its signals) and per US state (its own)."""
    by_country: dict[str, list[float]] = {}
    by_state: dict[Place, list[float]] = {}
    for s in signals:
        by_country.setdefault(s.place.country, []).append(s.strength)
        if s.place.state:
            by_state.setdefault(s.place, []).append(s.strength)
    return (
        {c: _noisy_or(v) for c, v in by_country.items()},
        {p: _noisy_or(v) for p, v in by_state.items()},
    )


def _ranked_places(
    signals: Sequence[Signal],
) -> tuple[tuple[tuple[Place, float], ...], list[Place]]:
    """Places best first, and the contenders (one: suggested; more: a conflict).

    Countries are ordered by combined strength; within a country its states come first
    (strongest first), then the country itself: a state is the more specific answer and
    the country's figure already includes it.
    """
    countries, states = _scores(signals)
    ordered: list[tuple[Place, float]] = []
    contenders: list[Place] = []
    if not countries:
        return (), contenders
    top = max(countries.values())
    for country, score in sorted(countries.items(), key=lambda kv: (-kv[1], kv[0])):
        own = sorted(
            ((p, v) for p, v in states.items() if p.country == country),
            key=lambda pv: (-pv[1], pv[0].label()),
        )
        ordered += own
        ordered.append((Place(country), score))
        if score < CONFLICT_RATIO * top:
            continue
        if own:
            best_state = own[0][1]
            contenders += [p for p, v in own if v >= CONFLICT_RATIO * best_state]
        else:
            contenders.append(Place(country))
    return tuple(ordered), contenders


def locate(
    report: Report, *, geoip: GeoIp | None = None
) -> tuple[Outcome, tuple[tuple[Place, float], ...]]:
    """Outcome and ranked places, without agencies: cheap enough to run at intake."""
    signals = jurisdiction_signals(report, geoip=geoip)
    places, contenders = _ranked_places(signals)
    return _outcome(contenders), places


def locate_contenders(report: Report) -> tuple[Outcome, tuple[Place, ...]]:
    """Outcome and the places it names: one when SUGGESTED, each contender in a CONFLICT.

    What intake stores for the queue's jurisdiction column, which must not read a
    report to say where a tip points.
    """
    _, contenders = _ranked_places(jurisdiction_signals(report))
    return _outcome(contenders), tuple(contenders)


def places_text(places: Sequence[Place]) -> str | None:
    """Places as stored beside the outcome: their labels, space-separated ("US-NY US-CA")."""
    return " ".join(p.label() for p in places) or None


def _outcome(contenders: Sequence[Place]) -> Outcome:
    if not contenders:
        return Outcome.NONE
    return Outcome.CONFLICT if len(contenders) > 1 else Outcome.SUGGESTED


# ------------------------------------------------------------------ agencies


def _supports(signal: Signal, place: Place) -> bool:
    """Whether a signal counts for a place: same place, or the bare country of a state."""
    if signal.place == place:
        return True
    return place.state is not None and signal.place == Place(place.country)


def _has_international_reach(agency: Agency) -> bool:
    """Federal agencies that work abroad. The directory has no field for it, so by name: HSI."""
    return bool(re.search(r"\bHSI\b|homeland security investigations", agency.name, re.I))


def _candidates(
    place: Place, score: float, agencies: Sequence[Agency]
) -> list[tuple[Agency, float, str]]:
    out: list[tuple[Agency, float, str]] = []
    label = place.label()
    for agency in agencies:
        kind = (agency.kind or "").lower()
        state = (agency.state or "").upper() or None
        country = (agency.country or "").upper() or None
        if place.country == "US":
            if place.state and state == place.state and kind == AgencyKind.ICAC:
                out.append((agency, score * _RANK_ICAC, f"ICAC task force for {label}"))
            elif place.state and state == place.state and kind == AgencyKind.LOCAL:
                out.append((agency, score * _RANK_LOCAL, f"local agency in {label}"))
            elif kind == AgencyKind.FEDERAL and country in (None, "US"):
                rank = _RANK_FEDERAL_STATE if place.state else _RANK_FEDERAL_US
                why = "after the state's own agencies" if place.state else "no state known"
                out.append((agency, score * rank, f"federal agency for {label} ({why})"))
        elif kind == AgencyKind.INTERNATIONAL and country == place.country:
            out.append((agency, score * _RANK_PARTNER, f"international partner for {label}"))
        elif kind == AgencyKind.FEDERAL and _has_international_reach(agency):
            out.append(
                (
                    agency,
                    score * _RANK_FEDERAL_ABROAD,
                    f"federal agency with reach abroad, for {label}",
                )
            )
    return out


def _rank_agencies(
    contenders: Sequence[Place],
    scores: dict[Place, float],
    signals: Sequence[Signal],
    agencies: Sequence[Agency],
    urgent: bool,
) -> tuple[AgencyChoice, ...]:
    best: dict[int, tuple[Agency, float, list[str]]] = {}
    for place in contenders:
        evidence = [s.reason for s in signals if _supports(s, place)]
        for agency, score, why in _candidates(place, scores[place], agencies):
            key = id(agency)
            if key not in best:
                best[key] = (agency, score, [])
            kept, top, reasons = best[key]
            reasons += [r for r in (why, *evidence) if r not in reasons]
            best[key] = (kept, max(top, score), reasons)
    order = sorted(
        best.values(),
        key=lambda item: (
            urgent and not item[0].takes_urgent,
            -round(item[1], 9),
            item[0].name.casefold(),
        ),
    )
    return tuple(
        AgencyChoice(agency, round(score, 3), tuple(reasons)) for agency, score, reasons in order
    )


def _legal_process_note(report: Report) -> str | None:
    law = report.law_enforcement
    if law is None:
        return None
    if law.served_legal_process_international or law.flea_country:
        country = place_of(law.flea_country)
        where = f" (fleaCountry {country.country})" if country else ""
        return f"legal process served internationally{where}"
    if law.served_legal_process_domestic:
        return "legal process served domestically"
    return None


def _none_summary(report: Report, geoip: GeoIp | None) -> str:
    text = "no jurisdiction can be determined: no address, phone, location or legal process"
    if geoip is None and any(True for _ in report_ips(report)):
        text += " (IP addresses present; IP geolocation not configured)"
    return text


def suggest(
    report: Report,
    agencies: Sequence[Agency],
    *,
    geoip: GeoIp | None = None,
    urgent: bool = False,
) -> Suggestion:
    """Signals, places and ranked agencies for a tip, each with its reasons.

    `urgent` puts agencies that take urgent referrals first: an imminent-danger tip
    must go where someone answers now, even if a better-placed agency does not.
    """
    signals = jurisdiction_signals(report, geoip=geoip)
    places, contenders = _ranked_places(signals)
    outcome = _outcome(contenders)
    legal = _legal_process_note(report)
    if outcome is Outcome.NONE:
        return Suggestion(outcome, tuple(signals), places, (), _none_summary(report, geoip), legal)
    scores = dict(places)
    choices = _rank_agencies(contenders, scores, signals, agencies, urgent)
    if outcome is Outcome.CONFLICT:
        summary = "conflict: " + " vs ".join(p.label() for p in contenders)
    else:
        place = contenders[0]
        sources = dict.fromkeys(
            _SOURCE_WORDS.get(s.source, s.source) for s in signals if _supports(s, place)
        )
        summary = f"{place.label()} ({', '.join(sources)})"
    return Suggestion(outcome, tuple(signals), places, choices, summary, legal)
