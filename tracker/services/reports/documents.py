"""Reports to the Committee: render a document model as DOCX, HTML or Markdown, write it whole, issue it."""

import os
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import Engine

from tracker.errors import TrackerError
from tracker.services.people.access import Actor
from tracker.services.reports import chart_browser, snapshots
from tracker.services.reports.builder import (
    PERIOD_SORTS,
    build_period_report,
    build_state_report,
    followup_periods,
    parse_period,
    period_sort,
    period_title,
)
from tracker.services.reports.estimate import ReportEstimate, estimate_period_report, latest_period
from tracker.services.reports.files import FORMATS, MEDIA_TYPES, check_destination, report_format
from tracker.services.reports.model import Document, Progress, Section, Table
from tracker.services.reports.render_docx import render_docx
from tracker.services.reports.render_html import render_html
from tracker.services.reports.render_markdown import render_markdown

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "PERIOD_SORTS",
    "Document",
    "ReportEstimate",
    "Section",
    "Table",
    "build_period_report",
    "build_state_report",
    "check_destination",
    "estimate_period_report",
    "followup_periods",
    "issue",
    "keep_chart_browser",
    "latest_period",
    "parse_period",
    "period_sort",
    "period_title",
    "render",
    "render_built",
    "report_format",
    "write_file",
    "write_report",
]


def render(document: Document, fmt: str, charts: bool = True, progress: Progress | None = None) -> bytes:
    """The report as file content; `charts=False` leaves the charts out (no browser needed)."""
    match report_format(fmt):
        case "docx":
            return render_docx(document, charts=charts, progress=progress)
        case "html":
            return render_html(document, charts=charts).encode("utf-8")
        case _:
            return render_markdown(document).encode("utf-8")


def render_built(
    build: Callable[[], Document], fmt: str, tabs: int | None = None, progress: Progress | None = None
) -> tuple[Document, bytes]:
    """The document `build()` returns, and its content; for a Word report the chart browser starts
    first, while the document is read and built (`tabs`: how many charts it draws at once)."""
    with chart_browser.image_server(tabs) if report_format(fmt) == "docx" else nullcontext():
        document = build()
        return document, render(document, fmt, progress=progress)


def keep_chart_browser() -> None:
    """Have the browser that draws a Word report's charts running (started now if need be) for the
    next few minutes, so that a report asked for meanwhile does not wait for its start."""
    chart_browser.keep_open()


def write_report(
    document: Document, fmt: str, out: Path, charts: bool = True, progress: Progress | None = None
) -> Path:
    """Render and write the report whole: a temporary file beside `out` is renamed onto it."""
    out = Path(out)
    check_destination(out)
    return write_file(render(document, fmt, charts=charts, progress=progress), out)


def write_file(content: bytes, out: Path) -> Path:
    """Write rendered report bytes whole: a temporary file beside `out` is renamed onto it."""
    out = Path(out)
    check_destination(out)
    # Opened like any new file, so it gets the usual permissions rather than a temporary file's 0600.
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex}.part")
    try:
        with partial.open("xb") as handle:
            handle.write(content)
        os.replace(partial, out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise TrackerError(f"cannot write {out} ({error.strerror})", "check the path and the free disk space") from None
    return out


def issue(engine: Engine, actor: Actor, document: Document, fmt: str, content: bytes, title: str) -> int:
    """Keep `content`, the rendered `document`, as a report issued to the Committee; returns its id."""
    return snapshots.issue(
        engine,
        actor,
        title=title,
        scope=document.scope_key,
        level=document.level,
        fmt=report_format(fmt),
        content=content,
        reported=document.reported or snapshots.Reported(),
    )
