"""The documentation cannot drift: the generated reference pages are what the code gives, every
command, option and bundle column is in them, the worked example is what the demo gives, the site
builds without a broken link, and the only images are the screenshots docs/screenshots.py takes."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _script("hooks")
COMMANDS = list(hooks.documented_commands(hooks.command_tree()))
IDS = [" ".join(path) or "tracker" for path, _ in COMMANDS]


def _section(page: str, heading: str) -> str:
    """The text under `## heading` up to the next heading of that level, or "" when there is none."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def _options(command) -> list[str]:
    return [
        option
        for param in command.params
        if param.param_type_name == "option"
        for option in [*param.opts, *param.secondary_opts]
        if option.startswith("--") and option != "--help"
    ]


@pytest.mark.parametrize("name", list(hooks.PAGES))
def test_the_generated_page_is_what_the_code_gives(name):
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == hooks.PAGES[name](), f"docs/{name} is out of date: run `python docs/hooks.py` and commit it"


def test_every_command_is_found():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"init", "demo", "import", "compare", "report", "dashboard", "user add", "links suggest"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_the_cli_reference_names_the_command_and_its_options(path, command):
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    section = _section(page, " ".join(["tracker", *path]))
    assert section, f"docs/reference/cli.md has no section for 'tracker {' '.join(path)}'"
    missing = [option for option in _options(command) if f"`{option}" not in section and f" {option}" not in section]
    assert not missing, f"docs/reference/cli.md does not say what {missing} of 'tracker {' '.join(path)}' does"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_speaks_to_the_user(path, command):
    """Help names no internal document: the reader of `--help` has only the documentation."""
    from typer.testing import CliRunner

    from tracker.cli import app

    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "DESIGN" not in result.output and "§" not in result.output


def test_the_bundle_reference_names_every_file_and_column():
    from tracker.services.bundle.files import SPECS

    page = (DOCS / "reference" / "bundle.md").read_text(encoding="utf-8")
    for spec in SPECS.values():
        section = _section(page, spec.name)
        assert section, f"docs/reference/bundle.md has no section for {spec.name}"
        rows = set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE))
        assert rows == set(spec.columns), f"{spec.name}: the page lists {sorted(rows)}, the bundle {spec.columns}"
        for column in spec.required:
            assert re.search(rf"^\| `{column}` \| yes \|", section, re.MULTILINE), f"{spec.name}: {column} is required"


def test_every_page_links_only_to_pages_and_images_that_exist():
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}, which is missing"


def test_every_screenshot_is_shown_and_every_image_is_a_screenshot():
    shots = {f"images/{name}.png" for name in _script("screenshots").SHOTS}
    shown = {target for page in DOCS.glob("*.md") for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text())}
    assert shown == shots, "the guide shows every picture docs/screenshots.py takes, and only those"
    assert {path.relative_to(DOCS).as_posix() for path in (DOCS / "images").iterdir()} == shots


def test_the_repository_holds_no_other_image():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "*.png", "*.jpg", "*.jpeg", "*.gif", "*.svg", "*.webp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(path.startswith("docs/images/") for path in listed), listed


def test_db_is_in_the_repository_without_its_databases():
    assert "not committed" in (ROOT / "db" / "README.md").read_text(encoding="utf-8")
    assert "db/*.db" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_site_builds_with_no_broken_link(tmp_path):
    """`mkdocs build --strict`, as CI runs it, on a copy so the build never writes into the tree."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "committee-figures" / "index.html").exists()


def _example(page: str, command: str) -> list[str]:
    """The indented lines that follow `$ command` in a page, without their indent."""
    lines = page.splitlines()
    start = lines.index(f"    $ {command}") + 1
    shown = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        shown.append(line[4:])
    return [line.rstrip() for line in shown]


def test_the_two_visit_example_is_what_compare_prints_on_the_demo(demo_engine):
    from typer.testing import CliRunner

    from tracker.cli import app

    page = (DOCS / "committee-figures.md").read_text(encoding="utf-8")
    shown = [line for line in _example(page, "tracker compare KOR --level committee") if line]

    result = CliRunner().invoke(app, ["compare", "KOR", "--level", "committee"])

    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.stdout.splitlines() if line]
    assert printed[: len(shown)] == shown


def test_the_report_sentences_the_page_quotes_are_the_demo_report(demo_engine, tmp_path):
    from typer.testing import CliRunner

    from tracker.cli import app

    page = (DOCS / "committee-figures.md").read_text(encoding="utf-8")
    quoted = re.search(r"\*\*In the report's words\.\*\*(.*?)\n## ", page, re.DOTALL).group(1)
    sentences = re.findall(r'"([^"]+)"', " ".join(quoted.split()))
    out = tmp_path / "korea.md"

    result = CliRunner().invoke(app, ["report", "--state", "KOR", "--out", str(out), "--level", "committee"])

    assert result.exit_code == 0, result.output
    report = " ".join(out.read_text(encoding="utf-8").split())
    assert len(sentences) >= 4
    missing = [sentence for sentence in sentences if sentence not in report]
    assert not missing, missing


def test_the_code_cites_its_own_documentation_not_an_outside_document():
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "tracker").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "DESIGN" in line or re.search(r"§\s*\d", line)
    ]
    assert not cited, f"cite a page of docs/ instead: {cited}"
    named = {
        page
        for path in (ROOT / "tracker").rglob("*.py")
        for page in re.findall(r"docs/([\w/-]+\.md)", path.read_text(encoding="utf-8"))
    }
    assert named and all((DOCS / page).exists() for page in named), named
