"""Intake speed: CyberTipline XML documents parsed and stored per second, and peak memory.

Writes N generated report documents (and their fileDetails documents) to a
cached directory, then in one run measures, on one core:
  parse only      parse_document over every report document
  store only      write_reports of the already-parsed reports into a new store
  import          `tipline import`'s Importer end to end (read, hash, parse, store,
                  quarantine, attach files) into another new store
so the import rate can be read against its two parts measured beside it.

    python bench/intake.py [--reports 10000] [--seed 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)  # keep bench/ from shadowing standard modules

from tipline_tui.demo.xml_export import export_xml  # noqa: E402
from tipline_tui.domain.cybertip_xml import parse_document  # noqa: E402
from tipline_tui.domain.report import Report  # noqa: E402
from tipline_tui.importer import Importer  # noqa: E402
from tipline_tui.store import open_store  # noqa: E402
from tipline_tui.store.reports import write_reports  # noqa: E402

TARGET = 2000.0


def documents(out: Path, count: int, seed: int) -> Path:
    """A directory of generated documents, built once per (count, seed)."""
    directory = out / f"xml-{count}-{seed}"
    marker = directory / ".complete"
    if not marker.exists():
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        export_xml(directory, count, seed)
        marker.write_text("ok")
    return directory


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def timed_import(store_path: Path, directory: Path) -> tuple[float, dict[str, int]]:
    store = open_store(fresh(store_path))
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    for result in Importer(store).run([directory]):
        outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says

    directory = documents(args.out, args.reports, args.seed)
    report_files = sorted(directory.glob("report-*.xml"))
    all_files = sorted(directory.glob("*.xml"))
    payloads = [p.read_bytes() for p in report_files]
    size = sum(len(p) for p in payloads)
    print(
        f"{len(report_files):,} report documents ({size / len(payloads) / 1024:.1f} KB mean), "
        f"{len(all_files) - len(report_files):,} fileDetails documents, in {directory}"
    )

    started = time.perf_counter()
    parsed = [parse_document(p) for p in payloads]
    parse_s = time.perf_counter() - started
    reports = [r for r in parsed if isinstance(r, Report)]

    store = open_store(fresh(args.out / "intake-store-only.sqlite"))
    started = time.perf_counter()
    for start in range(0, len(reports), 500):
        with store.write() as conn:
            write_reports(conn, reports[start : start + 500], now=0)
    store_s = time.perf_counter() - started
    store.close()

    only_reports = args.out / f"xml-{args.reports}-{args.seed}-reports-only"
    if not only_reports.exists():
        only_reports.mkdir()
        for path in report_files:
            (only_reports / path.name).symlink_to(path)
    import_s, _ = timed_import(args.out / "intake-import.sqlite", only_reports)
    both_s, outcomes = timed_import(args.out / "intake-import-files.sqlite", directory)

    # tracemalloc slows Python down several times, so memory gets a run of its own
    store = open_store(fresh(args.out / "intake-import-traced.sqlite"))
    tracemalloc.start()
    for _ in Importer(store).run([directory]):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    store.close()

    n = len(report_files)
    rate = n / import_s
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"parse only   {n / parse_s:8,.0f} reports/s   ({parse_s * 1000 / n:.3f} ms each)")
    print(f"store only   {n / store_s:8,.0f} reports/s   ({store_s * 1000 / n:.3f} ms each)")
    verdict = "" if rate >= TARGET else "  MISSED"
    print(
        f"import       {rate:8,.0f} reports/s   ({import_s:.1f} s for the {n:,} report "
        f"documents)   target >= {TARGET:,.0f}{verdict}"
    )
    docs = len(all_files)
    print(
        f"  with files {docs / both_s:8,.0f} documents/s ({both_s:.1f} s for {docs:,} "
        f"documents: {outcomes})"
    )
    print(f"             import ÷ (parse + store) time: {import_s / (parse_s + store_s):.2f}")
    print(
        f"peak memory  {peak / 2**20:.1f} MiB Python heap during import (tracemalloc); "
        f"{rss:.0f} MiB max RSS of the whole run"
    )


if __name__ == "__main__":
    main()
