"""The README says what the tool is for, gives the two commands that set it up, and leads into the
documentation; what it once listed (every command and option) is held by tests/test_docs.py."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_commands_and_the_makefile_has_them():
    assert "\n    make demo\n" in README and "\n    make test\n" in README
    targets = re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert {"demo", "test"} <= set(targets)


def test_readme_links_into_every_page_of_the_documentation():
    links = set(re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README))
    assert all((ROOT / link).exists() for link in links), links
    pages = {path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").rglob("*.md")}
    assert pages <= links, f"the README does not lead to {sorted(pages - links)}"
