"""Synthetic reports as CyberTipline XML files, the input of the intake benchmark.

The same generator as the demo store, so the benchmark parses what the demo shows;
fileDetails documents name their report by its 1-based position, which the
importer maps to the report it files.
"""

from __future__ import annotations

from pathlib import Path

from tipline_tui.demo.generator import generate_reports
from tipline_tui.domain.cybertip_xml_write import file_details_to_xml, report_to_xml


def export_xml(directory: Path, count: int, seed: int) -> int:
    """Write report-000001.xml ... and filedetails-000001-1.xml ...; return how many documents."""
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for index, (report, _truth) in enumerate(generate_reports(count, seed), 1):
        (directory / f"report-{index:06d}.xml").write_bytes(report_to_xml(report))
        written += 1
        for number, details in enumerate(report.files, 1):
            name = f"filedetails-{index:06d}-{number}.xml"
            (directory / name).write_bytes(file_details_to_xml(details, index))
            written += 1
    return written
