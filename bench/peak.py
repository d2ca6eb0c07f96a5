"""Import one bundle into one database and report the process's memory, as JSON on stdout.

    python -m bench.peak BUNDLE_DIR DATABASE_URL

Run in a process of its own so that its peak is the import's alone.
"""

import json
import sys
import time
from pathlib import Path

from tracker.db import get_engine
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN


def _status_megabytes(field: str) -> float:
    """In decimal megabytes, as the targets are: /proc gives kibibytes."""
    # VmHWM is this process's own peak; getrusage's ru_maxrss would carry over the parent's across exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"/proc/self/status has no {field}")


def main() -> None:
    bundle, url = Path(sys.argv[1]), sys.argv[2]
    engine = get_engine(url)
    before = _status_megabytes("VmRSS")
    started = time.perf_counter()
    result = import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    seconds = time.perf_counter() - started
    json.dump(
        {
            "ok": result.ok,
            "errors": [str(e) for e in result.errors[:5]],
            "created": sum(c.created for c in result.counts.values()),
            "seconds": seconds,
            "before_mb": before,
            "peak_mb": _status_megabytes("VmHWM"),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
