"""Two replicas of the app on one bucket: a session made on one opens on the other by its link (issue 13).

Two `streamlit run` processes on different ports, each with its own (unused) cache folder, share
one bucket of moto's S3 server on loopback, as two replicas behind a load balancer share MinIO or
S3. Their secrets (store URL, endpoint and credentials, and the shared signing keys) come from
one secrets file, given to both through STREAMLIT_SECRETS_FILES. The replicas reach the server
through a proxy the test can cut, as a network or a storage service fails.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, StreamlitServer, screenshot
from tests.browser.support import go_to, open_app, open_example, rerun, watch_runs
from tests.store.s3_server import CuttableProxy, S3Server


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[CuttableProxy]:
    s3 = S3Server(tmp_path / "s3.log").start()
    cut = CuttableProxy(s3.port).start()
    cut.server = s3
    yield cut
    cut.cut()
    s3.stop()


@pytest.fixture
def replicas(request, tmp_path: Path, monkeypatch, proxy) -> Iterator[tuple[StreamlitServer, StreamlitServer]]:
    ARTIFACTS.mkdir(exist_ok=True)
    s3 = proxy.server
    # cooldown 0: after the storage failed, the replicas try it again at the very next action
    options = {**s3.options(proxy.endpoint), "cooldown": 0}
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'store_url = "s3://{s3.new_bucket()}/alchemist"\n'
        "[store_options]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in options.items())
        + '[session_keys]\n"2026-11" = "the replicas shared signing key"\n'
    )
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))
    servers = [StreamlitServer(tmp_path / f"cache-{n}", tmp_path / f"streamlit-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1]
    finally:
        for n, server in enumerate(servers, 1):
            died = server.died()
            server.stop()
            request.node.add_report_section("teardown", f"streamlit log of replica {n}", server.log_tail(120))
            assert not died, f"replica {n} exited during the test"


def tab(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watch_runs(page)
    return page


def rename(page: Page, name: str) -> None:
    field = page.get_by_role("textbox", name="Session name")
    field.fill(name)
    with rerun(page):
        field.press("Enter")
    expect(page.get_by_text(f"Last change: Renamed the session to '{name}'.")).to_be_visible()


def test_a_session_made_on_one_replica_opens_on_the_other(browser: Browser, replicas) -> None:
    first, second = replicas
    on_first, on_second = tab(browser), tab(browser)

    open_example(on_first, first.url)
    session_id = re.search(r"session=([0-9a-f]{32})", on_first.url).group(1)
    name = f"Catalyst on replicas {uuid.uuid4().hex[:6]}"
    rename(on_first, name)
    assert not [p for p in Path(first.cache_dir).rglob("*") if session_id in p.name], "stored in the bucket, not on disk"

    # The link, opened on the other replica: the same session, with its change.
    open_app(on_second, f"{second.url}/?session={session_id}")
    expect(on_second.get_by_role("textbox", name="Session name")).to_have_value(name)
    on_second.set_viewport_size({"width": 900, "height": 1000})
    screenshot(on_second, "store-replicas-second-900")

    # A change on the second replica is what the first one shows at its next visit.
    renamed = name + " (edited on replica 2)"
    rename(on_second, renamed)
    open_app(on_first, f"{first.url}/?session={session_id}")
    expect(on_first.get_by_role("textbox", name="Session name")).to_have_value(renamed)
    screenshot(on_first, "store-replicas-first-1400")
    on_first.context.close()
    on_second.context.close()


def test_storage_away_keeps_the_change_in_the_tab_and_saves_it_when_back(browser: Browser, replicas, proxy) -> None:
    first, second = replicas
    on_first = tab(browser)
    open_example(on_first, first.url)
    session_id = re.search(r"session=([0-9a-f]{32})", on_first.url).group(1)

    proxy.cut()
    field = on_first.get_by_role("textbox", name="Session name")
    field.fill("Named while the bucket was away")
    with rerun(on_first):
        field.press("Enter")
    warning = on_first.get_by_text(re.compile("could not be saved yet.*cannot be reached"))
    # (ui.state says it once per failed save; a run that retries the save says it again)
    expect(warning.first).to_be_visible()
    on_first.set_viewport_size({"width": 900, "height": 1000})
    screenshot(on_first, "store-away-900")
    on_first.set_viewport_size({"width": 1400, "height": 1000})
    screenshot(on_first, "store-away-1400")

    proxy.restore()
    go_to(on_first, "Experiments")  # the next action stores what the tab kept
    expect(warning).to_have_count(0)
    on_second = tab(browser)
    open_app(on_second, f"{second.url}/?session={session_id}")
    expect(on_second.get_by_role("textbox", name="Session name")).to_have_value("Named while the bucket was away")
    on_first.context.close()
    on_second.context.close()
