"""The `tracker` command: parse, call a service, print. Data goes to stdout, messages to stderr.

Its commands by group, each registered on the one app as its module is imported, in the order
`tracker --help` lists them:
1. data: init, demo, import, withdraw, restore, delete, export, matrix;
2. reading: dashboard, compare, due;
3. people: user ..., audit;
4. operations: backup;
5. reports: report, reports ...;
6. links: links ...;
7. reference: reference ...;
8. dossier: dossier, and the area map under reference.
What they share (the app, printing, failing in one sentence) is in common.
"""

from tracker.cli.common import app

# Imported in the order `tracker --help` lists the commands: each module registers its own on import.
# isort: off
from tracker.cli import data, reading, people, operations, reports, links, reference, dossier  # noqa: F401
# isort: on

app.add_typer(reference.reference_app, name="reference")

__all__ = ["app", "main"]


def main() -> None:
    app()
