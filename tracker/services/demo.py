"""The illustrative Republic of Korea example shipped with the package.

Its findings are invented to show how the tracker works; they are not CTED's findings.
"""

from importlib.resources import as_file, files

from sqlalchemy import Engine

from tracker.services.access import Actor
from tracker.services.bundle_format import sources_from_paths
from tracker.services.importer import ImportResult, import_bundle

# Every visit summary of the shipped demo says this, so documents made from it can say so too.
ILLUSTRATIVE_MARK = "Illustrative demo data"


def demo_bundle_path():
    return files("tracker") / "demo"


def load_demo(engine: Engine, actor: Actor) -> ImportResult:
    with as_file(demo_bundle_path()) as folder:
        result = import_bundle(engine, sources_from_paths([folder]), actor)
    if not result.ok:
        raise RuntimeError("the shipped demo bundle does not validate: " + "; ".join(map(str, result.errors[:5])))
    return result
