"""The captions that carry a figure's confidentiality level are readable: 4.5:1 or more (WCAG AA)."""

import tomllib

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.config import DASHBOARD_THEME, PROJECT_ROOT

# Streamlit 1.67 draws st.caption in the text colour at its "secondary" opacity, 0.6.
CAPTION_OPACITY = 0.6


def _rgb(colour: str) -> tuple[float, float, float]:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


def _luminance(rgb) -> float:
    """WCAG 2 relative luminance."""

    def linear(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground, background) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def caption_colour(text: str, background: str) -> tuple[float, ...]:
    return tuple(
        CAPTION_OPACITY * t + (1 - CAPTION_OPACITY) * b for t, b in zip(_rgb(text), _rgb(background), strict=True)
    )


def test_streamlits_default_caption_colour_is_below_aa():
    # Streamlit's own light theme: text #31333f on white.
    assert contrast(caption_colour("#31333f", "#ffffff"), _rgb("#ffffff")) < 4.5


@pytest.mark.parametrize("background", ["backgroundColor", "secondaryBackgroundColor"])
def test_a_caption_has_at_least_4_5_to_1_contrast_on_the_page_and_the_sidebar(background):
    colour = DASHBOARD_THEME[background]

    assert contrast(caption_colour(DASHBOARD_THEME["textColor"], colour), _rgb(colour)) >= 4.5


def test_both_ways_of_starting_the_dashboard_use_the_theme(monkeypatch):
    settings = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    calls = []
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    monkeypatch.setattr("subprocess.call", lambda command, **kwargs: calls.append(command) or 0)

    result = CliRunner().invoke(app, ["dashboard"])

    assert result.exit_code == 0, result.output
    options = dict(zip(calls[0][5::2], calls[0][6::2], strict=False))
    assert settings["theme"] == DASHBOARD_THEME
    assert {name: options[f"--theme.{name}"] for name in DASHBOARD_THEME} == DASHBOARD_THEME


# Streamlit 1.67 draws a chosen option (segmented control, pills) in the primary colour on a 10% tint of it.
SELECTION_TINT = 0.1


def test_streamlits_default_primary_colour_on_its_selection_is_below_aa():
    red = "#c53948"
    tint = tuple(SELECTION_TINT * c + (1 - SELECTION_TINT) * 255 for c in _rgb(red))
    assert contrast(_rgb(red), tint) < 4.5


def test_a_chosen_option_has_at_least_4_5_to_1_contrast_on_its_tint():
    primary = DASHBOARD_THEME["primaryColor"]
    tint = tuple(SELECTION_TINT * c + (1 - SELECTION_TINT) * 255 for c in _rgb(primary))

    assert contrast(_rgb(primary), tint) >= 4.5
