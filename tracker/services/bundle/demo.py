"""The illustrative Republic of Korea example shipped with the package.

Its findings are invented to show how the tracker works; they are not CTED's findings.
"""

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable

from sqlalchemy import Engine

from tracker.errors import TrackerError
from tracker.services.bundle.importer import ImportResult, import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import Actor

# Every visit summary of the shipped demo says this, so documents made from it can say so too.
ILLUSTRATIVE_MARK = "Illustrative demo data"
# How many differing rows a refusal names before it only counts the rest.
_NAMED_ROWS = 10


def demo_bundle_path() -> Traversable:
    return files("tracker") / "demo"


def load_demo(engine: Engine, actor: Actor, *, force: bool = False) -> ImportResult:
    """Load the example; rows that differ from it (someone's edits) are kept unless `force`."""
    with as_file(demo_bundle_path()) as folder:
        sources = sources_from_paths([folder])
        if not force:
            check = import_bundle(engine, sources, actor, dry_run=True)
            _require_valid(check)
            if check.updated_keys:
                raise TrackerError(
                    f"the database holds {len(check.updated_keys)} row(s) that differ from the shipped example "
                    f"({_named(check.updated_keys)}) and nothing was changed",
                    "keep them, or run 'tracker demo --force' to put the example's values back",
                )
        result = import_bundle(engine, sources, actor)
    _require_valid(result)
    return result


def _named(keys: list[tuple[str, str]]) -> str:
    named = ", ".join(f"{file} {key}" for file, key in keys[:_NAMED_ROWS])
    more = len(keys) - _NAMED_ROWS
    return f"{named} and {more} more" if more > 0 else named


def _require_valid(result: ImportResult) -> None:
    if not result.ok:
        raise RuntimeError("the shipped demo bundle does not validate: " + "; ".join(map(str, result.errors[:5])))
