"""The sidebar names the database in words, never by its URL or with its credentials."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT
from tracker.db import database_name

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:////var/lib/tracker/tracker.db", "SQLite database tracker.db"),
        ("sqlite://", "SQLite database in memory"),
        ("postgresql+psycopg://cted:s3cret@db.example.org/tracker", "PostgreSQL database tracker on db.example.org"),
        (
            "postgresql+psycopg://cted:s3cret@db.example.org:6543/tracker",
            "PostgreSQL database tracker on db.example.org:6543",
        ),
        ("not a url", "the configured database"),
    ],
)
def test_a_database_is_named_without_its_url_or_credentials(url, name):
    assert database_name(url) == name


def test_the_sidebar_names_the_database_and_shows_no_url(database_url):
    app = AppTest.from_file(DASHBOARD, default_timeout=APP_TIMEOUT).run()

    shown = [element.value for element in [*app.sidebar.caption, *app.sidebar.text, *app.sidebar.markdown]]
    assert f"Database: {database_name(database_url)}" in shown
    assert not any("://" in text or "@" in text for text in shown)
