"""Ingest and listing edge cases of the REST service (extractive briefs, a real SQLite file)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_service_api import EXTRA_TEXT, build_app, embedder, seed_payload

from service.store import DatabaseGone
from summarizer.embed import Embedder
from summarizer.errors import InputError
from summarizer.types import Article

__all__ = ["embedder"]  # the module-scoped fixture, shared with the other service tests


@pytest.fixture
def client(tmp_path: Path, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(build_app(tmp_path, embedder)) as c:
        yield c


def _story(client: TestClient, sid: str) -> dict[str, Any]:
    return next(s for s in client.get("/v1/stories").json()["data"] if s["id"] == sid)


def test_an_article_sent_again_without_its_id_is_the_stored_one(client: TestClient) -> None:
    """The id is derived from the url, so an edited text must not turn into a 409."""
    art = {"outlet": "AP", "url": "https://news.example/kim", "text": EXTRA_TEXT}
    first = client.post("/v1/articles", json={"articles": [art]})
    assert first.status_code == 201
    stored = first.json()["data"][0]["id"]
    for again in (
        {**art, "text": EXTRA_TEXT + " An update was added."},
        {**art, "text": EXTRA_TEXT + "\n"},
        {**art, "url": "  https://news.example/kim  "},
    ):
        r = client.post("/v1/articles", json={"articles": [again]})
        assert r.status_code == 200, r.json()
        # an edited text is kept as stored, and the answer says how to correct it
        edited = again["text"].strip() != EXTRA_TEXT
        item = r.json()["data"][0]
        note = item.pop("note")
        assert (f"PUT /v1/articles/{stored}" in note) if edited else note is None
        expected = {**first.json()["data"][0], "status": "existing"}
        expected.pop("note")
        assert item == expected
    assert client.get(f"/v1/articles/{stored}").json()["text"] == EXTRA_TEXT  # kept
    # The same id with the same text up to whitespace is the same article too.
    r = client.post(
        "/v1/articles",
        json={"articles": [{**art, "id": stored, "url": None, "text": f"  {EXTRA_TEXT}\n\n"}]},
    )
    assert r.status_code == 200 and r.json()["data"][0]["id"] == stored
    # Only a different text under another url (or none) is a conflict.
    clash = {"id": stored, "outlet": "AP", "text": "A different story entirely, said officials."}
    r = client.post("/v1/articles", json={"articles": [clash]})
    assert r.status_code == 409
    assert r.json()["error"]["field"] == "articles.0.id"


def test_three_copies_of_a_short_article_are_one_article(client: TestClient) -> None:
    text = "Officials met in Geneva on Monday to discuss the ceasefire."
    copies = [
        {"id": f"w{i}", "outlet": o, "text": text} for i, o in enumerate(["AP", "AFP", "DPA"])
    ]
    r = client.post("/v1/articles", json={"articles": copies})
    assert r.status_code == 201, r.json()
    assert [d["status"] for d in r.json()["data"]] == ["created", "existing", "existing"]
    r = client.post("/v1/briefs", json={"articles": copies, "length": "short"})
    assert r.status_code == 200, r.json()
    assert [s["text"] for s in r.json()["data"][0]["sentences"]] == [text]


def test_an_empty_article_in_a_stateless_request_is_named(client: TestClient) -> None:
    body = {"articles": [*seed_payload()[:2], {"outlet": "AP", "text": "Advertisement"}]}
    r = client.post("/v1/briefs", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "articles.2.text"
    r = client.post("/v1/articles", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "articles.2.text"


def test_the_listing_headline_is_the_first_titled_articles_title(client: TestClient) -> None:
    """A brief has its own headline; the listing keeps the articles' and follows joins."""
    late = {"id": "late", "outlet": "Wire", "published": "2023-10-20", "text": EXTRA_TEXT}
    sid = client.post("/v1/articles", json={"articles": [late]}).json()["data"][0]["story_id"]
    untitled = _story(client, sid)["headline"]
    assert untitled.startswith("Russian Foreign Minister Sergei Lavrov held talks")
    brief = client.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).json()
    assert brief["headline"]
    assert _story(client, sid)["headline"] == untitled  # the brief does not rename the story

    early = {**seed_payload()[0], "published": "2023-10-19", "title": "Lavrov arrives"}
    r = client.post("/v1/articles", json={"articles": [early]})
    assert r.json()["data"][0]["story_id"] == sid
    assert _story(client, sid)["headline"] == "Lavrov arrives"


