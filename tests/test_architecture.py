"""The shape of tracker/: which module may import which, read from the source.

Every import counts, those inside functions too: a circle hidden in a function is still a circle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"

# Capability packages of tracker/services, lowest first; a package imports only those below it
# (or beside it, on the same rank).
SERVICE_RANKS = {
    "people": 0,
    "presentation": 0,
    "progress": 1,
    "bundle": 2,
    "records": 3,
    "continuity": 4,
    "after_visit": 5,
    # Preparing the next visit reads every capability below it; the reports render its dossier.
    "dossier": 6,
    "reports": 7,
    "operations": 8,
}

# What the services stand on (they may import it; it imports no service) and what stands on them.
FOUNDATION = ("tracker", "tracker.config", "tracker.db", "tracker.enums", "tracker.errors", "tracker.logs")
FOUNDATION_PACKAGES = ("tracker.models", "tracker.taxonomy", "tracker.migrations")
SURFACES = (
    "tracker.app",
    "tracker.dashboard",
    "tracker.serve",
    "tracker.web",
    "tracker.__main__",
)
SURFACE_PACKAGES = ("tracker.ui", "tracker.cli")

LIMIT_LINES = 700


def module_files(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by its dotted name; a package by its __init__."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an import reaches: the longest known prefix of the dotted name."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The tracker modules `module` imports anywhere in its source, at the top or inside a function."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # `from package import module` reaches the module; `from module import name` the module.
            names = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name == "tracker" or name.startswith("tracker."):
                target = _resolve(name, modules)
                if target is not None and target != module:
                    found.add(target)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_files(root)
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def layer(module: str) -> tuple[int, int]:
    """(layer, rank): 0 the foundation, 1 the services by capability rank, 2 the surfaces."""
    if module in FOUNDATION or _within(module, FOUNDATION_PACKAGES):
        return 0, 0
    if module.startswith("tracker.services."):
        capability = module.split(".")[2]
        if capability not in SERVICE_RANKS:
            raise AssertionError(f"tracker/services/{capability} has no rank in SERVICE_RANKS: give it one")
        return 1, SERVICE_RANKS[capability]
    if module == "tracker.services":
        return 1, 0
    if module in SURFACES or _within(module, SURFACE_PACKAGES):
        return 2, 0
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: name it there")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if layer(target) > layer(module)
    )


def test_no_import_circle():
    assert circles(import_graph()) == []


def test_no_upward_import():
    assert upward_imports(import_graph()) == []


def test_every_service_package_is_ranked_and_says_what_it_owns():
    packages = sorted(p for p in (PACKAGE / "services").iterdir() if (p / "__init__.py").exists())
    assert {p.name for p in packages} <= set(SERVICE_RANKS)
    for package in packages:
        assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), package


def test_the_graph_counts_imports_inside_functions(tmp_path):
    package = tmp_path / "tracker"
    (package / "services" / "bundle").mkdir(parents=True)
    (package / "services" / "reports").mkdir(parents=True)
    for folder in (package, package / "services", package / "services" / "bundle", package / "services" / "reports"):
        (folder / "__init__.py").write_text("")
    (package / "services" / "bundle" / "files.py").write_text(
        "def sources():\n    from tracker.services.bundle import workbook\n"
    )
    (package / "services" / "bundle" / "workbook.py").write_text("from .files import sources\n")
    (package / "services" / "reports" / "model.py").write_text("import tracker.services.bundle.files\n")
    (package / "services" / "bundle" / "exporter.py").write_text(
        "def export():\n    from tracker.services.reports.model import Chart\n"
    )
    graph = import_graph(package)
    assert circles(graph) == [["tracker.services.bundle.files", "tracker.services.bundle.workbook"]]
    assert upward_imports(graph) == [
        "tracker.services.bundle.exporter imports tracker.services.reports.model",
    ]


@pytest.mark.parametrize("module", sorted(module_files()))
def test_no_module_is_too_long_to_read(module):
    path = module_files()[module]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= LIMIT_LINES, f"{path.relative_to(PACKAGE.parent)} has {lines} lines: split it"
