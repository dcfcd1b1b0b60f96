"""The first visit after a server restart shows the app's own page menu from the first paint.

With a `pages/` folder next to app.py, Streamlit starts a fresh process in its old multipage mode
(a page list made from the file names) until the first `st.navigation` call. That list must never
reach the screen, not even for a moment: a MutationObserver installed before the page's own scripts
records every navigation link text the page ever shows.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import StreamlitServer, screenshot
from tests.browser.support import open_app, open_example, rerun, watch_runs

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


def test_first_visit_after_restart_shows_no_legacy_page_list(page: Page, browser: Browser, server: StreamlitServer) -> None:
    open_example(page, server.url)
    session_id = re.search(r"session=([0-9a-f]{32})", page.url).group(1)

    # The welcome page is the first visit after a restart.
    server.restart()
    first = watched_page(browser)
    open_app(first, server.url)
    expect(first.get_by_role("heading", name="ALchemist")).to_be_visible()
    assert_no_legacy_list(first)
    screenshot(first, "restart-welcome")
    first.context.close()

    # A link straight to a page is the first visit after a restart: it shows that page, with the
    # session header and the app's own menu, at once.
    server.restart()
    linked = watched_page(browser)
    open_app(linked, f"{server.url}/model?session={session_id}")
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
    screenshot(linked, "restart-linked-page")
    linked.context.close()
