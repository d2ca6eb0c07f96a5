"""The headless browser that draws a report's charts as PNG.

Kept apart from the charts themselves so that the command line can start it before it loads
pandas and Plotly: starting the browser is the slowest step of a short Word report.
"""

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import kaleido
from choreographer.errors import ChannelClosedError

# A Plotly figure or its dict.
Figurish = Any

# As many tabs as cores draw at once; more would only share the same cores.
_TABS = max(1, min(2, os.cpu_count() or 1))


class _Browser(kaleido.Kaleido):  # type: ignore[misc]  # Kaleido ships no types
    """Kaleido's headless browser, reusing each tab as it is after a chart.

    Kaleido reloads a tab's page (and its plotly.js) after every figure, most of a chart's time;
    the page's Plotly.toImage already draws each figure in a graph div of its own and purges it.
    """

    async def _return_kaleido_tab(self, tab: Any) -> None:
        await self.tabs_ready.put(tab)


class ImageServer:
    """A headless browser driven by an event loop in a thread of its own: a chart handed in from
    any thread is drawn on the first free tab, several at once."""

    def __init__(self, tabs: int):
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_unless_closed)
        self._drawing: set[asyncio.Task[Any]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="report-browser", daemon=True)
        self._thread.start()
        # The browser starts now, while the caller goes on with its work.
        self._browser = asyncio.run_coroutine_threadsafe(self._open(tabs), self._loop)

    @staticmethod
    async def _open(tabs: int) -> _Browser:
        # No MathJax: the charts hold no formulas, and its script would be fetched from a CDN by every tab.
        browser = _Browser(n=tabs, mathjax=False)
        await browser.open()
        return browser

    def draw(self, figure: Figurish, opts: dict[str, Any]) -> Future[bytes]:
        return asyncio.run_coroutine_threadsafe(self._draw(figure, opts), self._loop)

    async def _draw(self, figure: Figurish, opts: dict[str, Any]) -> bytes:
        task = asyncio.current_task()
        assert task is not None
        self._drawing.add(task)
        try:
            browser = await asyncio.wrap_future(self._browser)
            image: bytes = await browser.calc_fig(figure, opts=opts)
            return image
        finally:
            self._drawing.discard(task)

    async def _close(self) -> None:
        # Charts still being drawn (a document abandoned half-way) end before the browser does.
        drawing = list(self._drawing)
        for task in drawing:
            task.cancel()
        await asyncio.gather(*drawing, return_exceptions=True)
        browser = await asyncio.wrap_future(self._browser)
        await browser.close()

    def close(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=60)
        except Exception:  # a browser that never started, or one already gone, has nothing to close
            pass
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()


def _unless_closed(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Report a stray task's failure, unless it is a chart cancelled mid-drawing whose tab closed under it."""
    if not isinstance(context.get("exception"), ChannelClosedError):
        loop.default_exception_handler(context)


_server_lock = threading.Lock()
_server: ImageServer | None = None
_server_users = 0


@contextmanager
def image_server(tabs: int | None = None) -> Iterator[None]:
    """Keep one headless browser for every PNG drawn inside, started at once; concurrent users share it.

    `tabs` is how many charts it draws at once, by default one per core: a browser with one tab,
    enough for a document with a single chart, starts sooner.
    """
    _take(tabs)
    try:
        yield
    finally:
        _give_back()


def _take(tabs: int | None) -> None:
    global _server, _server_users
    with _server_lock:
        if _server is None:
            # The browser driver logs a traceback for a garbled message it then ignores; keep it off
            # the command line and the server log. A failure that matters raises instead.
            logging.getLogger("choreographer").setLevel(logging.CRITICAL)
            _server = ImageServer(max(1, min(tabs or _TABS, _TABS)))
        _server_users += 1


def _give_back() -> None:
    global _server, _server_users
    with _server_lock:
        _server_users -= 1
        if _server_users == 0 and _server is not None:
            server, _server = _server, None
            server.close()


# The hold of `keep_open()`: its timer, which gives the browser back once nobody has asked for a while.
_hold_lock = threading.Lock()
_held: threading.Timer | None = None


def keep_open(seconds: float = 300.0) -> None:
    """Start the browser now, in the background, if none runs, and keep it open until `seconds` after
    the last call: a long-running process (the dashboard) calls it when a Word report may be asked
    for, so that the report does not wait for the browser's start."""
    global _held
    release = threading.Timer(seconds, _release_hold)
    release.daemon = True
    with _hold_lock:
        if _held is None:
            _take(None)
        else:
            _held.cancel()
        _held = release
        release.start()


def _release_hold() -> None:
    global _held
    with _hold_lock:
        # A call of keep_open() since this timer fired renewed the hold.
        if _held is not threading.current_thread():
            return
        _held = None
        _give_back()


@atexit.register
def _close_at_exit() -> None:
    """A browser still kept open ends with the process rather than outliving it."""
    global _held
    with _hold_lock:
        if _held is not None:
            _held.cancel()
            _held = None
            _give_back()


def running() -> ImageServer | None:
    """The browser of the `image_server()` now open, if any."""
    return _server
