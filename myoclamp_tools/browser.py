"""Open the HTML report in headless Chromium: console errors, outside requests, a screenshot."""

from __future__ import annotations

import re
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


@dataclass
class GeneCheck:
    """What a reader sees after searching a gene and pointing at a volcano plot."""

    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    first_paint_ms: float = float("nan")
    load_ms: float = float("nan")
    gene_shown: str = ""
    contrasts: dict[str, dict[str, str]] = field(default_factory=dict)
    associations: dict[str, dict[str, str]] = field(default_factory=dict)
    trajectory_points: int = 0
    trajectory_means: int = 0
    hover_gene: str = ""
    tooltip: str = ""
    clicked_gene: str = ""
    first_screen_facts: dict[str, str] = field(default_factory=dict)


def _open(p, html: str | Path, width: int = 1400, height: int = 1000):
    """A fresh headless Chromium (playwright's own temporary profile) and a page recording
    console errors and every request that is not the file itself or a data URI."""
    url = Path(html).resolve().as_uri()
    browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(("data:", url)) else None,
    )
    return browser, page, url, errors, outside


PAINT_JS = """() => {
  const p = performance.getEntriesByType('paint').find(e => e.name === 'first-paint');
  const n = performance.getEntriesByType('navigation')[0];
  return [p ? p.startTime : NaN, n ? n.loadEventEnd : NaN];
}"""


def explore_gene(
    html: str | Path,
    gene: str,
    hover: tuple[str, str],
    shots: Path | None = None,
) -> GeneCheck:
    """Search ``gene`` in the report, read its tables and trajectory, then hover the point of
    ``hover = (contrast, gene)`` on that contrast's volcano plot and click it.

    With ``shots``, ``first_screen.png`` (the first 1400 x 1000 px) and ``gene_view.png`` (the
    gene explorer after the search) are written there.
    """
    from playwright.sync_api import sync_playwright

    out = GeneCheck()
    with sync_playwright() as p:
        browser, page, url, out.console_errors, out.outside_requests = _open(p, html)
        page.goto(url, wait_until="load")
        out.first_paint_ms, out.load_ms = page.evaluate(PAINT_JS)
        out.first_screen_facts = page.eval_on_selector_all(
            "#at-a-glance [data-fact]",
            "els => Object.fromEntries(els.map(e => [e.dataset.fact, e.textContent]))",
        )
        if shots is not None:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / "first_screen.png"))
        page.click("#gene-search")
        page.keyboard.type(gene, delay=20)
        page.wait_for_selector("#gene-suggest li[data-i]")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "g => (document.querySelector('#gene-name') || {}).textContent === g", arg=gene
        )
        out.gene_shown = page.text_content("#gene-name") or ""
        out.contrasts = _rows(page, "#gene-contrasts tbody tr", "contrast")
        out.associations = _rows(page, "#gene-mvalue tbody tr", "assoc")
        out.trajectory_points = page.locator("#gene-trajectory svg circle.pt").count()
        out.trajectory_means = page.locator("#gene-trajectory svg polyline.mean").count()
        if shots is not None:
            page.locator("#gene-explorer").screenshot(path=str(Path(shots) / "gene_view.png"))
        contrast, target = hover
        xy = page.evaluate(
            "([c, g]) => window.myoclamp.pointOf(c, 'volcano', g)", [contrast, target]
        )
        if xy:
            page.mouse.move(xy["x"] + 1, xy["y"] + 1)
            page.wait_for_timeout(150)
            canvas = f"canvas[data-kind=volcano][data-contrast='{contrast}']"
            out.hover_gene = page.get_attribute(canvas, "data-hover") or ""
            out.tooltip = page.text_content("#tooltip") or ""
            page.mouse.click(xy["x"] + 1, xy["y"] + 1)
            page.wait_for_function(
                "g => (document.querySelector('#gene-name') || {}).textContent === g",
                arg=out.hover_gene,
            )
            out.clicked_gene = page.text_content("#gene-name") or ""
        browser.close()
    return out


def _rows(page, selector: str, key: str) -> dict[str, dict[str, str]]:
    """Table rows keyed by their ``data-<key>``: each cell with a ``data-k`` by that name."""
    return page.eval_on_selector_all(
        selector,
        f"""rows => Object.fromEntries(rows.map(r => [r.dataset.{key},
            Object.fromEntries(Array.from(r.querySelectorAll('[data-k]'))
              .map(c => [c.dataset.k, c.textContent]))]))""",
    )


def load_times(html: str | Path, runs: int = 5) -> list[tuple[float, float]]:
    """(first paint, load event end) in ms for ``runs`` fresh loads, each in a new browser."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        for _ in range(runs):
            browser, page, url, _, _ = _open(p, html)
            page.goto(url, wait_until="load")
            times.append(tuple(page.evaluate(PAINT_JS)))
            browser.close()
    return times


def print_pdf(html: str | Path, pdf: str | Path, screenshot: str | Path | None = None) -> int:
    """Print the report to an A4 PDF as Chromium does (print stylesheet); the page count.

    With ``screenshot``, also a PNG of the first page's layout under print media.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page, url, _, _ = _open(p, html, width=794, height=1123)
        page.goto(url, wait_until="load")
        page.emulate_media(media="print")
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        browser.close()
    data = Path(pdf).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def measure(report: str | Path, runs: int = 5, shots: Path | None = None) -> dict:
    """The report's size and its load times in fresh headless Chromium: first paint and the
    load event, each over ``runs`` loads (median and range), plus the size of each part."""
    import statistics

    page = Path(report).read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="gene-data">(.*?)</script>', page, re.S)
    images = sum(len(m) for m in re.findall(r"data:image/png;base64,[^\"']+", page))
    times = load_times(report, runs)
    paint = [t[0] for t in times]
    load = [t[1] for t in times]
    return {
        "report": str(report),
        "bytes": Path(report).stat().st_size,
        "gene_data_bytes": len(data.group(1)) if data else 0,
        "image_bytes": images,
        "first_paint_ms": {
            "median": statistics.median(paint),
            "min": min(paint),
            "max": max(paint),
        },  # fmt: skip
        "load_ms": {"median": statistics.median(load), "min": min(load), "max": max(load)},
        "runs": runs,
    }
