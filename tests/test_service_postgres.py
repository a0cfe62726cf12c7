"""The service on a real PostgreSQL server: a throwaway cluster (``initdb`` + ``pg_ctl``)
started for this module, a fresh database per test. Skipped where the PostgreSQL server
programs or the ``postgres`` extra (psycopg) are not installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service_api import LAVROV, _after_restart, build_app, embedder, seed_payload

from summarizer.embed import Embedder
from summarizer.errors import ConfigError

__all__ = ["embedder"]  # the module-scoped embedder fixture, shared


def _server_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((str(v / name) for v in versions if (v / name).exists()), None)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[Path]:
    """A PostgreSQL cluster listening only on a Unix socket in a folder of mode 0700."""
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    initdb, pg_ctl = _server_bin("initdb"), _server_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("the PostgreSQL server programs (initdb, pg_ctl) are not installed")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        if not runuser:
            pytest.skip("running as root without runuser to start PostgreSQL as another user")
        as_user = [runuser, "-u", "nobody", "--"]
    home = Path(tempfile.mkdtemp(prefix="storybrief-pg-"))  # mode 0700: the socket is ours
    data = home / "data"
    env = {**os.environ, "LC_ALL": "C"}

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            log = (home / "log").read_text() if (home / "log").exists() else ""
            pytest.fail(f"{' '.join(cmd[:2])} failed:\n{done.stdout}{done.stderr}{log}")

    started = False
    try:
        if as_user:
            shutil.chown(home, "nobody")  # root reaches the socket through a 0700 folder
        run(initdb, "-D", str(data), "-U", "storybrief", "-A", "trust", "-E", "UTF8")
        opts = f"-k {home} -p 5432 -c listen_addresses='' -c fsync=off"
        run(pg_ctl, "-D", str(data), "-o", opts, "-l", str(home / "log"), "-w", "start")
        started = True
        yield home
    finally:
        if started:
            subprocess.run(
                [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                env=env,
            )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: Path) -> str:
    """A new, empty database on the server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        host=str(pg_server), port=5432, user="storybrief", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://storybrief@/{name}?host={pg_server}&port=5432"


def test_stories_and_briefs_on_postgres_survive_a_restart(
    pg_url: str, tmp_path: Path, embedder: Embedder
) -> None:
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as c1:
        r = c1.post("/v1/articles", json={"articles": seed_payload()})
        assert r.status_code == 201, r.text
        stories = c1.get("/v1/stories").json()["data"]
        assert sorted(s["article_count"] for s in stories) == [1, 4]
        (lavrov,) = [s for s in stories if s["article_count"] == 4]
        sid = lavrov["id"]
        first = c1.get(f"/v1/stories/{sid}/brief")
        assert first.status_code == 200, first.text
        brief = first.json()
        assert set(brief["article_ids"]) == LAVROV
        originals = {a: c1.get(f"/v1/articles/{a}").json()["text"] for a in LAVROV}
        cited = [c for s in brief["sentences"] for c in s["citations"]]
        assert cited
        for c in cited:  # every quote is the stored original's text at its offsets
            assert originals[c["article_id"]][c["start"] : c["end"]] == c["quote"]
    assert not (tmp_path / "storybrief.db").exists()  # nothing went to SQLite

    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as c2:
        _after_restart(c2, sid, brief)  # stories, the stored brief and the index came back
        # and posting the seeds again stores nothing twice
        assert c2.post("/v1/articles", json={"articles": seed_payload()}).status_code == 200


def test_a_nul_in_a_path_id_is_a_404_on_postgres(
    pg_url: str, tmp_path: Path, embedder: Embedder
) -> None:
    """PostgreSQL cannot compare a text with a NUL in it: such an id is refused before the
    query (it had been a 503, as if the database were down)."""
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as c:
        for path in ("/v1/articles/a%00b", "/v1/stories/a%00b", "/v1/jobs/a%00b"):
            r = c.get(path)
            assert r.status_code == 404, (path, r.text)
            assert "Retry-After" not in r.headers


