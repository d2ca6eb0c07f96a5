import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT
from tracker.ui.common import plain

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"


def test_user_text_cannot_become_markdown_links_images_or_emphasis():
    assert plain("![x](http://host/i.png) **b** $x$ <img src=x>") == (
        r"\!\[x\](http://host/i.png) \*\*b\*\* \$x\$ \<img src=x\>"
    )


def test_plain_words_are_left_as_they_are():
    assert plain("Natalia Gherman") == "Natalia Gherman"
    assert (
        plain("findings.csv:3: visit_id: KOR-2023 is not a visit.")
        == "findings.csv:3: visit_id: KOR-2023 is not a visit."
    )


def test_a_line_cannot_become_a_heading_list_or_quote():
    assert plain("# big\n- item\n1. first\n> quote") == "\\# big\n\\- item\n1\\. first\n\\> quote"


HOSTILE = "bundle ![p](http://evil.example/p.png) <img src=http://evil.example/q.png> **x**.zip"


def test_every_kind_of_message_is_drawn_as_plain_text():
    def page():
        from tracker.ui import common

        for kind in ("error", "warning", "info", "success"):
            common.message(f"{kind}: bundle ![p](http://evil.example/p.png).zip")

    app = AppTest.from_function(page, default_timeout=APP_TIMEOUT).run()

    drawn = [m.value for m in (*app.error, *app.warning, *app.info, *app.success)]
    assert drawn == [
        plain(f"{kind}: bundle ![p](http://evil.example/p.png).zip") for kind in ("error", "warning", "info", "success")
    ]


def test_a_message_quoting_a_file_name_on_the_dashboard_stays_plain_text(demo_engine, monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    app = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT)
    app.session_state["flash"] = f"Imported {HOSTILE}"

    app.run()

    assert not app.exception
    assert [m.value for m in app.success] == [plain(f"Imported {HOSTILE}")]
    assert not re.search(r"(?<!\\)[!\[\]<>*]", app.success[0].value), "every Markdown or HTML mark is escaped"
