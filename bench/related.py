"""Related-report search: accuracy against the generator's ground truth, and latency.

For a sample of tips whose reported people reappear elsewhere, the relevant
tips are those the synthetic ground truth says concern one of the same
fictional people. Prints precision@10 and recall@10, p50/p95/p99 latency of a
full related search (wall and CPU time), and, as a baseline in the same run, the
latency of scoring every stored name with rapidfuzz (the full scan the design avoids).

The generated store is built once into --out and reused. When only a store of an
older schema is there (same tips, same generator), a copy of it is migrated and the
migration timed: the figure the upgrade notice quotes.

    python bench/related.py [--tips 100000] [--queries 300] [--seed 1] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path.pop(0)  # keep bench/ from shadowing standard modules

from rapidfuzz import fuzz, process  # noqa: E402

from tipline_tui.demo.generator import GENERATOR_VERSION, build_demo_store  # noqa: E402
from tipline_tui.store import open_store, related  # noqa: E402
from tipline_tui.store.migrations import SCHEMA_VERSION  # noqa: E402
from tipline_tui.store.related import related_reports  # noqa: E402

# "u": one handle, one person (issue 14). Runs of up to 51,063 tips are the same as
# before it; larger ones are not, so their stores are told apart by name.
GENERATOR_TAG = f"{GENERATOR_VERSION}u"


def store_for(out: Path, reports: int, seed: int) -> Path:
    """The generated store for this schema: reused, else migrated from an older one, else built."""
    stem = f"related-{reports}-{seed}-g{GENERATOR_TAG}-s"
    path = out / f"{stem}{SCHEMA_VERSION}.sqlite"
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    older = sorted(
        (int(p.stem.removeprefix(stem)), p)
        for p in out.glob(f"{stem}*.sqlite")
        if p.stem.removeprefix(stem).isdigit() and int(p.stem.removeprefix(stem)) < SCHEMA_VERSION
    )
    if older:
        migrate_copy(older[-1][1], path, reports)
        return path
    started, cpu = time.perf_counter(), time.process_time()

    def progress(done: int) -> None:
        if done % 50_000 == 0 or done == reports:
            wall, used = time.perf_counter() - started, time.process_time() - cpu
            print(f"  {done:,} tips: {wall:.0f} s (CPU {used:.0f} s)", flush=True)

    partial = path.with_suffix(".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    build_demo_store(partial, reports, seed, progress=progress, bulk=True)
    partial.rename(path)
    for log in ("-wal", "-shm"):
        Path(f"{partial}{log}").unlink(missing_ok=True)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"built {reports:,} tips in {wall:.0f} s (CPU {used:.0f} s)", flush=True)
    return path


def copy_store(source: Path, dest: Path) -> None:
    """A consistent copy of a store, its write-ahead log included (SQLite's backup)."""
    for leftover in (dest, Path(f"{dest}-wal"), Path(f"{dest}-shm")):
        leftover.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest)) as out:
        src.backup(out, pages=1 << 16)


def migrate_copy(source: Path, path: Path, reports: int) -> None:
    """Copy an older-schema store to `path` and migrate it, timing the migration alone."""
    partial = path.with_suffix(".migrating")
    copy_store(source, partial)
    with closing(sqlite3.connect(partial)) as raw:
        old = raw.execute("PRAGMA user_version").fetchone()[0]
    started, cpu = time.perf_counter(), time.process_time()
    open_store(partial).close()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    partial.rename(path)
    print(
        f"migrated {reports:,} tips from schema {old} to {SCHEMA_VERSION} in {wall:.0f} s "
        f"(CPU {cpu:.0f} s; {wall / reports * 100_000:.1f} s per 100,000 tips)"
    )