def test_deleting_articles_on_postgres(pg_url: str, tmp_path: Path, embedder: Embedder) -> None:
    """Foreign keys and cascades as PostgreSQL enforces them: the article's vectors and its
    story's briefs go with it, an emptied story goes too, and its id is not reused."""
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as c:
        seeds = seed_payload()
        assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
        sid = c.get(f"/v1/articles/{min(LAVROV)}").json()["story_id"]
        assert c.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).status_code == 200
        r = c.delete(f"/v1/articles/{min(LAVROV)}")
        assert r.status_code == 200, r.text
        assert r.json() == {"id": min(LAVROV), "story_id": sid, "story_articles": 3}
        assert c.get(f"/v1/stories/{sid}").json()["has_current_brief"] is False
        lone = next(a for a in seeds if a["id"] not in LAVROV)
        lone_sid = c.get(f"/v1/articles/{lone['id']}").json()["story_id"]
        assert c.delete(f"/v1/articles/{lone['id']}").json()["story_articles"] == 0
        assert c.get(f"/v1/stories/{lone_sid}").status_code == 404
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as c:
        assert c.get(f"/v1/stories/{sid}").json()["article_count"] == 3
        r = c.post("/v1/articles", json={"articles": [lone]})
        assert r.status_code == 201 and r.json()["data"][0]["story_id"] not in (lone_sid, None)
        brief = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).json()
        assert min(LAVROV) not in brief["article_ids"] and len(brief["article_ids"]) == 3


def test_a_second_service_on_one_postgres_database_is_refused(
    pg_url: str, pg_server: Path, tmp_path: Path, embedder: Embedder
) -> None:
    """The advisory lock: the story index lives in each process and is written back whole,
    so a second service on the same database would overwrite the first one's stories."""
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as first:
        assert first.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
        with pytest.raises(ConfigError, match="another storybrief service is using") as err:
            with TestClient(build_app(tmp_path / "b", embedder, database_url=pg_url)):
                pass
        name = pg_url.split("/")[3].split("?")[0]
        assert f"/{name}?" in str(err.value)  # the database, named
        # another database on the same server is another service's to lock
        other = pg_url.replace(f"/{name}?", f"/o{name}?")
        import psycopg

        with psycopg.connect(
            host=str(pg_server), port=5432, user="storybrief", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "o{name}"')
        with TestClient(build_app(tmp_path / "c", embedder, database_url=other)) as beside:
            r = beside.get("/v1/stories")
            assert r.status_code == 200 and r.json()["count"] == 0, r.text
        assert first.get("/readyz").status_code == 200
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as again:
        assert len(again.get("/v1/stories").json()["data"]) == 2  # the first has stopped


def test_a_database_password_stays_out_of_messages() -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    from service.store import Store

    store = Store("postgresql+psycopg://news:s3cret@db.example/storybrief")
    try:
        assert "s3cret" not in store.url and "db.example/storybrief" in store.url
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "is not a database URL"),
        ("mysql://news@db.example/storybrief", "neither SQLite nor PostgreSQL"),
        ("postgresql+nodriver://news@db.example/storybrief", "no driver for the database"),
        # in memory: no file to lock, an empty database for each thread, all lost at exit
        ("sqlite://", "in-memory SQLite database"),
        ("sqlite:///", "in-memory SQLite database"),
        ("sqlite:///:memory:", "in-memory SQLite database"),
        ("sqlite+pysqlite:///:memory:", "in-memory SQLite database"),
        ("sqlite:///file:briefs?mode=memory&cache=shared&uri=true", "in-memory SQLite"),
        ("sqlite:///file::memory:?cache=shared&uri=true", "in-memory SQLite database"),
    ],
)
def test_a_database_url_the_service_cannot_use_is_a_clear_error(url: str, message: str) -> None:
    from service.store import Store

    with pytest.raises(ConfigError, match=message) as info:
        Store(url)
    assert "\n" not in str(info.value)


