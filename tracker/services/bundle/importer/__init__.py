"""Import of a CSV bundle (docs/data-formats.md): validate everything, then upsert by key in one transaction.

Rows stream through in batches: each batch is validated, compared with what the database holds
and written with one executemany per table. Any error stops the writing, validation goes on so
that every error is listed, and the transaction is rolled back: nothing is half-written.

Its parts:
1. run: the import as a whole (`import_bundle`, and `import_rows` for rows a form holds), one
   `ImportRun` per pass over the sources, the spool that waits for SQLite's write lock;
2. reading: a source's header and cells read and each row validated by its file's model;
3. rules: what a row must keep beyond its own cells (the rows it names exist and fit), and
   dependents: stored rows re-checked once a row they refer to is updated;
4. writer: the upsert by key, with its audit trail;
with state (what the checks know, the import's audit event, the run) and result (errors, changes,
counts, and those in words) beside them.
"""

from tracker.services.bundle.importer.result import (
    MAX_LISTED_CHANGES,
    MAX_LISTED_ERRORS,
    Change,
    FileCounts,
    ImportResult,
    RowError,
    describe,
    describe_changes,
    grouped_errors,
    result_as_dict,
)
from tracker.services.bundle.importer.run import import_bundle, import_rows
from tracker.services.bundle.importer.state import BATCH_SIZE, Progress

__all__ = [
    "BATCH_SIZE",
    "MAX_LISTED_CHANGES",
    "MAX_LISTED_ERRORS",
    "Change",
    "FileCounts",
    "ImportResult",
    "Progress",
    "RowError",
    "describe",
    "describe_changes",
    "grouped_errors",
    "import_bundle",
    "import_rows",
    "result_as_dict",
]
