"""The summary's "Order today" section as a buyer opens it on a laptop: rendered by headless
Chromium at 1,024 px, the order-quantity column is on the first screen, inside the window, and
the order table needs no sideways scrolling. A screenshot is kept at
test-artifacts/order_today_1024.png for a human to look at."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import PROJECT_ROOT
from tests.reporting.test_reporting import _order_sheet, _report
from tests.test_viz_browser import _png_size, _run_chromium, chromium  # noqa: F401 - fixture

WINDOW = (1024, 768)
SCREENSHOT = PROJECT_ROOT / "test-artifacts" / "order_today_1024.png"
# Measures, once the page is laid out, where the order-quantity header and the order table are.
_MEASURE = """<script>
window.addEventListener("load", () => {
  const table = document.querySelector("table.sheet");
  const header = [...table.querySelectorAll("th")].find(
    (th) => th.textContent.trim().startsWith("order qty"));
  const box = (b) => [b.left, b.right, b.top, b.bottom].map(Math.round).join(",");
  document.body.setAttribute("data-qty", box(header.getBoundingClientRect()));
  document.body.setAttribute("data-table", box(table.getBoundingClientRect()));
  document.body.setAttribute("data-width",
    [window.innerWidth, document.documentElement.scrollWidth].join(","));
});
</script>"""


def _measured(dom: str, name: str) -> list[int]:
    match = re.search(rf'data-{name}="([-\d,]+)"', dom)
    assert match, f"the page did not record data-{name}: {dom[:300]}"
    return [int(v) for v in match.group(1).split(",")]


def test_order_today_shows_the_order_quantity_at_1024_px(chromium: str, tmp_path: Path):  # noqa: F811
    page = _report(_order_sheet()).replace("</body>", _MEASURE + "</body>")
    path = tmp_path / "summary_report.html"
    path.write_text(page, encoding="utf-8")
    url = path.as_uri()

    dom = _run_chromium(chromium, tmp_path / "profile-dom", WINDOW, "--dump-dom", url).stdout
    left, right, top, bottom = _measured(dom, "qty")
    inner, scroll = _measured(dom, "width")
    table_left, table_right, _, _ = _measured(dom, "table")
    assert inner == WINDOW[0]
    # The column is inside the window, on the first screen, and the page does not scroll
    # sideways: the whole order table fits.
    assert 0 <= left < right <= WINDOW[0], (left, right)
    assert 0 < top < bottom <= WINDOW[1], (top, bottom)
    assert scroll <= WINDOW[0] and table_right <= WINDOW[0], (scroll, table_right)
    assert table_left >= 0

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    _run_chromium(chromium, tmp_path / "profile-shot", WINDOW, f"--screenshot={SCREENSHOT}", url)
    assert _png_size(SCREENSHOT) == WINDOW
    assert SCREENSHOT.stat().st_size > 40_000, SCREENSHOT.stat().st_size  # drawn, not blank
