"""No Streamlit developer notice reaches a reader: `tracker dashboard` started from a terminal (not
headless) still withholds Streamlit's "install" notice and keeps the reader's menu."""

from typer.testing import CliRunner

from tracker.cli import app


def test_started_from_a_terminal_the_dashboard_withholds_streamlits_notice(monkeypatch):
    from streamlit import config
    from streamlit.web import skills

    calls = []
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    monkeypatch.setattr("subprocess.call", lambda command, **kwargs: calls.append(command) or 0)

    # As from a terminal: a browser window is opened, so Streamlit is not headless.
    result = CliRunner().invoke(app, ["dashboard", "--no-headless"])

    assert result.exit_code == 0, result.output
    options = dict(zip(calls[0][5::2], calls[0][6::2], strict=False))
    assert options["--server.headless"] == "false"
    assert options["--client.toolbarMode"] == "viewer"
    assert options.get("--logger.hideWelcomeMessage") == "true"
    # Streamlit's own rule for its notice, with the options the command passes.
    given = {"server.headless": False, "logger.hideWelcomeMessage": True}
    original = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: given[key] if key in given else original(key))
    assert skills.nudge_suppression_reason() == "welcome_hidden"
