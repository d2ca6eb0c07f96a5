"""The analyst guide's screenshots: docs/screenshots.py takes every one of them from the demo, so a
page the guide shows cannot change without this test running the script against it."""

import importlib.util
import struct
from pathlib import Path

import pytest

from tests.browser.test_dashboard_browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
    ),
]


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_the_screenshot_script_takes_every_picture_of_the_guide(tmp_path):
    spec = importlib.util.spec_from_file_location("docs_screenshots", ROOT / "docs" / "screenshots.py")
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)

    written = screenshots.main(tmp_path)

    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{name}.png" for name in screenshots.SHOTS)
    for path in written:
        width, height = _png_size(path)
        assert width >= screenshots.WIDTH and height >= screenshots.HEIGHT, (path.name, width, height)
