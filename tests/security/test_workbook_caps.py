"""Hostile workbooks: a far cell, a lying dimension, a zip bomb. Each is refused in one sentence
before the reader parses it, by `tracker import` and by the service the dashboard's upload calls,
in a child process that may not use more than 1 GB.
"""

import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import TrackerError
from tracker.services.bundle.sources import sources_from_uploads

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MEMORY_LIMIT = 1 << 30
HEADER = (
    '<row r="1">'
    + "".join(
        f'<c r="{column}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for column, name in zip("ABCDE", ("finding_id", "visit_id", "area", "kind", "title"))
    )
    + "</row>"
)
runner = CliRunner()

_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
    "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="findings" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>',
}


def workbook(
    path: Path, rows: str, dimension: str = "", cell_text_mb: int = 0, sheet_xml: bytes = b"", part: str = "sheet1.xml"
) -> Path:
    """A one-sheet workbook (`findings`) holding the header row and these rows; with `cell_text_mb`,
    a second row whose one cell holds that many megabytes of one letter, packed at the highest level.
    """
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, text in _PARTS.items():
            book.writestr(name, text.replace("sheet1.xml", part))
        if sheet_xml:
            book.writestr(f"xl/worksheets/{part}", sheet_xml)
            return path
        with book.open(f"xl/worksheets/{part}", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{declared}<sheetData>{HEADER}{rows}'.encode())
            if cell_text_mb:
                sheet.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
                letters = b"a" * (1 << 20)
                for _ in range(cell_text_mb):
                    sheet.write(letters)
                sheet.write(b"</t></is></c></row>")
            sheet.write(b"</sheetData></worksheet>")
    return path


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(*args: str) -> subprocess.CompletedProcess:
    """`python -c ...` in a child process whose address space may not pass 1 GB."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, preexec_fn=_limited, timeout=300, check=False
    )


def tracker_import(path: Path) -> subprocess.CompletedProcess:
    return run_limited("-c", "from tracker.cli import main; main()", "import", str(path))


UPLOAD = """
import sys
from pathlib import Path
from tracker.errors import TrackerError
from tracker.services.bundle.sources import sources_from_uploads
path = Path(sys.argv[1])
try:
    sources_from_uploads([(path.name, path.read_bytes())])
except TrackerError as error:
    print(error)
    sys.exit(1)
print("read")
"""


def upload(path: Path) -> subprocess.CompletedProcess:
    return run_limited("-c", UPLOAD, str(path))


def columns_refusal(origin: str, reaches: str) -> str:
    return (
        f"sheet findings of {origin} {reaches}, past the 32 columns a sheet may have; remove what lies "
        "beyond column AF and save it again, or raise TRACKER_MAX_WORKBOOK_COLUMNS if the sheet really is that wide."
    )


FAR_CELLS = {
    # The reader would ask for 17 billion slots, and abort.
    "XFD1048576": '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    # 702 columns by 200,000 rows: past 5 GB.
    "ZZ200000": '<row r="200000"><c r="ZZ200000"><v>1</v></c></row>',
}


@pytest.mark.parametrize("cell", list(FAR_CELLS))
def test_a_far_cell_is_refused_by_the_import_before_it_is_read(engine, tmp_path, cell):
    path = workbook(tmp_path / "far.xlsx", FAR_CELLS[cell])
    assert path.stat().st_size < 2000

    done = tracker_import(path)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: {columns_refusal(path, f'has a cell at {cell}')}\n"


def test_cells_that_give_no_reference_are_placed_as_a_reader_places_them(engine, tmp_path):
    # 702 cells without a reference in row 200,000 land in A200000 to ZZ200000.
    path = workbook(tmp_path / "counted.xlsx", '<row r="200000">' + "<c><v>1</v></c>" * 702 + "</row>")

    done = tracker_import(path)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: {columns_refusal(path, 'has a cell at AG200000')}\n"


def test_a_declared_dimension_past_the_caps_is_refused(engine, tmp_path):
    path = workbook(tmp_path / "declared.xlsx", "", dimension="A1:XFD1048576")

    done = tracker_import(path)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: {columns_refusal(path, 'declares cells up to XFD1048576')}\n"


def test_the_dashboard_upload_refuses_a_far_cell_before_it_is_read(tmp_path):
    path = workbook(tmp_path / "far.xlsx", FAR_CELLS["XFD1048576"])

    done = upload(path)

    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == columns_refusal("far.xlsx", "has a cell at XFD1048576") + "\n"


def _sheet(rows: str, prefix: str = "") -> str:
    tag = f"{prefix}:" if prefix else ""
    declared = f' xmlns:{prefix}="{MAIN}"' if prefix else f' xmlns="{MAIN}"'
    return f'<?xml version="1.0"?><{tag}worksheet{declared}><{tag}sheetData>{rows}</{tag}sheetData></{tag}worksheet>'


DISGUISED = {
    "a namespace prefix and a character reference": (
        _sheet('<x:row r="5"><x:c r="&#90;Z5"><x:v>1</x:v></x:c></x:row>', "x").encode(),
        "sheet1.xml",
        "ZZ5",
    ),
    "the reference after another attribute": (
        _sheet('<row r="2"><c s="0" r="ZZ2"><v>1</v></c></row>').encode(),
        "sheet1.xml",
        "ZZ2",
    ),
    "UTF-16": (
        ('<?xml version="1.0" encoding="UTF-16"?>' + _sheet('<row r="2"><c r="ZZ2"><v>1</v></c></row>')[21:]).encode(
            "utf-16"
        ),
        "sheet1.xml",
        "ZZ2",
    ),
    "a sheet part not named .xml": (_sheet('<row r="2"><c r="ZZ2"><v>1</v></c></row>').encode(), "sheet1.bin", "ZZ2"),
}


@pytest.mark.parametrize("disguise", list(DISGUISED))
def test_a_far_cell_is_found_however_the_sheet_is_written(tmp_path, disguise):
    sheet_xml, part, cell = DISGUISED[disguise]
    path = workbook(tmp_path / "odd.xlsx", "", sheet_xml=sheet_xml, part=part)

    with pytest.raises(TrackerError) as refused:
        sources_from_uploads([("odd.xlsx", path.read_bytes())])

    assert str(refused.value) == columns_refusal("odd.xlsx", f"has a cell at {cell}")


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """797 kB holding one cell of 800 MB."""
    return workbook(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", "", cell_text_mb=800)


def test_a_zip_bomb_is_refused_by_its_unpacked_size(engine, bomb):
    assert bomb.stat().st_size < 1 << 20

    done = tracker_import(bomb)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"Error: {bomb} unpacks to 800 MB, more than the 512 MB a workbook may hold; split it into smaller "
        "workbooks, or raise TRACKER_MAX_WORKBOOK_MB if it really is that large.\n"
    )


def test_the_dashboard_upload_refuses_a_zip_bomb_by_its_unpacked_size(bomb):
    done = upload(bomb)

    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == (
        "bomb.xlsx unpacks to 800 MB, more than the 200 MB a workbook may hold; split it into smaller "
        "workbooks, or raise TRACKER_MAX_UPLOAD_MB if it really is that large.\n"
    )


def test_a_part_packed_tighter_than_any_spreadsheet_is_refused_within_the_size_cap(engine, tmp_path):
    path = workbook(tmp_path / "tight.xlsx", "", cell_text_mb=100)

    done = tracker_import(path)

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(
        f"Error: {path} is not an ordinary workbook: its part xl/worksheets/sheet1.xml unpacks to "
    )
    assert done.stderr.endswith(
        " times its packed size, more than the 200 a spreadsheet comes near; save it from the spreadsheet "
        "as .xlsx and import it again, or raise TRACKER_MAX_WORKBOOK_RATIO if it really is such a file.\n"
    )


def test_the_caps_are_settings(engine, tmp_path, monkeypatch):
    path = workbook(tmp_path / "wide.xlsx", '<row r="7"><c r="F7"><v>1</v></c></row>')
    monkeypatch.setenv("TRACKER_MAX_WORKBOOK_COLUMNS", "5")
    monkeypatch.setenv("TRACKER_MAX_WORKBOOK_ROWS", "6")
    assert runner.invoke(app, ["import", str(path)]).stderr == (
        f"Error: sheet findings of {path} has a cell at F7, past the 5 columns a sheet may have; remove what lies "
        "beyond column E and save it again, or raise TRACKER_MAX_WORKBOOK_COLUMNS if the sheet really is that wide.\n"
    )
    monkeypatch.setenv("TRACKER_MAX_WORKBOOK_COLUMNS", "6")
    assert runner.invoke(app, ["import", str(path)]).stderr == (
        f"Error: sheet findings of {path} has a cell at F7, past the 6 rows a sheet may have; remove what lies "
        "below row 6 and save it again, or raise TRACKER_MAX_WORKBOOK_ROWS if the sheet really is that long.\n"
    )
    monkeypatch.setenv("TRACKER_MAX_WORKBOOK_ROWS", "7")
    monkeypatch.setenv("TRACKER_MAX_WORKBOOK_MB", "0")
    assert runner.invoke(app, ["import", str(path)]).stderr == (
        f"Error: {path} unpacks to 0 MB, more than the 0 MB a workbook may hold; split it into smaller "
        "workbooks, or raise TRACKER_MAX_WORKBOOK_MB if it really is that large.\n"
    )


def test_a_matrix_saved_again_by_a_spreadsheet_is_held_to_the_column_cap(demo_engine, tmp_path, monkeypatch):
    path = tmp_path / "kor.xlsx"
    assert runner.invoke(app, ["matrix", "KOR", "--out", str(path)]).exit_code == 0
    book = openpyxl.load_workbook(path)
    book.save(path)
    monkeypatch.setenv("TRACKER_MAX_WORKBOOK_COLUMNS", "22")

    done = runner.invoke(app, ["import", str(path)])

    assert (done.exit_code, done.stdout) == (1, "")
    assert done.stderr == (
        f"Error: sheet Summary of {path} declares cells up to W16, past the 22 columns a sheet may have; remove what "
        "lies beyond column V and save it again, or raise TRACKER_MAX_WORKBOOK_COLUMNS if the sheet really is that wide.\n"
    )


def test_an_ordinary_workbook_still_imports_under_the_memory_limit(engine, tmp_path):
    path = workbook(tmp_path / "empty.xlsx", "")

    done = tracker_import(path)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "findings.csv: 0 created, 0 updated, 0 unchanged\n"


def test_a_damaged_workbook_is_one_sentence(tmp_path):
    with pytest.raises(TrackerError) as refused:
        sources_from_uploads([("broken.xlsx", b"PK\x03\x04 not a zip")])
    assert str(refused.value) == (
        "broken.xlsx is not a readable Excel workbook; save it from the spreadsheet as .xlsx and import it again."
    )


def test_a_part_that_unpacks_past_its_declared_size_is_one_sentence(tmp_path):
    path = workbook(tmp_path / "lying.xlsx", "", cell_text_mb=5)
    # The directory says the sheet holds its first 200 bytes, with their checksum.
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as book:
        head = book.open(name.decode()).read(200)
        local = book.getinfo(name.decode()).header_offset
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02" + data[local + 4 : local + 16])
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 16, zlib.crc32(head))
    struct.pack_into("<I", data, local + 14, zlib.crc32(head))
    struct.pack_into("<I", data, central + 24, len(head))
    struct.pack_into("<I", data, local + 22, len(head))

    with pytest.raises(TrackerError) as refused:
        sources_from_uploads([("lying.xlsx", bytes(data))])

    assert str(refused.value) == (
        "lying.xlsx is not a readable Excel workbook; save it from the spreadsheet as .xlsx and import it again."
    )
