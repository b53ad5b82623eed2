"""`tipline related` (prior reports about the same people) and `tipline suggest` (where to)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tipline_tui.cli.common import Commands, read_store, store_option
from tipline_tui.cli.output import fail, maybe_line, one_line

if TYPE_CHECKING:
    from tipline_tui.domain.jurisdiction import Suggestion


def add_commands(commands: Commands) -> None:
    related = commands.add_parser(
        "related",
        parents=[store_option()],
        help="prior reports about the same people as a tip, ranked, with reasons",
    )
    related.add_argument("report_id", type=int, metavar="REPORT_ID", help="the tip's number")
    related.add_argument("--json", action="store_true", help="machine-readable output")
    related.add_argument(
        "--limit", type=int, default=20, help="show at most this many (default 20)"
    )
    related.set_defaults(func=show_related)
    suggested = commands.add_parser(
        "suggest",
        parents=[store_option()],
        help="suggested jurisdiction and agencies for a tip, with the signals behind them",
    )
    suggested.add_argument("report_id", type=int, metavar="REPORT_ID", help="the tip's number")
    suggested.add_argument("--json", action="store_true", help="machine-readable output")
    suggested.set_defaults(func=suggest_agencies)


def show_related(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from tipline_tui.store.related import related_reports
    from tipline_tui.store.tip_load import tip_exists
    from tipline_tui.widgets.format import utc_text

    with read_store(args) as conn:
        if not tip_exists(conn, args.report_id):
            return fail(f"no tip #{args.report_id} in this store")
        found = related_reports(conn, args.report_id, args.limit)
    if args.json:
        print(json.dumps([asdict(r) for r in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print(f"no related reports for tip #{args.report_id}")
    for r in found:
        jurisdiction = one_line(r.jurisdiction) or "-"
        print(
            f"#{r.report_id}  score {r.score:.2f}  {utc_text(r.received_at)}  "
            f"{one_line(r.incident_type)}  {r.status}  {jurisdiction}"
        )
        for reason in r.reasons:
            print(f"    {one_line(reason)}")
    return 0


def suggest_agencies(args: argparse.Namespace) -> int:
    """Ranked by domain.jurisdiction.suggest; an urgent tip (domain.enums.is_urgent) puts
    agencies that take urgent referrals first."""
    from tipline_tui.domain.enums import is_urgent
    from tipline_tui.domain.jurisdiction import suggest
    from tipline_tui.geoip import GeoIpError, open_geoip
    from tipline_tui.store.directory_read import list_agencies
    from tipline_tui.store.tip_load import load_tip

    geoip_path = _configured_geoip()
    try:
        geoip = open_geoip(geoip_path)
    except GeoIpError as exc:
        return fail(str(exc))
    with read_store(args) as conn:
        tip = load_tip(conn, args.report_id)
        if tip is None:
            return fail(f"no tip #{args.report_id} in this store")
        agencies = list_agencies(conn)
    urgent = is_urgent(tip.analysis.priority, tip.report.escalated)
    found = suggest(tip.report, agencies, geoip=geoip, urgent=urgent)
    if args.json:
        data = _as_json(args.report_id, found, urgent=urgent, geolocated=geoip is not None)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    if geoip is None:
        geo_note = "not configured" if geoip_path is None else f"{geoip_path} not found"
    else:
        geo_note = f"on ({geoip_path})"
    _print_suggestion(
        args.report_id, found, urgent=urgent, geo_note=geo_note, empty_directory=not agencies
    )
    return 0


def _configured_geoip() -> Path | None:
    """The GeoIP database the settings name. When the plain reading of the settings (no
    pydantic, about 0.3 s less) finds neither a GeoIP database nor anything it cannot
    judge, there is none; otherwise the full settings say which."""
    from tipline_tui.settings_file import first_paint_settings

    if first_paint_settings() is not None:
        return None
    from tipline_tui.settings import load_settings

    return load_settings().geoip


def _as_json(report_id: int, found: Suggestion, *, urgent: bool, geolocated: bool) -> Any:
    return {
        "report_id": report_id,
        "outcome": found.outcome.value,
        "summary": maybe_line(found.summary),
        "legal_process": maybe_line(found.legal_process),
        "urgent": urgent,
        "ip_geolocation": geolocated,
        "signals": [
            {
                "source": s.source,
                "place": s.place.label(),
                "strength": round(s.strength, 3),
                "reason": maybe_line(s.reason),
            }
            for s in found.signals
        ],
        "places": [{"place": p.label(), "strength": round(v, 3)} for p, v in found.places],
        "agencies": [
            {
                "id": c.agency.id,
                "name": maybe_line(c.agency.name),
                "kind": maybe_line(c.agency.kind),
                "state": maybe_line(c.agency.state),
                "country": maybe_line(c.agency.country),
                "takes_urgent": c.agency.takes_urgent,
                "score": c.score,
                "reasons": [maybe_line(r) for r in c.reasons],
            }
            for c in found.agencies
        ],
    }


def _print_suggestion(
    report_id: int, found: Suggestion, *, urgent: bool, geo_note: str, empty_directory: bool
) -> None:
    print(f"tip #{report_id}: {maybe_line(found.summary)}")
    if found.legal_process:
        print(f"  {one_line(found.legal_process)}")
    print(f"signals ({len(found.signals)}; IP geolocation {one_line(geo_note)}):")
    for s in found.signals:
        print(f"  {s.strength:.2f}  {s.place.label():<6} {maybe_line(s.reason)}")
    if not found.agencies:
        why = (
            "the tip stays with the clearinghouse" if not found.places else "none in the directory"
        )
        print(f"agencies: none ({why})")
        if empty_directory:
            from tipline_tui.domain.agency import NO_DIRECTORY

            print(NO_DIRECTORY)
        return
    order = "urgent tip: agencies taking urgent referrals first" if urgent else "best first"
    print(f"agencies ({order}):")
    for c in found.agencies:
        urgent_mark = "" if c.agency.takes_urgent else "  (no urgent referrals)"
        print(f"  {c.score:.2f}  {one_line(c.agency.name)}{urgent_mark}")
        for reason in c.reasons:
            print(f"        {maybe_line(reason)}")
