"""Settings read from the TRACKER_* environment."""

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    """db/tracker.db of the checkout the package runs from; installed, tracker.db in the user's data folder."""
    if (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "tracker").is_dir():
        folder = PROJECT_ROOT / "db"
    else:
        folder = Path(user_data_dir("cted-followup-tracker", appauthor=False))
    return f"sqlite:///{folder / 'tracker.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    auth: bool = False
    session_timeout_minutes: int = 30
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    max_upload_mb: int = 200
    # The largest bundle, unpacked, that `tracker import` (and a restore) reads from files.
    max_import_mb: int = 4096
    sqlite_busy_timeout_ms: int = 60_000
    # The State's time for factual observations on the draft report, and for its response on
    # implementation once the adopted report is transmitted (CTED's visit guidelines).
    observations_days: int = 30
    response_months: int = 6


def get_settings() -> Settings:
    """Read afresh each call, so a changed environment takes effect at once."""
    return Settings()


# Local mode gives whoever connects full access with no login, so it serves this machine only.
LOOPBACK_ADDRESSES = ("127.0.0.1", "localhost", "::1", "[::1]")


def serving_address_problem(address: str | None) -> str | None:
    """Why the dashboard may not listen on this address (None, Streamlit's default, is every address)."""
    if get_settings().auth or (address or "").strip().lower() in LOOPBACK_ADDRESSES:
        return None
    where = address or "every network address"
    return (
        f"Local mode (no login, full access) serves this computer only (127.0.0.1), not {where}; "
        "use --address 127.0.0.1, or set TRACKER_AUTH=on and add users with 'tracker user add' to serve a team."
    )