def test_an_updated_since_outside_the_calendar_is_a_422(client: TestClient) -> None:
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        r = client.get("/v1/stories", params={"updated_since": value})
        assert r.status_code == 422, (value, r.json())
        assert r.json()["error"]["field"] == "updated_since"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "ab\x9bc"}, "articles.0.id"),  # a C1 control character
        ({"id": "a\u202eb"}, "articles.0.id"),  # a right-to-left override
        ({"id": "a\u200bb"}, "articles.0.id"),  # a zero-width space
        ({"outlet": "A\x00P"}, "articles.0.outlet"),
        ({"title": "Kim\x07 meets Lavrov"}, "articles.0.title"),
        ({"published": "2023-10-19garbage"}, "articles.0.published"),
        ({"published": "2023-10-19" + "x" * 1_000_000}, "articles.0.published"),
    ],
)
def test_control_characters_and_bad_dates_are_refused_briefly(
    client: TestClient, change: dict[str, str], field: str
) -> None:
    art = {"outlet": "AP", "text": EXTRA_TEXT, **change}
    r = client.post("/v1/articles", json={"articles": [art]})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field
    assert len(r.content) < 2_000  # a huge value is not echoed back
    assert client.get("/v1/stories").json()["count"] == 0


def test_a_utf16_body_is_refused(client: TestClient) -> None:
    body = json.dumps({"articles": [{"outlet": "AP", "text": EXTRA_TEXT}]}).encode("utf-16-le")
    r = client.post("/v1/articles", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "the request body is not valid UTF-8 (byte 1 is NUL)"
    assert client.get("/v1/stories").json()["count"] == 0


def test_a_lost_story_index_is_rebuilt_with_the_stories_clients_hold(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The stored index snapshot is unreadable at start: the service rebuilds it from the
    stored articles. Stories keep their ids (the first article sent founded the story, not
    the earliest-dated one) and their stored briefs, and new articles still join them."""
    import sqlite3

    seeds = seed_payload()
    later = next(a for a in seeds if a["id"].startswith("000_"))  # 20 Oct; others 19 Oct
    with TestClient(build_app(tmp_path, embedder)) as c:
        first = c.post("/v1/articles", json={"articles": [later]})
        assert first.status_code == 201
        rest = c.post("/v1/articles", json={"articles": [a for a in seeds if a is not later]})
        assert rest.status_code == 201
        before = {s["id"]: s for s in c.get("/v1/stories").json()["data"]}
        founded = first.json()["data"][0]["story_id"]
        assert before[founded]["article_count"] > 1  # earlier-dated articles joined it
        briefs = {sid: c.get(f"/v1/stories/{sid}/brief?length=short").json() for sid in before}
        assert all("sentences" in b for b in briefs.values()), briefs

    db = sqlite3.connect(tmp_path / "storybrief.db")
    with db:
        db.execute("""UPDATE index_state SET data = '{"format": 999}'""")
    db.close()

    with TestClient(build_app(tmp_path, embedder)) as c:
        after = {s["id"]: s for s in c.get("/v1/stories").json()["data"]}
        assert after.keys() == before.keys()
        for sid, story in before.items():
            assert after[sid]["article_count"] == story["article_count"]
            again = c.get(f"/v1/stories/{sid}/brief?length=short").json()
            assert again.pop("cached") is True  # the stored brief, still current
            assert again == {k: v for k, v in briefs[sid].items() if k != "cached"}
        extra = {"id": "late", "outlet": "Wire", "published": later["published"]}
        extra["text"] = later["text"].replace("Lavrov", "Russia's foreign minister Lavrov")
        r = c.post("/v1/articles", json={"articles": [extra]})
        assert r.status_code == 201 and r.json()["data"][0]["story_id"] in before


class _PermutedEmbedder:
    """Another embedding model, as far as the service can tell: the same vectors with their
    dimensions permuted (cosines between its own vectors are unchanged, cosines against
    the first model's vectors are noise)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name + "-permuted"
        self.perm = np.random.default_rng(0).permutation(384)

    def encode(self, texts: Any) -> Any:
        return self.inner.encode(texts)[:, self.perm]

    def close(self) -> None:
        pass


def test_a_new_embedding_model_rebuilds_the_index_and_keeps_the_stories(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The story index and the stored vectors come from another embedding model: the index
    is rebuilt on the new model's vectors (of the same sentences), the stories keep their
    ids, and a new article still joins its story."""
    import sqlite3

    seeds = seed_payload()
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
        before = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
    lavrov = max(before, key=lambda sid: before[sid])

    # a snapshot written before snapshots named their model: the stored vectors tell
    db = sqlite3.connect(tmp_path / "storybrief.db")
    with db:
        db.execute("UPDATE index_state SET data = json_remove(data, '$.embedder')")
        (data,) = db.execute("SELECT data FROM index_state").fetchone()
    db.close()
    assert "embedder" not in data

    other = _PermutedEmbedder(embedder)
    with TestClient(build_app(tmp_path, other)) as c:  # type: ignore[arg-type]
        after = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
        assert after == before
        later = next(a for a in seeds if a["id"].startswith("000_"))
        extra = {"id": "late", "outlet": "Wire", "published": later["published"]}
        extra["text"] = later["text"].replace("Lavrov", "Russia's foreign minister Lavrov")
        r = c.post("/v1/articles", json={"articles": [extra]})
        assert r.status_code == 201 and r.json()["data"][0]["story_id"] == lavrov
    db = sqlite3.connect(tmp_path / "storybrief.db")
    models = {m for (m,) in db.execute("SELECT model FROM article_vectors")}
    db.close()
    assert models == {other.name}


def test_copies_chained_by_url_and_text_in_one_request_answer_with_the_first(
    client: TestClient,
) -> None:
    """b has a's text under another url; c has b's url: c is a copy of b, which is a copy
    of a (this chain used to end in a server error)."""
    a = {"id": "c0", "outlet": "AP", "url": "https://news.example/a", "text": EXTRA_TEXT}
    b = {"id": "c1", "outlet": "AFP", "url": "https://news.example/b", "text": EXTRA_TEXT}
    c = {"id": "c2", "outlet": "DPA", "url": "https://news.example/b", "text": "Other text."}
    r = client.post("/v1/articles", json={"articles": [a, b, c]})
    assert r.status_code == 201, r.json()
    assert [d["id"] for d in r.json()["data"]] == ["c0", "c0", "c0"]
    assert [d["status"] for d in r.json()["data"]] == ["created", "existing", "existing"]


def test_a_poll_from_as_of_misses_no_write_that_was_still_committing(client: TestClient) -> None:
    """A story stamped by a write that began before a listing and committed after it
    shows up when the client polls again from that listing's ``as_of``."""
    import threading
    import time
    from datetime import datetime

    service = client.app.state.service  # type: ignore[attr-defined]
    articles = seed_payload()
    assert client.post("/v1/articles", json={"articles": articles[:2]}).status_code == 201
    slow_save = service._save_index
    started = threading.Event()

    def save_slowly(s: Any) -> None:  # the story rows are stamped; the commit waits
        started.set()
        time.sleep(1.5)
        slow_save(s)

    service._save_index = save_slowly
    worker = threading.Thread(
        target=lambda: client.post("/v1/articles", json={"articles": articles[2:3]})
    )
    worker.start()
    assert started.wait(30)
    during = client.get("/v1/stories").json()
    worker.join(60)
    service._save_index = slow_save
    as_of = datetime.fromisoformat(during["as_of"])
    after = client.get("/v1/stories", params={"updated_since": during["as_of"]}).json()
    changed = {s["id"]: s for s in after["data"]}
    before = {s["id"]: s for s in during["data"]}
    stored = client.get(f"/v1/articles/{articles[2]['id']}").json()
    sid = stored["story_id"]
    assert sid in changed  # the write that was committing during the first listing
    earlier = before.get(sid, {"article_count": 0})["article_count"]
    assert changed[sid]["article_count"] == earlier + 1
    assert datetime.fromisoformat(changed[sid]["updated_at"]) >= as_of


def test_html_character_references_are_stored_decoded_and_quoted_exactly(
    client: TestClient,
) -> None:
    text = (
        "AT&amp;T said on Monday it would appeal the ruling.&nbsp;The company&#8217;s lawyers "
        "called the fine &quot;unprecedented&quot; in a filing."
    )
    art = {"id": "esc", "outlet": "AP", "title": "AT&amp;T to appeal", "text": text}
    r = client.post("/v1/articles", json={"articles": [art]})
    assert r.status_code == 201, r.json()
    stored = client.get("/v1/articles/esc").json()
    assert stored["title"] == "AT&T to appeal"
    assert stored["text"].startswith("AT&T said on Monday") and "&quot;" not in stored["text"]
    assert "\u2019s lawyers" in stored["text"]
    # sent again as decoded text, it is the same article
    again = {**art, "text": stored["text"]}
    assert (
        client.post("/v1/articles", json={"articles": [again]}).json()["data"][0]["status"]
        == "existing"
    )
    r = client.post("/v1/briefs", json={"articles": [art]})
    assert r.status_code == 200, r.json()
    cites = [c for s in r.json()["data"][0]["sentences"] for c in s["citations"]]
    assert cites and all(stored["text"][c["start"] : c["end"]] == c["quote"] for c in cites)
    assert all("&amp;" not in s["text"] for s in r.json()["data"][0]["sentences"])


def test_an_article_in_another_script_is_refused_and_names_its_script(
    client: TestClient,
) -> None:
    arabic = {
        "outlet": "A",
        "text": "فاز الأهلي على الزمالك 3-1 في نهائي الكأس واحتفل المشجعون في القاهرة.",
    }
    english = {"outlet": "B", "text": "Lavrov arrived in Pyongyang on Wednesday for talks."}
    r = client.post("/v1/articles", json={"articles": [english, arabic]})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "articles.1.text" and "Arabic" in err["message"]
    assert client.get("/v1/stories").json()["data"] == []  # all or nothing


def test_an_article_stored_before_references_were_decoded_is_still_the_same_article(
    client: TestClient,
) -> None:
    """A store written by an earlier build keeps "&amp;" in its text; the same article
    sent again, now decoded on input, is that article, not a 409."""
    from service.store import ArticleRow

    raw = "AT&amp;T said on Monday it would appeal the ruling in the federal court."
    art = {"id": "legacy", "outlet": "AP", "text": raw}
    assert client.post("/v1/articles", json={"articles": [art]}).status_code == 201
    service = client.app.state.service  # type: ignore[attr-defined]
    with service.store.session() as s:
        s.get(ArticleRow, "legacy").text = raw  # as the earlier build stored it
    r = client.post("/v1/articles", json={"articles": [art]})
    assert r.status_code == 200, r.json()
    assert r.json()["data"][0]["status"] == "existing"


# ---------------------------------------------------------------- deleting an article


def _rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_deleting_an_article_takes_it_out_of_its_story_and_its_briefs(
    tmp_path: Path, embedder: Embedder
) -> None:
    db = tmp_path / "storybrief.db"
    seeds = seed_payload()
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
        stories = {s["article_count"]: s for s in c.get("/v1/stories").json()["data"]}
        big, single = stories[4], stories[1]
        detail = c.get(f"/v1/stories/{big['id']}").json()
        gone = detail["articles"][0]["id"]  # the earliest: it founded the story and titled it
        assert big["headline"] == detail["articles"][0]["title"]
        assert (
            c.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).status_code == 200
        )
        assert _rows(db, "select count(*) from briefs where story_id = ?", big["id"]) == [(1,)]

        r = c.delete(f"/v1/articles/{gone}")
        assert r.status_code == 200, r.json()
        assert r.json() == {"id": gone, "story_id": big["id"], "story_articles": 3}
        assert c.get(f"/v1/articles/{gone}").status_code == 404
        assert _rows(db, "select count(*) from article_vectors where article_id = ?", gone) == [
            (0,)
        ]
        assert _rows(db, "select count(*) from briefs where story_id = ?", big["id"]) == [(0,)]
        after = c.get(f"/v1/stories/{big['id']}").json()
        assert [a["id"] for a in after["articles"]] == [a["id"] for a in detail["articles"][1:]]
        assert after["revision"] == big["revision"] + 1 and after["has_current_brief"] is False
        assert after["headline"] == after["articles"][0]["title"] != big["headline"]
        brief = c.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).json()
        assert brief["cached"] is False and gone not in brief["article_ids"]
        assert len(brief["article_ids"]) == 3 and brief["sentences"]
        cited = {x["article_id"] for s in brief["sentences"] for x in s["citations"]}
        assert gone not in cited and gone not in {s["article_id"] for s in brief["sources"]}

        r = c.delete(f"/v1/articles/{gone}")
        assert r.status_code == 404 and r.json()["error"]["field"] == "article_id"

        # the last article of a story takes the story with it
        before = c.get("/v1/stories").json()["as_of"]
        lone = c.get(f"/v1/stories/{single['id']}").json()["articles"][0]["id"]
        assert c.delete(f"/v1/articles/{lone}").json() == {
            "id": lone,
            "story_id": single["id"],
            "story_articles": 0,
        }
        assert c.get(f"/v1/stories/{single['id']}").status_code == 404
        listing = c.get("/v1/stories").json()
        assert listing["count"] == 1 and listing["deleted"] == []
        # a client polling for changes learns that the story went
        polled = c.get("/v1/stories", params={"updated_since": before}).json()
        assert polled["data"] == [] and [d["id"] for d in polled["deleted"]] == [single["id"]]
        assert polled["deleted"][0]["deleted_at"] >= before
        later = c.get("/v1/stories", params={"updated_since": polled["as_of"]}).json()
        assert later["deleted"] == []

    # after a restart the stored index agrees: the article sent again is new, and joins
    # the story it left
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.get(f"/v1/stories/{big['id']}").json()["article_count"] == 3
        again = next(a for a in seeds if a["id"] == gone)
        r = c.post("/v1/articles", json={"articles": [again]})
        assert r.status_code == 201, r.json()
        assert r.json()["data"][0]["status"] == "created"
        assert r.json()["data"][0]["story_id"] == big["id"]
        assert c.get(f"/v1/stories/{big['id']}").json()["headline"] == big["headline"]


def _seeded_victim(client: TestClient) -> tuple[dict[str, Any], str]:
    """The seeds stored; the four-article story and its second article."""
    assert client.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
    story = next(s for s in client.get("/v1/stories").json()["data"] if s["article_count"] == 4)
    return story, client.get(f"/v1/stories/{story['id']}").json()["articles"][1]["id"]


def _disk_full(_s: object) -> None:
    raise RuntimeError("disk full")


def test_a_delete_that_fails_to_commit_loses_nothing(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(tmp_path, embedder)
    with TestClient(app, raise_server_exceptions=False) as client:
        service = app.state.service
        story, victim = _seeded_victim(client)
        monkeypatch.setattr(service, "_save_index", _disk_full)
        r = client.delete(f"/v1/articles/{victim}")
        assert r.status_code == 500
        monkeypatch.undo()
        assert client.get(f"/v1/articles/{victim}").status_code == 200
        assert victim in service.index and service.index.story_of(victim) == story["id"]
        assert client.get(f"/v1/stories/{story['id']}").json()["article_count"] == 4
        # the index and the store still agree: the next delete and ingest work
        assert client.delete(f"/v1/articles/{victim}").json()["story_articles"] == 3
        extra = {"id": "extra-1", "outlet": "AP", "text": EXTRA_TEXT}
        assert client.post("/v1/articles", json={"articles": [extra]}).status_code == 201
        assert victim not in service.index and "extra-1" in service.index


def test_a_brief_that_finishes_as_its_story_is_deleted_is_answered_not_stored(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The delete commits between the brief's revision check and its insert: the brief's
    row would name a story that is gone (a foreign-key failure, a 500 before)."""
    import threading

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from service.store import BriefRow

    app = build_app(tmp_path, embedder)
    with TestClient(app, raise_server_exceptions=False) as c:
        service = app.state.service
        extra = {"id": "lone-1", "outlet": "AP", "text": EXTRA_TEXT}
        sid = c.post("/v1/articles", json={"articles": [extra]}).json()["data"][0]["story_id"]
        fired: list[Any] = []

        def before_flush(session: Session, *_: Any) -> None:
            if not fired and any(isinstance(o, BriefRow) for o in session.new):
                t = threading.Thread(target=lambda: fired.append(service.delete_article("lone-1")))
                t.start()
                t.join()

        event.listen(Session, "before_flush", before_flush)
        try:
            r = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"})
        finally:
            event.remove(Session, "before_flush", before_flush)
        assert fired and fired[0].story_articles == 0
        assert r.status_code == 200, r.json()
        assert r.json()["current"] is False and r.json()["cached"] is False
        assert c.get(f"/v1/stories/{sid}").status_code == 404
        assert _rows(tmp_path / "storybrief.db", "select count(*) from briefs") == [(0,)]


@pytest.mark.parametrize("others", [True, False], ids=["articles-left", "none-left"])
def test_the_ids_of_deleted_stories_outlive_a_rebuilt_index(
    tmp_path: Path, embedder: Embedder, others: bool
) -> None:
    """A snapshot this build cannot read is rebuilt from the stored articles (or, with
    none left, started empty): the ids of deleted stories stay retired either way."""
    import sqlite3

    extra = {"id": "lone-1", "outlet": "AP", "text": EXTRA_TEXT}
    with TestClient(build_app(tmp_path, embedder)) as c:
        sid = c.post("/v1/articles", json={"articles": [extra]}).json()["data"][0]["story_id"]
        assert c.delete("/v1/articles/lone-1").json()["story_articles"] == 0
        if others:
            assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
    con = sqlite3.connect(tmp_path / "storybrief.db")
    (data,) = con.execute("select data from index_state").fetchone()
    state = json.loads(data)
    assert sid in state["retired"]
    con.execute("update index_state set data = ?", (json.dumps({**state, "format": 0}),))
    con.commit()
    con.close()
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.get("/v1/stories").json()["count"] == (2 if others else 0)
        r = c.post("/v1/articles", json={"articles": [extra]})
        assert r.status_code == 201 and r.json()["data"][0]["story_id"] != sid


def test_a_brief_rewritten_as_an_article_of_its_story_is_deleted_is_answered_not_stored(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The brief replaces a stored one (an update) while a delete removes the stored briefs
    of the story: the update finds no row (a 500 before)."""
    import threading

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from service.store import BriefRow

    app = build_app(tmp_path, embedder)
    with TestClient(app, raise_server_exceptions=False) as c:
        service = app.state.service
        assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
        story = next(s for s in c.get("/v1/stories").json()["data"] if s["article_count"] == 4)
        sid = story["id"]
        assert c.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).status_code == 200
        victim = c.get(f"/v1/stories/{sid}").json()["articles"][1]["id"]
        fired: list[Any] = []

        def before_flush(session: Session, *_: Any) -> None:
            if not fired and any(isinstance(o, BriefRow) for o in session.dirty):
                t = threading.Thread(target=lambda: fired.append(service.delete_article(victim)))
                t.start()
                t.join()

        event.listen(Session, "before_flush", before_flush)
        try:
            params = {"length": "short", "refresh": "true"}
            r = c.get(f"/v1/stories/{sid}/brief", params=params)
        finally:
            event.remove(Session, "before_flush", before_flush)
        assert fired and fired[0].story_articles == 3
        assert r.status_code == 200, r.json()
        assert r.json()["current"] is False
        again = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).json()
        assert again["cached"] is False and victim not in again["article_ids"]


def test_an_ingest_writes_the_new_profiles_not_every_stored_one(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """The index snapshot holds stories, not profiles (about 2 KB an article, which every
    ingest had rewritten whole); each profile is a row of its own, written once. A
    database whose snapshot still holds them (an older build's) is read as it is and
    moved to rows at the next save."""
    import logging
    import sqlite3

    db = tmp_path / "storybrief.db"
    seeds = seed_payload()
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seeds[:3]}).status_code == 201
        service = c.app.state.service  # type: ignore[attr-defined]
        (snap,) = _rows(db, "select data from index_state")[0]
        assert "articles" not in json.loads(snap) and len(snap) < 1000
        assert {r[0] for r in _rows(db, "select article_id from index_profiles")} == {
            a["id"] for a in seeds[:3]
        }
        assert c.delete(f"/v1/articles/{seeds[0]['id']}").status_code == 200
        assert c.post("/v1/articles", json={"articles": seeds[3:]}).status_code == 201
        assert {r[0] for r in _rows(db, "select article_id from index_profiles")} == {
            a["id"] for a in seeds[1:]
        }
        old_form = json.dumps(
            service.index.to_dict() | {"embedder": service.pipeline.embedder.name}
        )
        stories = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
    # as an older build left it: the profiles inline, no rows
    con = sqlite3.connect(db)
    with con:
        con.execute("update index_state set data = ?", (old_form,))
        con.execute("delete from index_profiles")
        # a row an older build left behind for an article it deleted
        con.execute("insert into index_profiles values ('orphan', '{}')")
    con.close()
    with caplog.at_level(logging.WARNING, logger="service.engine"):
        with TestClient(build_app(tmp_path, embedder)) as c:
            again = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
            assert again == stories
            r = c.post("/v1/articles", json={"articles": [seeds[0]]})
            assert r.status_code == 201 and r.json()["data"][0]["status"] == "created"
    assert "rebuilding" not in caplog.text  # read as it was, not rebuilt
    assert {r[0] for r in _rows(db, "select article_id from index_profiles")} == {
        a["id"] for a in seeds
    }  # the orphan row is gone with the rest of the older form
    assert json.loads(_rows(db, "select data from index_state")[0][0])["format"] == 2
    with TestClient(build_app(tmp_path, embedder)) as c:  # and read back from the rows
        assert sum(s["article_count"] for s in c.get("/v1/stories").json()["data"]) == 5


def test_profiles_from_before_the_other_event_fields_are_rebuilt_with_them(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """A profile stored before it said what an article tells of another event would keep
    nothing apart: at the next start the index is rebuilt from the stored articles, its
    stories as they were, and every profile gets the new fields."""
    import logging
    import sqlite3

    db = tmp_path / "storybrief.db"
    seeds = seed_payload()
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
        stories = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
    fields = ("kinds", "recalled", "own_lead", "new_event", "storms")
    con = sqlite3.connect(db)
    with con:  # as the last build wrote them
        for aid, data in con.execute("select article_id, data from index_profiles").fetchall():
            old = {k: v for k, v in json.loads(data).items() if k not in fields}
            con.execute(
                "update index_profiles set data = ? where article_id = ?", (json.dumps(old), aid)
            )
    con.close()
    with caplog.at_level(logging.WARNING, logger="service.engine"):
        with TestClient(build_app(tmp_path, embedder)) as c:
            again = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
    assert again == stories
    assert "predate the other-event fields" in caplog.text and "rebuilding" in caplog.text
    rows = _rows(db, "select data from index_profiles")
    assert len(rows) == len(seeds) and all(set(fields) <= set(json.loads(r[0])) for r in rows)


def test_a_write_after_a_failed_reload_reads_the_index_again(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is read back after the database lock was taken again (or a write failed):
    while that read fails, writes are refused (503) and the next one reads it again, never
    writing what memory held; an index that cannot be read is a 503, not the client's
    422."""
    import service.engine as engine

    real = engine._read_index
    calls: list[int] = []

    def failing(kind: type[Exception]) -> Any:
        def read(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) <= 2:  # the write's read, and the retry after it failed
                if kind is InputError:
                    raise InputError("unknown story index format 9")
                raise DatabaseGone("the database is unavailable")
            return real(*args, **kwargs)

        return read

    seeds = seed_payload()
    with TestClient(build_app(tmp_path, embedder)) as c:
        service = c.app.state.service  # type: ignore[attr-defined]
        assert c.post("/v1/articles", json={"articles": seeds[:2]}).status_code == 201
        for kind in (DatabaseGone, InputError):
            calls.clear()
            monkeypatch.setattr(engine, "_read_index", failing(kind))
            service.store.lock_epoch += 1  # as when the lock is taken again
            r = c.post("/v1/articles", json={"articles": [seeds[2]]})
            assert r.status_code == 503, r.text
            if kind is InputError:
                assert "the stored story index cannot be read" in r.json()["error"]["message"]
            assert len(calls) == 2
            # not read: memory's index is not taken for the current one
            assert service._lock_epoch != service.store.lock_epoch and service._index_dirty
            r = c.post("/v1/articles", json={"articles": [seeds[2]]})
            assert r.status_code in (200, 201), r.text
            assert len(calls) == 3  # read again before the write
            assert service._lock_epoch == service.store.lock_epoch


def test_a_correction_replaces_an_articles_text_in_its_story(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A newsroom corrects a story it sent: PUT /v1/articles/{id} puts the new text in
    place of the old under the same id. Before, sending it again was answered `existing`
    and the old text kept, with nothing to say so."""
    db = tmp_path / "storybrief.db"
    seeds = seed_payload()
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
        big = {s["article_count"]: s for s in c.get("/v1/stories").json()["data"]}[4]
        detail = c.get(f"/v1/stories/{big['id']}").json()
        target = detail["articles"][1]["id"]
        assert (
            c.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).status_code == 200
        )
        old = next(a for a in seeds if a["id"] == target)
        fixed = dict(old, title="Corrected: " + (old.get("title") or "story"))
        fixed["text"] = old["text"].replace("Pyongyang", "Pyongyang, the North Korean capital,", 1)
        assert fixed["text"] != old["text"]
        fixed.pop("id")
        # sent again with its url, the corrected text is answered `existing`, and says so
        if old.get("url"):
            r = c.post("/v1/articles", json={"articles": [fixed]})
            assert r.status_code == 200
            (item,) = r.json()["data"]
            assert item["status"] == "existing" and item["id"] == target
            assert f"PUT /v1/articles/{target}" in item["note"]
            assert c.get(f"/v1/articles/{target}").json()["text"] == old["text"]
        r = c.post("/v1/articles", json={"articles": [old]})
        assert r.json()["data"][0]["note"] is None  # the same text: nothing to say
        r = c.put(f"/v1/articles/{target}", json=fixed)
        assert r.status_code == 200, r.json()
        assert r.json() == {"id": target, "story_id": big["id"], "status": "replaced"}
        stored = c.get(f"/v1/articles/{target}").json()
        assert stored["text"] == fixed["text"] and stored["title"] == fixed["title"]
        after = c.get(f"/v1/stories/{big['id']}").json()
        assert after["article_count"] == 4 and after["revision"] > big["revision"]
        assert after["has_current_brief"] is False
        assert _rows(db, "select count(*) from briefs where story_id = ?", big["id"]) == [(0,)]
        brief = c.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).json()
        text = {a["id"]: a["text"] for a in [stored]}
        for s in brief["sentences"]:
            for cite in s["citations"]:
                if cite["article_id"] == target:
                    assert text[target][cite["start"] : cite["end"]] == cite["quote"]
        # the same again changes nothing
        again = c.put(f"/v1/articles/{target}", json=dict(fixed, id=target))
        assert again.status_code == 200 and again.json()["status"] == "unchanged"
        assert c.get(f"/v1/stories/{big['id']}").json()["revision"] == after["revision"]
        # what a correction may not be
        other = detail["articles"][2]["id"]
        other_text = c.get(f"/v1/articles/{other}").json()["text"]
        r = c.put(f"/v1/articles/{target}", json=dict(fixed, text=other_text))
        assert r.status_code == 409 and other in r.json()["error"]["message"]
        r = c.put(f"/v1/articles/{target}", json=dict(fixed, id="someone-else"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "id"
        r = c.put("/v1/articles/no-such-id", json=fixed)
        assert r.status_code == 404 and "POST" in r.json()["error"]["message"]
        r = c.put(f"/v1/articles/{target}", json=dict(fixed, text=""))
        assert r.status_code == 422
        r = c.put(f"/v1/articles/{target}", json=dict(fixed, text="A long line. " * 9_000))
        assert r.status_code == 413 and r.json()["error"]["field"] == "text"
        assert r.json()["error"]["message"].startswith("the article has 117000 characters")
        # nothing refused changed what is stored
        assert c.get(f"/v1/articles/{target}").json()["text"] == fixed["text"]
        assert c.get(f"/v1/articles/{other}").json()["text"] == other_text

        # the only article of a story keeps that story, and its id, when corrected
        lone = {s["article_count"]: s for s in c.get("/v1/stories").json()["data"]}[1]
        lone_id = c.get(f"/v1/stories/{lone['id']}").json()["articles"][0]["id"]
        art = c.get(f"/v1/articles/{lone_id}").json()
        body = {"outlet": art["outlet"], "text": art["text"] + " A correction was appended."}
        r = c.put(f"/v1/articles/{lone_id}", json=body)
        assert r.json() == {"id": lone_id, "story_id": lone["id"], "status": "replaced"}
        listing = c.get("/v1/stories").json()
        assert sorted(s["id"] for s in listing["data"]) == sorted([big["id"], lone["id"]])

    # a restart reads the corrected articles back from the store, in their stories
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.get(f"/v1/articles/{target}").json()["text"] == fixed["text"]
        assert c.get(f"/v1/stories/{big['id']}").json()["article_count"] == 4
        assert c.get(f"/v1/articles/{lone_id}").json()["text"] == body["text"]
        assert c.get(f"/v1/articles/{lone_id}").json()["story_id"] == lone["id"]


def test_a_correction_that_fails_to_commit_loses_nothing(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(tmp_path, embedder)
    with TestClient(app, raise_server_exceptions=False) as client:
        service = app.state.service
        story, victim = _seeded_victim(client)
        before = client.get(f"/v1/articles/{victim}").json()
        monkeypatch.setattr(service, "_save_index", _disk_full)
        body = {"outlet": before["outlet"], "text": before["text"] + " A line added later."}
        r = client.put(f"/v1/articles/{victim}", json=body)
        assert r.status_code == 500
        monkeypatch.undo()
        assert client.get(f"/v1/articles/{victim}").json()["text"] == before["text"]
        assert victim in service.index and service.index.story_of(victim) == story["id"]
        assert client.get(f"/v1/stories/{story['id']}").json()["article_count"] == 4
        r = client.put(f"/v1/articles/{victim}", json=body)
        assert r.status_code == 200 and r.json()["status"] == "replaced"
        assert client.get(f"/v1/articles/{victim}").json()["text"] == body["text"]


def test_a_brief_after_a_correction_quotes_the_new_text_even_if_the_old_was_cached_again(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A brief that restored the article just before a correction committed puts the old
    version back into the prepared cache after the correction's entry; the next brief
    must not quote the old text as current (a review reproduced this race)."""
    app = build_app(tmp_path, embedder)
    with TestClient(app) as c:
        assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
        service = app.state.service
        big = {s["article_count"]: s for s in c.get("/v1/stories").json()["data"]}[4]
        target = c.get(f"/v1/stories/{big['id']}").json()["articles"][0]["id"]
        old = c.get(f"/v1/articles/{target}").json()
        published = date.fromisoformat(old["published"]) if old["published"] else None
        before = Article(target, old["outlet"], old["text"], old["title"], old["url"], published)
        (stale,) = service.pipeline.prepare([before])
        body = {"outlet": old["outlet"], "title": old["title"], "url": old["url"]}
        body |= {"published": old["published"]}
        body["text"] = "Correction first. " + old["text"]
        assert c.put(f"/v1/articles/{target}", json=body).json()["status"] == "replaced"
        service.cache.put(stale)  # the racing brief's late write
        brief = c.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).json()
        stored = c.get(f"/v1/articles/{target}").json()["text"]
        assert stored == body["text"]
        for s in brief["sentences"]:
            for cite in s["citations"]:
                if cite["article_id"] == target:
                    assert stored[cite["start"] : cite["end"]] == cite["quote"]
        assert service.cache.get(target).article.text == body["text"]
