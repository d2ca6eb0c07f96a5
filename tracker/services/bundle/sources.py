"""Where bundle files come from: folders, .zip files, .csv files, workbooks and uploads, each a Source."""

import io
import zipfile
import zlib
from functools import partial
from pathlib import Path
from typing import IO, Any

from tracker.config import get_settings
from tracker.errors import TrackerError
from tracker.services.bundle.files import FILE_NAMES, SPECS, Source


def sources_from_paths(paths: list[Path]) -> list[Source]:
    """Every bundle file under the given folders, .zip files and .csv files."""
    found: list[Source] = []
    for path in paths:
        if not path.exists():
            raise TrackerError(f"{path} does not exist", "give a bundle folder, a .zip file or .csv files")
        if path.is_dir():
            csvs = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
            if not csvs:
                raise TrackerError(f"{path} holds no CSV files", f"a bundle holds any of {FILE_NAMES}")
            found.extend(_file_source(p) for p in csvs)
        elif path.suffix.lower() == ".zip":
            found.extend(_zip_sources(path))
        elif path.suffix.lower() == ".xlsx":
            found.extend(_workbook_sources(path, str(path), get_settings().max_import_mb, "TRACKER_MAX_IMPORT_MB"))
        else:
            found.append(_file_source(path))
    limit = get_settings().max_import_mb
    if sum(source.size for source in found) > limit * 1024 * 1024:
        raise TrackerError(
            f"the bundle is larger than {limit} MB unpacked",
            "split it into smaller bundles, or raise TRACKER_MAX_IMPORT_MB if it is really that large",
        )
    return _checked(found)


def sources_from_uploads(uploads: list[tuple[str, bytes]]) -> list[Source]:
    """Files handed over in memory (the dashboard's uploads): CSV files or .zip bundles.

    Their total size, unpacked, may not pass TRACKER_MAX_UPLOAD_MB.
    """
    limit = get_settings().max_upload_mb
    _check_upload_size(sum(len(data) for _, data in uploads), limit)
    found: list[Source] = []
    for name, data in uploads:
        if name.lower().endswith(".zip"):
            found.extend(_zip_sources(io.BytesIO(data), name))
        elif name.lower().endswith(".xlsx"):
            found.extend(_workbook_sources(data, name, limit, "TRACKER_MAX_UPLOAD_MB"))
        else:
            found.append(Source(Path(name).name, name, len(data), partial(io.BytesIO, data)))
    # A zip member's size is the one its header declares; reading stops there (zipfile checks).
    _check_upload_size(sum(source.size for source in found), limit)
    return _checked(found)


def _workbook_sources(workbook: Path | bytes, label: str, limit_mb: int, setting: str) -> list[Source]:
    # The workbook reader brings pandas along, so a CSV bundle is read without it.
    from tracker.services.bundle.workbook import workbook_sources
    from tracker.services.bundle.workbook_checks import SizeCap

    return workbook_sources(workbook, label, SizeCap(limit_mb, setting))


def _check_upload_size(size: int, limit_mb: int) -> None:
    if size > limit_mb * 1024 * 1024:
        raise TrackerError(
            f"the upload is larger than the {limit_mb} MB limit",
            "import it with 'tracker import' on the server, or split it into smaller bundles",
        )


def _file_source(path: Path) -> Source:
    return Source(path.name, str(path), path.stat().st_size, lambda: path.open("rb"))


# Compression methods Python's zipfile reads; others (e.g. 9, Deflate64) fail only once read.
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _damaged(label: str) -> TrackerError:
    return TrackerError(f"{Path(label).name} is damaged or encrypted", "zip the CSV files again")


def _zip_sources(archive: Any, label: str | None = None) -> list[Source]:
    label = label or str(archive)
    try:
        bundle = zipfile.ZipFile(archive)
        members = [m for m in bundle.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _damaged(label) from None
    if not members:
        raise TrackerError(f"{label} holds no CSV files", f"a bundle holds any of {FILE_NAMES}")
    if any(m.flag_bits & 0x1 or m.compress_type not in _READABLE_METHODS for m in members):
        raise _damaged(label)
    return [
        Source(
            Path(m.filename).name,
            f"{label}:{m.filename}",
            m.file_size,
            partial(_open_member, bundle, m, label),
        )
        for m in members
    ]


def _open_member(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, label: str) -> io.RawIOBase:
    return _MemberReader(bundle.open(member), label)


class _MemberReader(io.RawIOBase):
    """A zip member whose damage (a bad CRC, a cut-off stream) reads as one sentence, not a traceback."""

    def __init__(self, raw: IO[bytes], label: str):
        self.raw, self.label = raw, label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
            raise _damaged(self.label) from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _checked(found: list[Source]) -> list[Source]:
    seen: dict[str, str] = {}
    for source in found:
        if source.name not in SPECS:
            raise TrackerError(f"{source.origin} is not a bundle file", f"name each file one of {FILE_NAMES}")
        if source.name in seen:
            raise TrackerError(
                f"{source.name} is given twice ({seen[source.name]} and {source.origin})",
                "import one bundle at a time",
            )
        seen[source.name] = source.origin
    order = list(SPECS)
    return sorted(found, key=lambda s: order.index(s.name))
