"""A Word document whose body is written out as it is produced, not held in memory whole.

python-docx keeps every paragraph and table of a document as an lxml tree until it saves, and a
period report's body is hundreds of megabytes of XML: gigabytes as a tree. Here python-docx still
writes everything around the body (styles, headers, footers, settings, properties, pictures); the
body's blocks are serialised one by one into a temporary file, which goes into `word/document.xml`
in place of the empty body python-docx saved. A picture's run is put in at the end, where its
paragraph left room, so the charts can be drawn while the text is written.
"""

import io
import re
import tempfile
import zipfile
from typing import IO

import docx
from docx.opc.oxml import serialize_part_xml
from lxml import etree

_DOCUMENT = "word/document.xml"
_BODY = b"<w:body>"
_PARAGRAPH_END = b"</w:p>"
# A small report's body stays in memory; a larger one spills to a temporary file.
_IN_MEMORY = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
_DECLARATION = re.compile(rb' xmlns:([A-Za-z0-9]+)="([^"]*)"')


class BodyFile:
    """The body's blocks in reading order, serialised as they come; where each picture goes.

    Each block is written without the namespace declarations the document's root already makes,
    so the body reads as python-docx would have saved it.
    """

    def __init__(self, word: docx.document.Document):
        self._declared = {prefix.encode(): uri.encode() for prefix, uri in word.element.nsmap.items() if prefix}
        # Closed by close(), which the renderer calls whatever happens.
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY)  # noqa: SIM115
        # Where a picture's run goes: just before the end of the paragraph kept for it.
        self.slots: list[int] = []

    def _undeclared(self, match: re.Match[bytes]) -> bytes:
        return b"" if self._declared.get(match[1]) == match[2] else match[0]

    def serialised(self, element: etree._Element) -> bytes:
        """The element as XML inside the document's body."""
        return _DECLARATION.sub(self._undeclared, etree.tostring(element, encoding="UTF-8", xml_declaration=False))

    def element(self, element: etree._Element, slot: bool = False) -> None:
        data = self.serialised(element)
        if slot:
            if not data.endswith(_PARAGRAPH_END):  # an empty paragraph serialises as <w:p/>
                data = data[:-2] + b">" + _PARAGRAPH_END
            self.slots.append(self._file.tell() + len(data) - len(_PARAGRAPH_END))
        self._file.write(data)

    def xml(self, data: bytes) -> None:
        """A block already written as XML, with no namespace declarations of its own."""
        self._file.write(data)

    def size(self) -> int:
        return self._file.tell()

    def copy_into(self, target: IO[bytes], runs: list[bytes]) -> None:
        """The body, with each run put into its paragraph in turn."""
        end = self._file.tell()
        self._file.seek(0)
        position = 0
        for offset, run in [*zip(self.slots, runs), (end, b"")]:
            while position < offset:
                chunk = self._file.read(min(_CHUNK, offset - position))
                target.write(chunk)
                position += len(chunk)
            target.write(run)

    def close(self) -> None:
        self._file.close()


def save(word: docx.document.Document, body: BodyFile, runs: list[bytes]) -> bytes:
    """The .docx: what python-docx saves around an empty body, with the body written into it."""
    if len(word.element.body) != 1:
        raise ValueError("the body's blocks are written by BodyFile, not into the document")
    skeleton = io.BytesIO()
    word.save(skeleton)
    document = serialize_part_xml(word.element)
    start = document.index(_BODY) + len(_BODY)
    head, tail = document[:start], document[start:]
    size = len(head) + body.size() + sum(map(len, runs)) + len(tail)
    output = io.BytesIO()
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == _DOCUMENT:
                with target.open(member, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as stream:
                    stream.write(head)
                    body.copy_into(stream, runs)
                    stream.write(tail)
            else:
                target.writestr(member, source.read(info))
    return output.getvalue()
