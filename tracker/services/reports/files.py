"""What a report is written as and where: checked by the command line before it loads the reports
themselves, so that it can start a Word report's chart browser first."""

import os
from pathlib import Path

from tracker.errors import TrackerError

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "md": "text/markdown",
}
FORMATS = tuple(MEDIA_TYPES)
_SUFFIXES = {".docx": "docx", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def report_format(name: str | None, out: Path | None = None) -> str:
    """The format asked for, or the one the output file's suffix names."""
    if name is None and out is not None:
        name = _SUFFIXES.get(out.suffix.lower())
        if name is None:
            raise TrackerError(f"cannot tell the report format from '{out.name}'", "add --format docx, html or md")
    fmt = (name or "").strip().lower()
    if fmt not in FORMATS:
        raise TrackerError(f"'{name}' is not a report format", "use docx, html or md")
    return fmt


def check_destination(out: Path) -> None:
    """Refuse at once an --out that cannot be written, before any work is done."""
    if out.is_dir():
        raise TrackerError(f"{out} is a folder", "give --out a file name such as report.docx")
    if not out.parent.is_dir():
        raise TrackerError(f"the folder {out.parent} does not exist", "create it or write the report elsewhere")
    if not os.access(out.parent, os.W_OK):
        raise TrackerError(f"cannot write to the folder {out.parent}", "write the report to a folder you may write to")
