"""Settings read from the TRACKER_* environment."""

import functools
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from platformdirs import user_data_dir
from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tracker.errors import TrackerError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """db/tracker.db of the checkout the package runs from; installed, tracker.db in the user's data folder."""
    if (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "tracker").is_dir():
        folder = PROJECT_ROOT / "db"
    else:
        folder = Path(user_data_dir("cted-followup-tracker", appauthor=False))
    return f"sqlite:///{folder / 'tracker.db'}"


class AuthMode(StrEnum):
    """Who may use the dashboard: anyone on this computer, users with a password, or the organisation's sign-on."""

    off = "off"
    on = "on"
    oidc = "oidc"

    def __bool__(self) -> bool:
        return self is not AuthMode.off


def _auth_mode(value: object) -> object:
    words = {"true": "on", "1": "on", "yes": "on", "false": "off", "0": "off", "no": "off", "": "off"}
    return words.get(str(value).strip().lower(), str(value).strip().lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    auth: Annotated[AuthMode, BeforeValidator(_auth_mode)] = AuthMode.off
    # Every number is a count or a length of time that only makes sense above zero: a session
    # timeout of 0 would sign everyone out at every click.
    session_timeout_minutes: int = Field(30, gt=0)
    # However active, a browser signs in again after this long.
    session_max_hours: int = Field(12, gt=0)
    # Signs the session cookie; unset, a key made at start, so a restart signs everyone out.
    secret_key: str = ""
    # Addresses of the reverse proxies whose X-Forwarded-For names the browser, comma-separated.
    trusted_proxies: str = ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    # The dashboard's public address as the browser sees it, e.g. https://tracker.example.org.
    public_url: str = ""
    # Log lines as JSON objects (json) or words (text); by default JSON when standard error is no terminal.
    log_format: str = ""
    # An import of at least this many rows on PostgreSQL refreshes the planner's statistics.
    analyze_after_rows: int = Field(5000, gt=0)
    # Failed sign-ins to one account from one place before that place waits login_wait_seconds,
    # twice as long after each further failure, at most lockout_minutes.
    max_failed_logins: int = Field(5, gt=0)
    login_wait_seconds: int = Field(30, gt=0)
    lockout_minutes: int = Field(15, gt=0)
    max_upload_mb: int = Field(200, gt=0)
    # The largest bundle, unpacked, that `tracker import` (and a restore) reads from files.
    max_import_mb: int = Field(4096, gt=0)
    # An .xlsx is checked against these before it is read: the reader holds a sheet whole, every
    # cell from A1 to the farthest one, so its unpacked size and its extent bound the memory it takes.
    # 0 refuses every workbook.
    max_workbook_mb: int = Field(512, ge=0)
    max_workbook_rows: int = Field(1_048_576, gt=0)
    max_workbook_columns: int = Field(32, gt=0)
    # Unpacked size over packed size of any part of a workbook: spreadsheets pack 5 to 50 times.
    max_workbook_ratio: int = Field(200, gt=0)
    sqlite_busy_timeout_ms: int = Field(60_000, gt=0)
    # The secret that keys the seal of issued reports. Unset, a file that `tracker init` makes holds
    # it (beside a SQLite database, or in the user's data folder); a team server sets it for every process.
    seal_key: str | None = None
    # The State's time for factual observations on the draft report, and for its response on
    # implementation once the adopted report is transmitted (CTED's visit guidelines).
    observations_days: int = Field(30, gt=0)
    response_months: int = Field(6, gt=0)


class SettingsInvalid(TrackerError):
    """One or more TRACKER_* values that cannot be used; the message has one sentence per value."""

    def __init__(self, sentences: list[str]):
        self.sentences = sentences
        super().__init__(" ".join(sentences).rstrip("."))


def get_settings() -> Settings:
    """The settings of the environment as it is now, so a changed environment takes effect at once.

    Read once per environment: a dashboard page asks a dozen times per run, and reading them takes
    longer than the page's own work. A value that cannot be used is refused with one sentence per bad
    value (SettingsInvalid), at every call.
    """
    return _settings_of(frozenset(os.environ.items()))


@functools.lru_cache(maxsize=8)
def _settings_of(environment: frozenset[tuple[str, str]]) -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsInvalid([_sentence(problem) for problem in error.errors()]) from None


def _sentence(problem) -> str:
    field = str(problem["loc"][0]) if problem["loc"] else "setting"
    name = f"TRACKER_{field.upper()}"
    value = problem.get("input")
    default = Settings.model_fields[field].default if field in Settings.model_fields else None
    example = f", e.g. {default}" if isinstance(default, int) and not isinstance(default, bool) else ""
    if problem["type"] == "greater_than_equal":
        return f"{name}={value} is not allowed: it must be a whole number, 0 or more{example}."
    if problem["type"] == "greater_than":
        return f"{name}={value} is not allowed: it must be a whole number above 0{example}."
    if problem["type"] in ("int_parsing", "int_from_float", "int_type"):
        return f"{name}={value} is not a whole number; write digits only{example}."
    if problem["type"] in ("bool_parsing", "bool_type"):
        return f"{name}={value} is neither on nor off; write on or off."
    return f"{name}={value} cannot be used ({problem['msg']}); correct or unset it."


# Local mode gives whoever connects full access with no login, so it serves this machine only.
# The dashboard's colours (Streamlit's [theme]; .streamlit/config.toml holds the same). Streamlit draws
# a caption, such as the one saying at which confidentiality level a figure was counted, in the text
# colour at 60% opacity: this text colour keeps it at 4.5:1 or more (WCAG AA) on both backgrounds.
DASHBOARD_THEME = {
    "base": "light",
    "textColor": "#111318",
    "backgroundColor": "#ffffff",
    "secondaryBackgroundColor": "#f0f2f6",
    # Chosen options and toggles: Streamlit's own red (#c53948) is 4.47:1 on its pale selection background.
    "primaryColor": "#a3303c",
    # Command names in captions: Streamlit's green on the code background is below 4.5:1.
    "codeTextColor": "#111318",
}

LOOPBACK_ADDRESSES = ("127.0.0.1", "localhost", "::1", "[::1]")


def single_sign_on_problem() -> str | None:
    """What single sign-on lacks to start, as one sentence; None when it has all it needs or is not chosen."""
    settings = get_settings()
    if settings.auth != AuthMode.oidc:
        return None
    needed = {
        "TRACKER_OIDC_ISSUER": settings.oidc_issuer,
        "TRACKER_OIDC_CLIENT_ID": settings.oidc_client_id,
        "TRACKER_OIDC_CLIENT_SECRET": settings.oidc_client_secret,
        "TRACKER_PUBLIC_URL": settings.public_url,
    }
    missing = [name for name, value in needed.items() if not value.strip()]
    if not missing:
        return None
    return (
        f"Single sign-on (TRACKER_AUTH=oidc) needs {', '.join(missing)}; "
        "set them in the server's environment, e.g. /etc/tracker/tracker.env."
    )


def serving_address_problem(address: str | None) -> str | None:
    """Why the dashboard may not listen on this address (None, Streamlit's default, is every address)."""
    if get_settings().auth or (address or "").strip().lower() in LOOPBACK_ADDRESSES:
        return None
    where = address or "every network address"
    return (
        f"Local mode (no login, full access) serves this computer only (127.0.0.1), not {where}; "
        "use --address 127.0.0.1, or set TRACKER_AUTH=on and add users with 'tracker user add' to serve a team."
    )
