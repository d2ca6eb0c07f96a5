"""bench/RESULTS.md is written by section: each script replaces its own and leaves the others."""

import re
from pathlib import Path


def write_section(out: Path, heading: str, section: str) -> None:
    """Put `section` (starting with `heading`) in place of that heading's section in `out`, or at its end."""
    text = out.read_text(encoding="utf-8") if out.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if not pattern.search(text):
        text = text.rstrip("\n") + "\n\n" + heading + "\n"
    text = pattern.sub(lambda _: section + "\n", text)
    out.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
