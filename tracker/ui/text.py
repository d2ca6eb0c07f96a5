"""Text drawn on a page as plain words: what a user typed or a file held never becomes Markdown."""

import re

import streamlit as st

from tracker.errors import TrackerError

# Marks that make Markdown or HTML anywhere in a line; "_" only where it can open or close emphasis.
_MARKDOWN = re.compile(r"([\\`*\[\]|<>~$!&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# Marks that make a heading, list or quote only at the start of a line.
_LINE_START = re.compile(r"(?m)^(\s*\d*)([-+=#.)])")


def plain(text) -> str:
    """User text made inert inside st.markdown: no links, images, emphasis, HTML or formulas."""
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", str(text)))


_MESSAGES = {
    "error": (st.error, ":material/error:"),
    "warning": (st.warning, ":material/warning:"),
    "info": (st.info, ":material/info:"),
    "success": (st.success, ":material/check_circle:"),
}


def message(text: object, kind: str = "error", icon: str | None = None) -> None:
    """A message drawn as plain text, so the file names, ids and cells it quotes stay words.

    Every message that can quote user input goes through here: Streamlit draws the others'
    text as Markdown, where `![x](http://...)` would make the reader's browser fetch a URL.
    """
    draw, default_icon = _MESSAGES[kind]
    if isinstance(text, TrackerError):
        text = text.on_page()
    draw(plain(text), icon=icon or default_icon)