def test_an_in_memory_database_is_refused_for_the_data_it_would_lose(tmp_path: Path) -> None:
    """The message says why and what to use; a database file, even one named like the
    in-memory ones, is still used (and locked)."""
    from service.store import Store

    with pytest.raises(ConfigError) as info:
        Store("sqlite:///:memory:")
    assert str(info.value) == (
        "the database sqlite:///:memory: is an in-memory SQLite database, which loses everything "
        "stored when the service stops; the service needs a database file (sqlite:///PATH) "
        "or server (postgresql+psycopg://USER@HOST/NAME)"
    )
    for name in ("storybrief.db", "memory.db", ":memory:.db"):
        store = Store(f"sqlite:///{tmp_path / name}")
        try:
            store.lock()
            store.create_schema()
            assert store.sqlite_path == tmp_path / name and (tmp_path / name).is_file()
            assert (tmp_path / f"{name}.lock").is_file()
        finally:
            store.dispose()


def test_a_database_the_service_cannot_reach_is_a_clear_error(tmp_path: Path) -> None:
    from service.store import Store

    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot use .* as the data folder"):
        Store(f"sqlite:///{a_file / 'storybrief.db'}")
    pytest.importorskip("psycopg", reason="the postgres extra is not installed")
    store = Store("postgresql+psycopg://news@127.0.0.1:1/storybrief?connect_timeout=5")
    try:
        with pytest.raises(ConfigError, match="cannot connect to the database"):
            store.lock()
    finally:
        store.dispose()


def _drop_lock_connection(store: Any) -> None:
    """End the server session that holds ``store``'s advisory lock, as a server restart or
    a network fault would."""
    from sqlalchemy import text

    pid = store._lock_conn.execute(text("SELECT pg_backend_pid()")).scalar()
    store._lock_conn.commit()
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()


def test_a_lock_whose_connection_dropped_is_taken_again_or_the_store_refuses(
    pg_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advisory lock lives with one connection. When it drops, the service takes the
    lock again once it is free (and reloads its story index: another service may have
    written); while another service holds it, every request is a 503."""
    from sqlalchemy import text

    from service.store import DatabaseGone, Store

    monkeypatch.setattr(Store, "lock_check_s", 0.05)
    with TestClient(build_app(tmp_path, embedder, database_url=pg_url)) as c:
        service = c.app.state.service  # type: ignore[attr-defined]
        store = service.store
        # a transaction begun before the drop does not commit after the lock is taken
        # again: another service may have changed what it read
        assert c.post("/v1/articles", json={"articles": seed_payload()[:1]}).status_code == 201
        cached = seed_payload()[0]["id"]
        assert service.cache.get(cached) is not None
        with pytest.raises(DatabaseGone, match="lost and taken again while this request ran"):
            with store.session() as s:
                s.execute(text("SELECT 1"))
                _drop_lock_connection(store)
                _wait_until(lambda: store.lock_epoch == 1)
        assert service.cache.get(cached) is None  # what it held in memory is forgotten
        r = c.post("/v1/articles", json={"articles": seed_payload()})
        assert r.status_code == 201, r.text
        assert service._lock_epoch == 1  # the index was reloaded before the write
        other = Store(pg_url)
        try:
            with pytest.raises(ConfigError, match="another storybrief service"):
                other.lock()  # held again by the first
            _drop_lock_connection(store)
            other.lock()  # a second service starts while the first has no lock
            _wait_until(
                lambda: store._lock_problem is not None and "holds it now" in store._lock_problem
            )
            r = c.get("/v1/stories")
            assert r.status_code == 503, r.text
            assert "another storybrief service holds it now" in r.json()["error"]["message"]
            assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 503
            assert c.get("/readyz").status_code == 503
        finally:
            other.dispose()
        # the other one stopped: the lock is taken again, and requests are answered
        _wait_until(lambda: store.lock_epoch == 2)
        assert c.get("/v1/stories").json()["count"] == 2


def _wait_until(done: Any, timeout: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)
