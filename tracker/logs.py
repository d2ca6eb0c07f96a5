"""Log lines on standard error, for the dashboard server and the command line.

For a service manager or a log collector (standard error is no terminal, or TRACKER_LOG_FORMAT=json)
each line is one JSON object: `time` (UTC, ISO 8601), `level`, `user`, `action`, `duration` (seconds,
for an action that has ended) and `message`. At a terminal (or TRACKER_LOG_FORMAT=text) a person
reads plain words, and only warnings and errors: a command says what it did in its own sentences.
"""

import contextvars
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from tracker.config import get_settings

log = logging.getLogger("tracker")
_user: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_user", default=None)
_action: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_action", default=None)


def _field(record: logging.LogRecord, name: str, current: contextvars.ContextVar[str | None]) -> str | None:
    return getattr(record, name, None) or current.get()


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "user": _field(record, "user", _user),
            "action": _field(record, "action", _action),
            "duration": getattr(record, "duration", None),
            "message": record.getMessage(),
        }
        # Where a sign-in came from, for whoever watches for guessing.
        source = getattr(record, "source", None)
        if source:
            line["source"] = source
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class PlainWords(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        who = " ".join(
            f"{name}={value}"
            for name, value in (
                ("user", _field(record, "user", _user)),
                ("action", _field(record, "action", _action)),
                ("duration", getattr(record, "duration", None)),
            )
            if value is not None
        )
        text = f"{record.levelname.capitalize()}: {record.getMessage()}" + (f" ({who})" if who else "")
        return text + ("\n" + self.formatException(record.exc_info) if record.exc_info else "")


def json_wanted(stream: IO[str] | None = None) -> bool:
    """JSON lines unless a person is at the terminal; TRACKER_LOG_FORMAT=json or text decides otherwise."""
    chosen = get_settings().log_format.strip().lower()
    if chosen in ("json", "text"):
        return chosen == "json"
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def configure(stream: IO[str] | None = None) -> bool:
    """Send the tracker's log records to standard error in the chosen format; True when JSON."""
    stream = stream or sys.stderr
    as_json = json_wanted(stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines() if as_json else PlainWords())
    log.handlers = [handler]
    log.setLevel(logging.INFO if as_json else logging.WARNING)
    log.propagate = False
    global in_json
    in_json = as_json
    return as_json


# Whether configure() chose JSON lines: a command's own sentences then go out as log lines too.
in_json = False


@contextmanager
def action(name: str, user: str | None, finished: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """One line when the action ends, with who did it and how long it took; records inside name them too.

    `finished`: exceptions that end the action as intended (a page that stops or runs again).
    """
    user_token, action_token = _user.set(user), _action.set(name)
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "done"
    except BaseException as ended:
        # A command that exits on purpose with code 0 has done what it was asked.
        if getattr(ended, "exit_code", None) == 0 or isinstance(ended, finished):
            outcome = "done"
        raise
    finally:
        # A failure has its own line already (the error the user was shown): this one only times it.
        log.info(f"{name} {outcome}", extra={"duration": round(time.perf_counter() - started, 3)})
        _user.reset(user_token)
        _action.reset(action_token)


def message(text: str, *, error: bool = False) -> None:
    """A sentence the command says to its user, as one JSON log line."""
    log.log(logging.ERROR if error else logging.INFO, text)
