"""Open the HTML report in headless Chromium: console errors, outside requests, a screenshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Flags for a closed network: no background connections, no GPU, no sandbox (root in a container).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PageCheck:
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    title: str = ""
    sections: list[str] = field(default_factory=list)
    sorted_ok: bool = False


def check_report(html: str | Path, screenshot: str | Path | None = None) -> PageCheck:
    """Load the report, record console errors and any request that is not the file or a data URI."""
    from playwright.sync_api import sync_playwright

    url = Path(html).resolve().as_uri()
    out = PageCheck()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on(
            "console", lambda m: out.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: out.console_errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                out.outside_requests.append(r.url) if not r.url.startswith(("data:", url)) else None
            ),
        )
        page.goto(url, wait_until="load")
        out.title = page.title()
        out.sections = page.eval_on_selector_all(
            "main section h2", "els => els.map(e => e.textContent)"
        )
        out.sorted_ok = _sorts(page)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return out


def _sorts(page) -> bool:
    """Clicking a numeric column header of the first sortable table orders its rows ascending."""
    table = page.query_selector("table.sortable")
    if table is None:
        return False
    headers = table.query_selector_all("thead th")
    for i, th in enumerate(headers):
        values = table.eval_on_selector_all(
            "tbody tr", f"rows => rows.map(r => r.cells[{i}].dataset.v)"
        )
        numbers = [float(v) for v in values if _is_number(v)]
        if len(numbers) < 2 or len(set(numbers)) < 2:
            continue
        th.click()
        after = table.eval_on_selector_all(
            "tbody tr", f"rows => rows.map(r => r.cells[{i}].dataset.v)"
        )
        ordered = [float(v) for v in after if _is_number(v)]
        return ordered == sorted(ordered)
    return False


def _is_number(text: str | None) -> bool:
    try:
        float(text or "x")
    except ValueError:
        return False
    return True
