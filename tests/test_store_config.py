"""The app's store configuration: one store per folder that follows secrets, bounded TTL, limits, clear stops."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from alchemist import limits
from alchemist.store import object_blobs, sweep
from ui import store as ui_store
from ui.store import StoreConfigError, configured_keys, configured_limits, configured_ttl, store_for, store_settings

# A page that needs the store, as every page of the app does (app.py should call get_store at startup).
PAGE = "import streamlit as st\nfrom ui.store import get_store\nget_store()\nst.write('running')\n"
OLD = {"2025-01": "an older secret of enough length"}
BOTH = {**OLD, "2026-11": "the newest secret, long enough"}


@pytest.mark.parametrize("raw", ["3000000", "1e10", "inf", "nan", "-1", "0", "0.01", "abc"])
def test_a_time_to_live_out_of_bounds_is_a_clear_startup_error(raw):
    with pytest.raises(StoreConfigError, match="ALCHEMIST_SESSION_TTL_DAYS"):
        configured_ttl({}, {"ALCHEMIST_SESSION_TTL_DAYS": raw})
    with pytest.raises(StoreConfigError, match="session_ttl_days"):
        configured_ttl({"session_ttl_days": raw}, {})
    with pytest.raises(StoreConfigError, match="session_ttl_days"):
        configured_ttl({"session_ttl_days": True}, {})


def test_time_to_live_in_bounds_environment_first():
    assert configured_ttl({}, {}) == timedelta(days=7)
    assert configured_ttl({"session_ttl_days": 2}, {}) == timedelta(days=2)
    assert configured_ttl({"session_ttl_days": 2}, {"ALCHEMIST_SESSION_TTL_DAYS": "3650"}) == timedelta(days=3650)
    assert configured_ttl({}, {"ALCHEMIST_SESSION_TTL_DAYS": str(1 / 24)}) == timedelta(hours=1)


@pytest.mark.parametrize(
    "secrets",
    [
        {"session_keys": {"2026": "short"}},  # one key under 16 bytes: no silent local fallback
        {"session_keys": {"bad id!": "a secret of more than sixteen bytes"}},
        {"session_keys": OLD, "session_keys_newest": "2030-01"},
        {"session_keys": {}},
        {"session_keys_newest": "2025-01"},
    ],
)
def test_an_invalid_key_ring_is_refused(secrets):
    with pytest.raises(StoreConfigError):
        configured_keys(secrets)


def test_no_keys_in_secrets_means_the_local_key():
    assert configured_keys({}) is None


def test_one_store_per_folder_that_takes_rotated_keys(tmp_path):
    first = store_for(store_settings({"session_keys": OLD}, {"ALCHEMIST_CACHE_DIR": str(tmp_path)}))
    written_with_old = first.create()
    second = store_for(store_settings({"session_keys": BOTH}, {"ALCHEMIST_CACHE_DIR": str(tmp_path)}))
    assert second is first and first.keys.newest == "2026-11"
    written_with_new = first.create()
    # one sweeper per process, and it sweeps this very store (with its current ring)
    assert sweep._stores[str(tmp_path.resolve())] is first
    assert sum(t.name == "alchemist-session-sweeper" for t in threading.enumerate()) == 1
    assert first.get(written_with_old.id) is not None and first.get(written_with_new.id) is not None
    assert not first.quarantine_dir.exists()
    third = store_for(store_settings({"session_keys": BOTH, "session_ttl_days": 2}, {"ALCHEMIST_CACHE_DIR": str(tmp_path)}))
    assert third is first and first.ttl == timedelta(days=2)


def test_limits_from_secrets_and_environment():
    got = configured_limits({"limits": {"session_bytes": 2 * 1024 * 1024}}, {"ALCHEMIST_LIMIT_QUARANTINE_DAYS": "3"})
    assert got.session_bytes == 2 * 1024 * 1024 and got.quarantine_days == 3
    with pytest.raises(limits.LimitsConfigError):
        configured_limits({"limits": {"no_such_limit": 1}}, {})


def test_a_bad_key_ring_stops_the_app_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("ALCHEMIST_CACHE_DIR", str(tmp_path))
    at = AppTest.from_string(PAGE, default_timeout=60)
    at.secrets["session_keys"] = {"2026-11": "too short"}
    at.run()
    assert not at.exception and not any(m.value == "running" for m in at.markdown), "stopped"
    assert any("signing keys" in e.value and "16 bytes" in e.value for e in at.error)
    assert not (tmp_path / "session-signing-key").exists(), "no silent fallback to a local key"


def test_limits_are_put_in_force_once_and_a_bad_one_stops_the_app(tmp_path, monkeypatch):
    before = limits.current()
    monkeypatch.setattr(ui_store, "_limits_in_force", False)
    monkeypatch.setenv("ALCHEMIST_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("ALCHEMIST_LIMIT_SESSION_BYTES", "lots")
    at = AppTest.from_string(PAGE, default_timeout=60)
    at.run()
    assert any("ALCHEMIST_LIMIT_SESSION_BYTES" in e.value for e in at.error)
    monkeypatch.setenv("ALCHEMIST_LIMIT_SESSION_BYTES", str(3 * 1024 * 1024))
    try:
        at = AppTest.from_string(PAGE, default_timeout=60)
        at.run()
        assert [m.value for m in at.markdown] == ["running"]
        assert limits.current().session_bytes == 3 * 1024 * 1024
    finally:
        limits.configure(before)


# -- the store's location: the local folder by default, an object store by URL (issue 13) ---------

def test_the_default_is_the_local_folder(tmp_path):
    settings = store_settings({}, {"ALCHEMIST_CACHE_DIR": str(tmp_path)})
    assert settings.url is None and settings.root == tmp_path and settings.where == str(tmp_path.resolve())


def test_a_local_path_as_the_store_url_is_that_folder(tmp_path):
    settings = store_settings({"store_url": str(tmp_path / "elsewhere")}, {})
    assert settings.url is None and settings.root == tmp_path / "elsewhere"
    assert store_settings({}, {"ALCHEMIST_STORE_URL": f"file://{tmp_path}"}).root == tmp_path


def test_the_store_url_from_the_environment_first_then_secrets():
    secrets = {"store_url": "s3://from-secrets/x", "session_keys": OLD,
               "store_options": {"key": "k", "secret": "s", "endpoint_url": "http://127.0.0.1:9000"}}
    assert store_settings(secrets, {}).url == "s3://from-secrets/x"
    settings = store_settings(secrets, {"ALCHEMIST_STORE_URL": "s3://from-env/y"})
    assert settings.url == "s3://from-env/y" and settings.where.startswith("s3://from-env/y#")
    rotated = store_settings({**secrets, "store_options": {**secrets["store_options"], "secret": "new"}}, {})
    assert rotated.where != store_settings(secrets, {}).where, "new credentials: a new connection"
    assert dict(settings.options)["endpoint_url"] == "http://127.0.0.1:9000"
    assert "127.0.0.1:9000" not in repr(settings) and "'s'" not in repr(settings), "no store options in a repr"


def test_an_object_store_needs_keys_in_secrets():
    with pytest.raises(StoreConfigError, match=r"\[session_keys\].*replica.*redeploy"):
        store_settings({"store_url": "s3://bucket/x"}, {})


@pytest.mark.parametrize("url, says", [
    ("s3://key:secret@bucket/x", "credentials"),
    ("s3://Bucket_Name/x", "valid bucket"),
    ("ftp://host/x", "not supported"),
])
def test_a_bad_store_url_is_a_clear_startup_error(url, says):
    with pytest.raises(StoreConfigError, match=says):
        store_for(store_settings({"session_keys": OLD}, {"ALCHEMIST_STORE_URL": url}))


def test_store_options_must_be_a_table():
    with pytest.raises(StoreConfigError, match="store_options"):
        store_settings({"store_options": "key=abc"}, {})


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    from tests.store.s3_server import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3") / "server.log").start()
    yield server
    server.stop()


@pytest.fixture
def bucket_app(s3_server, tmp_path, monkeypatch):
    """The app's page with its store in a fresh bucket, reached through a proxy the test can cut."""
    from tests.store.s3_server import CuttableProxy

    proxy = CuttableProxy(s3_server.port).start()
    monkeypatch.setenv("ALCHEMIST_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("ALCHEMIST_STORE_URL", f"s3://{s3_server.new_bucket()}/app")
    monkeypatch.setattr(ui_store, "HEALTH_CHECK_SECONDS", 0.0)  # look at the storage on every run
    monkeypatch.setattr(object_blobs, "COOLDOWN_S", 0.0)  # and try it again at once after a failure

    def app() -> AppTest:
        at = AppTest.from_string(PAGE, default_timeout=60)
        at.secrets["store_options"] = s3_server.options(proxy.endpoint)
        at.secrets["session_keys"] = OLD
        return at

    yield app, proxy
    proxy.cut()


def test_an_object_store_without_keys_stops_the_app_with_the_reason(bucket_app):
    app, _ = bucket_app
    at = AppTest.from_string(PAGE, default_timeout=60)
    at.run()
    assert not any(m.value == "running" for m in at.markdown)
    assert any("[session_keys]" in e.value and "replica" in e.value for e in at.error)


def test_the_store_in_a_bucket(bucket_app):
    app, _ = bucket_app
    at = app()
    at.run()
    assert [m.value for m in at.markdown] == ["running"] and not at.error and not at.warning
    store = store_for(store_settings({"session_keys": OLD, "store_options": dict(at.secrets["store_options"])},
                                     dict(__import__("os").environ)))
    session = store.create()
    assert store.get(session.id).id == session.id
    assert store.root is None and "app/" in store.describe(), "nothing on the local disk"


def test_storage_down_at_start_and_on_an_action_is_told_clearly(bucket_app):
    app, proxy = bucket_app
    proxy.cut()
    at = app()
    at.run()
    assert any("storage cannot be reached" in e.value and "Reload this page" in e.value for e in at.error)
    proxy.restore()
    at = app()
    at.run()
    assert [m.value for m in at.markdown] == ["running"] and not at.warning
    proxy.cut()  # the store is running; the storage goes away: a warning, and the page goes on
    at = app()
    at.run()
    assert [m.value for m in at.markdown] == ["running"]
    assert any("cannot be reached" in w.value and "keep working" in w.value for w in at.warning)


def test_wrong_credentials_are_told_as_such(bucket_app, monkeypatch, tmp_path_factory):
    from tests.store.s3_server import S3Server

    app, _ = bucket_app
    with S3Server(tmp_path_factory.mktemp("strict") / "log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as strict:
        monkeypatch.setenv("ALCHEMIST_STORE_URL", "s3://some-bucket/app")
        at = AppTest.from_string(PAGE, default_timeout=60)
        at.secrets["store_options"] = {**strict.options(), "key": "wrong", "secret": "wrong"}
        at.secrets["session_keys"] = OLD
        at.run()
    assert any("refused the app's credentials" in e.value for e in at.error)


def test_the_app_keeps_a_change_while_the_bucket_is_away_and_saves_it_when_it_is_back(bucket_app, s3_server):
    """ui.state's unsaved-session path, on the object store: the change stays in the tab, is told,
    and is stored at the first action after the storage answers again."""
    from pathlib import Path

    from alchemist.files.signing import KeyRing
    from alchemist.persistence import SessionStore
    from alchemist.store.object_blobs import ObjectBlobs

    app_file = str(Path(__file__).resolve().parent.parent / "app.py")
    _, proxy = bucket_app
    at = AppTest.from_file(app_file, default_timeout=60)
    at.secrets["store_options"] = s3_server.options(proxy.endpoint)
    at.secrets["session_keys"] = OLD
    at.run()
    next(b for b in at.button if b.label == "Open example").click().run()
    assert not at.exception, [e.message for e in at.exception]
    session_id = at.query_params["session"]

    proxy.cut()
    at.text_input(key="session_name").set_value("Kept while the bucket is away").run()
    assert not at.exception, [e.message for e in at.exception]
    warnings = " | ".join(w.value for w in at.warning)
    assert "could not be saved yet" in warnings and "cannot be reached" in warnings
    assert at.session_state["session"].name == "Kept while the bucket is away"
    at.run()  # another action while it is still away: still kept, still said
    assert not at.exception and "could not be saved yet" in " | ".join(w.value for w in at.warning)

    proxy.restore()
    at.run()  # the next action saves it
    assert not at.exception and "could not be saved yet" not in " | ".join(w.value for w in at.warning)
    url = __import__("os").environ["ALCHEMIST_STORE_URL"]
    fresh = SessionStore(ObjectBlobs(url, s3_server.options()), keys=KeyRing.from_mapping(OLD))
    assert fresh.get(session_id).name == "Kept while the bucket is away"