def evidence_of(conn, report_id: int) -> set[int]:  # type: ignore[no-untyped-def]
    """Every tip sharing any evidence at all with `report_id` (no threshold, no limit)."""
    saved = related.MIN_SCORE
    related.MIN_SCORE = 0.0
    try:
        return {r.report_id for r in related.related_reports(conn, report_id, limit=10**9)}
    finally:
        related.MIN_SCORE = saved


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def missed(met: bool) -> str:
    return "" if met else " MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", "--reports", dest="reports", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--store", type=Path, help="measure this store (e.g. a build stopped part way) as is"
    )
    args = parser.parse_args()

    store = open_store(args.store or store_for(args.out, args.reports, args.seed))
    with store.read() as conn:
        truth: dict[int, set[int]] = {}
        tips_of: dict[int, set[int]] = {}
        for report_id, identity in conn.exec_driver_sql(
            "SELECT report_id, identity FROM synthetic_identity"
        ):
            truth.setdefault(report_id, set()).add(identity)
            tips_of.setdefault(identity, set()).add(report_id)
        names = [v for (v,) in conn.exec_driver_sql("SELECT value FROM fuzzy_value")]
        (tips,) = conn.exec_driver_sql("SELECT count(*) FROM report").one()
    candidates = sorted(r for r, ids in truth.items() if any(len(tips_of[i]) > 1 for i in ids))
    sample = random.Random(7).sample(candidates, min(args.queries, len(candidates)))

    latencies: list[float] = []
    cpu_times: list[float] = []
    precisions: list[float] = []
    recalls: list[float] = []
    reachable_recalls: list[float] = []
    ceilings: list[float] = []
    top_sizes: list[int] = []
    empty_unreachable = 0  # show nothing, and share no evidence at all with a relevant tip
    with store.read() as conn:
        related_reports(conn, sample[0])  # warm the page cache once
        for report_id in sample:
            started, cpu = time.perf_counter(), time.process_time()
            found = related_reports(conn, report_id, limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            relevant = set().union(*(tips_of[i] for i in truth[report_id])) - {report_id}
            top = [r.report_id for r in found[:10]]
            top_sizes.append(len(top))
            hits = len(set(top) & relevant)
            precisions.append(hits / len(top) if top else 0.0)
            recalls.append(hits / min(10, len(relevant)))
            reachable = relevant & evidence_of(conn, report_id)
            ceilings.append(min(10, len(reachable)) / min(10, len(relevant)))
            if reachable:
                reachable_recalls.append(hits / min(10, len(reachable)))
            elif not top:
                empty_unreachable += 1
        one = conn.exec_driver_sql(
            "SELECT v.value FROM fuzzy_occurrence o JOIN fuzzy_value v ON v.id = o.value_id "
            "WHERE o.report_id IN ({})".format(",".join(str(r) for r in sample[:50]))
        ).fetchall()
    scans: list[float] = []
    for (value,) in one[:50]:
        started = time.perf_counter()
        process.extract(value, names, scorer=fuzz.ratio, score_cutoff=90, limit=300)
        scans.append((time.perf_counter() - started) * 1000)
    store.close()

    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"store: {tips:,} tips, {len(names):,} distinct names; "
        f"{len(sample)} query tips with known repeat people"
    )
    precision, recall = statistics.mean(precisions), statistics.mean(recalls)
    print(
        f"precision@10 {precision:.3f}{missed(precision >= 0.90)}   recall@10 "
        f"{recall:.3f}{missed(recall >= 0.95)}   (targets >= 0.90, >= 0.95)"
    )
    empty = sum(1 for n in top_sizes if n == 0)
    print(
        f"             precision@10 over the {len(sample) - empty} queries that show anything: "
        f"{statistics.mean(p for p, n in zip(precisions, top_sizes, strict=True) if n):.3f} "
        f"({empty} show nothing and count 0 above: no tip shares evidence above MIN_SCORE; "
        f"{empty_unreachable} of them share no evidence at all with a tip of their people, "
        f"so precision@10 can reach {1 - empty_unreachable / len(sample):.3f} at most)"
    )
    print(
        f"             recall@10 over relevant tips that share any evidence at all: "
        f"{statistics.mean(reachable_recalls):.3f} (the rest share no identifier, e.g. "
        "reports naming the person only by fields no other report of them has)"
    )
    print(
        f"             best recall@10 possible, counting only tips that share evidence: "
        f"{statistics.mean(ceilings):.3f}"
    )
    print(
        f"latency      p50 {p50:.1f} ms   p95 {p95:.1f} ms{missed(p95 <= 50)}   p99 {p99:.1f} ms"
        "   (target p95 <= 50 ms at 1,000,000)"
    )
    c50, c95, c99 = (percentile(cpu_times, p) for p in (50, 95, 99))
    print(f"CPU time     p50 {c50:.1f} ms   p95 {c95:.1f} ms   p99 {c99:.1f} ms   (load aside)")
    print(f"machine load (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    scan = statistics.median(scans)
    print(
        f"baseline     full rapidfuzz scan of every name, one name: median {scan:.1f} ms; "
        f"a whole related search p50 ÷ one full scan = {p50 / scan:.2f}"
    )


if __name__ == "__main__":
    main()
