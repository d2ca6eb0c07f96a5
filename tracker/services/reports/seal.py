"""The seal of an issued report: HMAC-SHA256 under a server secret that the database does not hold.

Whoever can write to the database cannot make a keyed seal without the secret, so a report whose
level, bytes or any other column was changed behind the tracker's back no longer matches. The
secret is TRACKER_SEAL_KEY when set (a team server gives every process the same value), else a
file that `tracker init` creates: beside a SQLite database file, or in the user's data folder
for a PostgreSQL database.

Reports issued before keyed seals carry a plain SHA-256 ("unkeyed"); `tracker init` checks each
and seals it again under the key. Once the server has a key an unkeyed seal is refused, since
anyone with write access to the database can make one.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine

from tracker.config import get_settings

KEYED = "hmac-sha256:"
# A report issued with an unkeyed seal, checked and sealed again under the key.
RESEALED = "hmac-sha256-resealed:"
_SEALED_COLUMNS = ("title", "scope", "level", "format", "issued_by", "issued_at", "results", "items", "sha256")


def key_file(engine: Engine) -> Path:
    """Where the secret is kept when TRACKER_SEAL_KEY is not set."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database).resolve()
        return database.with_name(database.name + ".seal-key")
    # One file per database, so two databases on one machine never share what was sealed.
    named = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(user_data_dir("cted-followup-tracker", appauthor=False)) / f"seal-key-{named}"


def server_key(engine: Engine) -> bytes | None:
    """The secret, or None when this server has none yet."""
    setting = get_settings().seal_key
    if setting:
        return setting.encode("utf-8")
    try:
        text = key_file(engine).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    return bytes.fromhex(text)


def ensure_key(engine: Engine) -> bytes:
    """The secret, made (readable by its owner only) when the server has none."""
    key = server_key(engine)
    if key is not None:
        return key
    path = key_file(engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process made it first: use theirs.
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(handle, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def stamp(moment: dt.datetime) -> str:
    """A moment in UTC, to the second, as the seal spells it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(row: dict[str, Any]) -> bytes:
    """Every column but the id and the seal itself, in one canonical spelling, then the file's bytes."""
    fields = {name: stamp(row[name]) if name == "issued_at" else row[name] for name in _SEALED_COLUMNS}
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return text.encode("utf-8") + b"\0" + bytes(row["content"])


def unkeyed(row: dict[str, Any]) -> str:
    """The seal reports were issued with before keyed seals: a plain SHA-256."""
    return hashlib.sha256(_message(row)).hexdigest()


def keyed(row: dict[str, Any], key: bytes, prefix: str = KEYED) -> str:
    """The kind, then the HMAC in unpadded base64url: both kinds fit the 64 characters of the column."""
    digest = hmac.new(key, _message(row), hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def kind(seal: str) -> str:
    """Which kind of seal a report has, in words."""
    if seal.startswith(RESEALED):
        return "keyed (issued unkeyed, sealed again)"
    return "keyed" if seal.startswith(KEYED) else "unkeyed"


def problem(row: dict[str, Any], key: bytes | None) -> str | None:
    """Why the row's seal does not hold, or None when it does."""
    seal = row["seal"] or ""
    if hashlib.sha256(bytes(row["content"])).hexdigest() != row["sha256"]:
        return "changed"
    if seal.startswith((KEYED, RESEALED)):
        if key is None:
            return "no key"
        prefix = RESEALED if seal.startswith(RESEALED) else KEYED
        return None if hmac.compare_digest(keyed(row, key, prefix), seal) else "changed"
    if unkeyed(row) != seal:
        return "changed"
    # Anyone who can write to the database can make a plain SHA-256: once there is a key, it proves nothing.
    return "unkeyed" if key is not None else None


def reseal_unkeyed(connection: Connection, key: bytes) -> int:
    """Seal again under the key the reports issued with an unkeyed seal, each checked first, while the
    database holds no keyed seal yet (the first time it is keyed); returns how many."""
    from sqlalchemy import select, update

    from tracker.models import ReportSnapshot, table_of

    table = table_of(ReportSnapshot)
    rows = connection.execute(select(table)).mappings().all()
    if any((row["seal"] or "").startswith((KEYED, RESEALED)) for row in rows):
        return 0
    resealed = 0
    for mapping in rows:
        row = dict(mapping)
        if not isinstance(row["content"], str) and problem(row, None) is None:
            connection.execute(update(table).where(table.c.id == row["id"]).values(seal=keyed(row, key, RESEALED)))
            resealed += 1
    return resealed
