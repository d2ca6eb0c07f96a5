"""Engine, sessions and schema migrations for SQLite and PostgreSQL alike."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from tracker.config import get_settings
from tracker.errors import TrackerError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    return get_settings().database_url


_BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL"}


def database_name(url: str) -> str:
    """The database in words for a reader, never with its credentials: `SQLite database tracker.db`,
    `PostgreSQL database tracker on db.example.org`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the configured database"
    backend = parsed.get_backend_name()
    kind = _BACKEND_NAMES.get(backend, backend)
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return "SQLite database in memory"
        return f"SQLite database {Path(parsed.database).name}"
    named = f"{kind} database {parsed.database}" if parsed.database else f"{kind} database"
    if parsed.host:
        named += f" on {parsed.host}" + (f":{parsed.port}" if parsed.port else "")
    return named


@cache
def _engine_for(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise TrackerError(
            f"TRACKER_DATABASE_URL '{url}' is not a database URL",
            "use sqlite:///path/to/tracker.db or postgresql+psycopg://user@host/db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours to issue.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={get_settings().sqlite_busy_timeout_ms}")
    cursor.close()


def _sqlite_begin_immediate(connection: Connection) -> None:
    # Taking the write lock at BEGIN makes a waiting writer queue on busy_timeout instead of
    # failing with "database is locked" when it upgrades a read lock mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get("write") else "BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """One engine per database URL and process."""
    return _engine_for(url or database_url())


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def refresh_statistics(engine: Engine) -> bool:
    """ANALYZE the tracker's tables on PostgreSQL, so the planner knows their new sizes; True if run.

    After a large import the planner would otherwise keep the plans of nearly empty tables (a
    20,000-finding import made the Overview take seconds instead of milliseconds) until autovacuum
    came round. SQLite plans without such statistics here.
    """
    if is_sqlite(engine):
        return False
    from sqlmodel import SQLModel

    import tracker.models  # noqa: F401  (registers the tables)

    # Outside a transaction block, each table's statistics are kept as soon as it is analysed.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        present = set(inspect(connection).get_table_names())
        tables = [table.name for table in SQLModel.metadata.sorted_tables if table.name in present]
        connection.exec_driver_sql("ANALYZE " + ", ".join(f'"{name}"' for name in tables))
    return True


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection inside one write transaction: committed on success, rolled back on error."""
    with engine.connect() as connection:
        connection.info["write"] = True
        try:
            with connection.begin():
                yield connection
        finally:
            connection.info.pop("write", None)


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        yield connection


def alembic_config(connection: Connection | None = None) -> "Config":
    # Alembic is loaded only to migrate, not by every command that opens the database.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema or bring it up to `revision`."""
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    except OperationalError as error:
        raise TrackerError(
            f"cannot open the database at {engine.url.render_as_string(hide_password=True)} ({first_line(error)})",
            "check TRACKER_DATABASE_URL and that the database server is running",
        ) from None


def first_line(error: Exception) -> str:
    """The driver's own message, which for connection failures spans several lines."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


def require_schema(engine: Engine) -> None:
    """Fail with a hint when the database has not been initialised."""
    try:
        has_tables = inspect(engine).has_table("visit")
    except OperationalError as error:
        raise TrackerError(
            f"cannot open the database ({first_line(error)})",
            "check TRACKER_DATABASE_URL and that the database server is running",
        ) from None
    if not has_tables:
        raise TrackerError("the database has no tracker schema yet", "run 'tracker init' first")
