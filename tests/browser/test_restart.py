"""The first visit after a server restart shows the app's own page menu from the first paint.

With a `pages/` folder next to app.py, Streamlit starts a fresh process in its old multipage mode
(a page list made from the file names) until the first `st.navigation` call. That list must never
reach the screen, not even for a moment: a MutationObserver installed before the page's own scripts
records every navigation link text the page ever shows.

Nor may the first visit be a blank page while the fresh process imports the library: the first
thing of ours on the screen is the "Starting ALchemist…" notice, under the app's own tab title,
and later runs never show it again. How soon it comes is a figure: benchmarks/first_paint.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import open_example, rerun, watch_runs

# The names Streamlit's old mode makes from app.py and the files in pages/.
LEGACY_NAMES = {"app", "experiments", "model", "suggestions", "variables"}

# Records, from the first paint on, the text of every link in any navigation the page draws
# (the sidebar's page list, a top menu, a <nav>), and whether Streamlit's sidebar page list
# was ever in the document.
WATCH_NAVIGATION = """
(() => {
    window.__navTexts = [];
    window.__sidebarNavSeen = false;
    const look = () => {
        const links = document.querySelectorAll(
            '[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavItems"] a, nav a, '
            + '[data-testid="stSidebar"] a, [data-testid="stSidebarNavLink"]');
        for (const link of links) {
            const text = (link.innerText || link.textContent || '').trim();
            if (text && !window.__navTexts.includes(text)) window.__navTexts.push(text);
        }
        if (document.querySelector('[data-testid="stSidebarNav"], [data-testid="stSidebarNavItems"]')) {
            window.__sidebarNavSeen = true;
        }
    };
    new MutationObserver(look).observe(document, {childList: true, subtree: true, characterData: true});
    document.addEventListener('DOMContentLoaded', look);
})();
(() => {
    // The first element of ours in the main area (its text and the tab's title then), and how many
    // times the starting notice came onto the screen.
    window.__firstOurs = null;
    window.__noticeShown = 0;
    let noticeThere = false;
    const ours = '[data-testid="stMain"] [data-testid="stAlert"], [data-testid="stMain"] [data-testid="stHeading"], '
        + '[data-testid="stMain"] [data-testid="stMarkdown"], [data-testid="stMain"] [data-testid="stText"]';
    const look = () => {
        const first = document.querySelector(ours);
        if (window.__firstOurs === null && first && (first.innerText || '').trim()) {
            window.__firstOurs = {text: first.innerText.trim(), title: document.title};
        }
        const notice = [...document.querySelectorAll('[data-testid="stAlert"]')]
            .some(a => (a.innerText || '').includes('Starting ALchemist'));
        if (notice && !noticeThere) window.__noticeShown += 1;
        noticeThere = notice;
    };
    new MutationObserver(look).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""


def watched_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    context.add_init_script(WATCH_NAVIGATION)
    page = context.new_page()
    watch_runs(page)
    return page


def seen(page: Page) -> tuple[list[str], bool]:
    """The link texts seen (without their icons), and whether the sidebar page list was ever there."""
    texts, sidebar_nav = page.evaluate("[window.__navTexts, window.__sidebarNavSeen]")
    return [text.split()[-1] for text in texts], sidebar_nav


def assert_no_legacy_list(page: Page) -> None:
    texts, sidebar_nav = seen(page)
    legacy = [t for t in texts if t in LEGACY_NAMES]
    assert not legacy, f"the old page list was shown: {texts}"
    assert not sidebar_nav, f"Streamlit's sidebar page list was in the document: {texts}"


def assert_starting_notice_first(page: Page) -> None:
    """The first thing of ours on the screen was the starting notice, under the app's title, once."""
    first = page.evaluate("window.__firstOurs")
    assert first is not None, "nothing of ours was ever drawn"
    assert "Starting ALchemist" in first["text"], f"the first thing drawn was not the starting notice: {first}"
    assert first["title"] == "ALchemist", f"the tab was not titled yet when the notice came: {first}"
    assert page.evaluate("window.__noticeShown") == 1


def open_fresh(page: Page, url: str) -> None:
    """The first visit after a restart: something of ours comes while the process imports the library."""
    with rerun(page):
        page.goto(url)
        # Awaited, not timed: the notice (or, on a fast machine, the page it was replaced by).
        expect(page.get_by_text("Starting ALchemist…").or_(page.get_by_role("heading").first)).to_be_visible()


def test_first_visit_after_restart_shows_no_legacy_page_list(page: Page, browser: Browser, server: StreamlitServer) -> None:
    open_example(page, server.url)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)

    # The welcome page is the first visit after a restart.
    server.restart()
    first = watched_page(browser)
    open_fresh(first, server.url)
    expect(first.get_by_role("heading", name="ALchemist")).to_be_visible()
    assert_no_legacy_list(first)
    assert_starting_notice_first(first)
    screenshot(first, "restart-welcome")
    first.context.close()

    # A link straight to a page is the first visit after a restart: it shows that page, with the
    # session header and the app's own menu, at once.
    server.restart()
    linked = watched_page(browser)
    open_fresh(linked, f"{server.url}/model?session={session_id}")
    expect(linked.get_by_role("heading", name="Model")).to_be_visible()
    expect(linked.get_by_text(re.compile(r"^ID [0-9a-f]{8}"))).to_be_visible()
    assert_no_legacy_list(linked)
    texts, _ = seen(linked)
    assert {"Variables", "Experiments", "Model", "Suggestions"} <= set(texts), texts
    # The menu works: the next page is one click away.
    with rerun(linked):
        linked.get_by_role("link", name="Suggestions", exact=True).click()
    expect(linked.get_by_role("heading", name="Suggestions")).to_be_visible()
    assert_no_legacy_list(linked)
    assert_starting_notice_first(linked)  # still once: a run after the first one shows no notice
    screenshot(linked, "restart-linked-page")
    linked.context.close()
