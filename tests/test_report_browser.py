"""The report in a real headless browser (Debian's ``chromium``): it renders, every chart is
visible in a screenshot, and the console stays silent, also for a report whose ids and
attribute values carry script payloads (an injected script would be blocked by the page's
Content-Security-Policy, and the block is a console message).

Skipped when ``chromium`` is not installed; ``make test`` installs it when run as root.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from matchsvc.report import COLOURS
from matchsvc.report._svg import FACET_COLOURS
from tests.fakes import FakeEncoder
from tests.test_report import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no headless browser: install Debian's chromium (apt-get install chromium); "
        "`make test` installs it when run as root",
    ),
]
Image = pytest.importorskip("PIL.Image", reason="Pillow reads the screenshot")

WIDTH, HEIGHT = 1200, 9000


def chromium(page: Path, tmp_path: Path, *action: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``page`` with ``action`` (``--screenshot=...``,
    ``--dump-dom``), console messages logged to stderr, no network, a throwaway profile."""
    assert CHROMIUM is not None
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr", "--v=0", f"--window-size={WIDTH},{HEIGHT}", *action,
        page.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console(stderr: str) -> list[str]:
    """The page's console messages (Chromium logs them as ``...:CONSOLE:<line>] "..."``)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("browser"))
    with TestClient(create_app(settings, encoder=FakeEncoder())) as test_client:
        yield test_client


def test_the_console_check_sees_an_error_and_a_blocked_script(tmp_path: Path) -> None:
    # the control: without this, a silent console could mean a deaf check
    page = tmp_path / "control.html"
    page.write_text(
        "<!DOCTYPE html><html><body><p>x</p><script>console.error('boom-42')</script></body></html>"
    )
    assert any("boom-42" in line for line in console(chromium(page, tmp_path, "--dump-dom").stderr))
    blocked = tmp_path / "blocked.html"
    blocked.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body><script>1</script></body></html>"
    )
    messages = console(chromium(blocked, tmp_path, "--dump-dom").stderr)
    assert any("Content Security Policy" in line for line in messages)


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5))  # type: ignore[return-value]


@pytest.mark.parametrize("evil", [False, True], ids=["plain", "script-payloads"])
def test_the_report_renders_every_chart_without_a_console_message(
    client: TestClient, tmp_path: Path, evil: bool
) -> None:
    html = build_report(client, evil=evil)
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "report.png"
    done = chromium(page, tmp_path, f"--screenshot={shot}")
    assert console(done.stderr) == []
    if evil:  # the parsed page holds the payloads as text, never as elements
        dom = chromium(page, tmp_path, "--dump-dom")
        assert console(dom.stderr) == []
        assert dom.stdout.count('<svg class="chart"') == html.count('<svg class="chart"') >= 6
        assert "<script" not in dom.stdout and "<img" not in dom.stdout
        assert "onerror=alert(1)&gt;" in dom.stdout
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    rows = {}
    for name, colour in [
        ("share", COLOURS["share"]),
        ("flagged share", COLOURS["flagged"]),
        ("scores", COLOURS["scores"]),
        ("load", COLOURS["load"]),
        ("utilisation", COLOURS["utilisation"]),
        ("explanation", FACET_COLOURS[0]),
    ]:
        mask = (pixels == _hex(colour)).all(axis=2)
        assert mask.sum() >= 300, f"{name}: {mask.sum()} pixels of {colour}"
        rows[name] = float(np.flatnonzero(mask.any(axis=1)).mean())
    # the charts appear in the page's order: groups, scores, loads, explanations
    assert rows["share"] < rows["scores"] < rows["load"] < rows["utilisation"]
    assert rows["utilisation"] < rows["explanation"]
    assert (pixels != 255).any(axis=2).mean() > 0.05  # not a blank page
