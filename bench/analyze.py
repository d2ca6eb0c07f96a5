"""The Overview's reads on PostgreSQL right after a large import, before and after ANALYZE, as JSON.

    python -m bench.analyze POSTGRES_URL [--findings 20000] [--schema bench_analyze]

The bundle is generated into bench/data/, imported into a schema of its own (dropped first) with
the import's own ANALYZE switched off, and the Overview's two reads (the cross-State index and the
finding counts) are timed three times each with the statistics the import left, then again after
tracker.db.refresh_statistics.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import generate as generator
from tracker import db
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress import comparison
from tracker.services.records import editing as records

DATA = Path(__file__).resolve().parent / "data"
SCHEMA = "bench_analyze"


def _overview_seconds(engine) -> float:
    """The median of three reads of what the Overview page shows."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        comparison.cross_state_index(engine, LOCAL_ADMIN)
        records.finding_counts(engine, LOCAL_ADMIN)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--schema", default=SCHEMA, help="the schema made (and dropped) for the run")
    arguments = parser.parse_args(argv)
    schema = arguments.schema

    with create_engine(arguments.url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(arguments.url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = db.get_engine(url.render_as_string(hide_password=False))
    init_database(engine)

    bundle = DATA / f"analyze-{arguments.findings}"
    if not (bundle / "findings.csv").exists():
        generator.generate(arguments.findings, bundle)
    # The import's own ANALYZE is what is measured against: off for this import only.
    earlier = os.environ.get("TRACKER_ANALYZE_AFTER_ROWS")
    os.environ["TRACKER_ANALYZE_AFTER_ROWS"] = str(10**12)
    try:
        started = time.perf_counter()
        result = import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
        imported = time.perf_counter() - started
    finally:
        if earlier is None:
            del os.environ["TRACKER_ANALYZE_AFTER_ROWS"]
        else:
            os.environ["TRACKER_ANALYZE_AFTER_ROWS"] = earlier
    assert result.ok, result.errors[:3]

    before = _overview_seconds(engine)
    started = time.perf_counter()
    db.refresh_statistics(engine)
    analyse = time.perf_counter() - started
    after = _overview_seconds(engine)
    print(
        json.dumps(
            {
                "findings": arguments.findings,
                "import_s": round(imported, 1),
                "overview_before_analyze_s": round(before, 3),
                "analyze_s": round(analyse, 2),
                "overview_after_analyze_s": round(after, 3),
            }
        )
    )
    engine.dispose()
    with create_engine(arguments.url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
