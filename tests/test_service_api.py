"""The REST routes through ``TestClient``: the real library (extractive briefs, the real
embedder), exact statuses and exact error bodies."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.app import create_app
from summarizer.embed import Embedder, load_embedder
from summarizer.io import HTML_MESSAGE, InputProblem, iter_inputs
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings
from summarizer.types import Article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
LAVROV = {
    "000_4bf6fc54423e42e9",
    "001_f379d34173393ac0",
    "002_46cb654348181e77",
    "003_b1e8c0a564446584",
}
CHOE = "004_27b7be31a2054198"

EXTRA_TEXT = (
    "Russian Foreign Minister Sergei Lavrov held talks in Pyongyang with North Korean "
    "leader Kim Jong Un on Thursday, state media reported. The two sides discussed "
    "cooperation between the two countries, according to the report. Lavrov thanked "
    "Pyongyang for its support of Moscow. The visit came a month after Kim travelled to "
    "Russia's Far East for a summit with President Vladimir Putin."
)


def seed_payload() -> list[dict[str, Any]]:
    out = []
    for item in iter_inputs([str(SEEDS)]):
        assert not isinstance(item, InputProblem), item
        assert isinstance(item, Article)
        out.append(
            {
                "id": item.id,
                "outlet": item.outlet,
                "title": item.title,
                "published": item.published.isoformat() if item.published else None,
                "text": item.text,
            }
        )
    return out


def err(type_: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "field": field}}


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    emb = load_embedder(Settings())
    yield emb
    emb.close()


def build_app(data_dir: Path, embedder: Embedder, **overrides: Any) -> FastAPI:
    """The app on a SQLite file in ``data_dir``, extractive; ``overrides`` go to Settings."""
    values: dict[str, Any] = {"data_dir": data_dir, "extractive_only": True}
    values.update(overrides)
    settings = Settings(**values)
    return create_app(settings, pipeline_factory=lambda s: Pipeline(s, embedder, None))


@pytest.fixture
def make_client(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., TestClient]]:
    """Start an app on a fresh SQLite file; keyword arguments override settings."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            app = build_app(tmp_path, embedder, **overrides)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    r = client.post("/v1/articles", json={"articles": seed_payload()})
    assert r.status_code == 201, r.text
    return client


def stories_by_size(client: TestClient) -> dict[int, dict[str, Any]]:
    data = client.get("/v1/stories").json()["data"]
    return {s["article_count"]: s for s in data}


# ---------------------------------------------------------------- health


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    end = time.monotonic() + 180  # the embedder loads in the background
    while time.monotonic() < end:
        r = client.get("/readyz")
        if r.status_code == 200:
            break
        assert r.status_code == 503
        assert r.json()["error"]["type"] == "not_ready"
        time.sleep(0.1)
    assert r.status_code == 200
    assert r.json() == {
        "status": "ready",
        "database": "ok",
        "embedder": "all-minilm-l6-v2",
        "generator": "extractive",
        "stories": 0,
        # nothing measured yet: the lanes' first guesses (an extractive brief, an ingest)
        "brief_seconds": 5.0,
        "ingest_seconds": 1.0,
    }


def test_sqlite_runs_in_wal_mode(client: TestClient, tmp_path: Path) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    assert service.store.journal_mode() == "wal"
    assert (tmp_path / "storybrief.db").is_file()


# ---------------------------------------------------------------- ingest


def test_ingest_groups_seeds_and_is_idempotent(client: TestClient) -> None:
    payload = {"articles": seed_payload()}
    first = client.post("/v1/articles", json=payload)
    assert first.status_code == 201
    body = first.json()
    assert body["count"] == 5 and body["created"] == 5
    assert [d["status"] for d in body["data"]] == ["created"] * 5
    story_of = {d["id"]: d["story_id"] for d in body["data"]}
    assert len({story_of[a] for a in LAVROV}) == 1
    assert story_of[CHOE] != story_of["000_4bf6fc54423e42e9"]
    assert sorted(body["stories"]) == sorted(set(story_of.values()))

    again = client.post("/v1/articles", json=payload)
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert [d["status"] for d in again.json()["data"]] == ["existing"] * 5
    assert {d["id"]: d["story_id"] for d in again.json()["data"]} == story_of
    assert client.get("/v1/stories").json()["count"] == 2


def test_same_url_or_same_cleaned_text_is_not_stored_twice(seeded: TestClient) -> None:
    art = seed_payload()[1]
    # Same text, new id: the cleaned text matches, the stored id comes back.
    r = seeded.post("/v1/articles", json={"articles": [{**art, "id": "copy-1"}]})
    assert r.status_code == 200
    assert r.json()["data"][0] == {
        "index": 0,
        "id": art["id"],
        "story_id": r.json()["data"][0]["story_id"],
        "status": "existing",
        "note": None,  # the same outlet's same text: nothing was lost
    }
    # Same text with extra whitespace around it: still the same cleaned text.
    r = seeded.post(
        "/v1/articles",
        json={"articles": [{**art, "id": "copy-2", "text": "\n\n" + art["text"] + "  \n"}]},
    )
    assert r.json()["data"][0]["id"] == art["id"]
    # Same url, different text and id: the stored article answers.
    first = {"outlet": "Wire", "url": "https://news.example/a", "text": EXTRA_TEXT}
    r1 = seeded.post("/v1/articles", json={"articles": [first]})
    assert r1.status_code == 201
    second = {**first, "id": "other", "text": EXTRA_TEXT + " More text follows here."}
    r2 = seeded.post("/v1/articles", json={"articles": [second]})
    assert r2.status_code == 200
    assert r2.json()["data"][0]["id"] == r1.json()["data"][0]["id"]
    assert "another text, and was kept" in r2.json()["data"][0]["note"]
    assert seeded.get("/v1/articles/other").status_code == 404
    # Another outlet's copy of a stored text is answered as the stored article, and the
    # answer says that outlet is not stored with it.
    r = seeded.post("/v1/articles", json={"articles": [{**art, "id": "z-1", "outlet": "Z"}]})
    item = r.json()["data"][0]
    assert item["id"] == art["id"] and item["status"] == "existing"
    assert f"from {art['outlet']!r}" in item["note"] and "'Z'" in item["note"]
    # the same within one request: two outlets' copies of one new text (wire copy)
    wire = {"outlet": "Wire", "text": EXTRA_TEXT + " It was the first such case."}
    r = seeded.post("/v1/articles", json={"articles": [wire, {**wire, "outlet": "Daily"}]})
    first, second = r.json()["data"]
    assert first["status"] == "created" and first["note"] is None
    assert second["status"] == "existing" and second["id"] == first["id"]
    assert "from 'Wire'" in second["note"] and "'Daily' was not stored" in second["note"]


def test_duplicates_within_one_request_share_one_article(client: TestClient) -> None:
    a = {"outlet": "Wire", "url": "https://news.example/b", "text": EXTRA_TEXT}
    b = {"id": "b-copy", "outlet": "Wire", "url": "https://news.example/b", "text": EXTRA_TEXT}
    r = client.post("/v1/articles", json={"articles": [a, b]})
    assert r.status_code == 201
    data = r.json()["data"]
    assert data[0]["status"] == "created" and data[1]["status"] == "existing"
    assert data[0]["id"] == data[1]["id"]
    assert r.json()["created"] == 1


def test_id_reused_for_a_different_text_is_a_conflict(seeded: TestClient) -> None:
    art = {**seed_payload()[0], "text": EXTRA_TEXT}
    r = seeded.post("/v1/articles", json={"articles": [art]})
    assert r.status_code == 409
    assert r.json() == err(
        "conflict",
        "article id '000_4bf6fc54423e42e9' is already stored with a different text",
        "articles.0.id",
    )


def test_get_article(seeded: TestClient) -> None:
    r = seeded.get("/v1/articles/001_f379d34173393ac0")
    assert r.status_code == 200
    body = r.json()
    assert body["outlet"] == "AP"
    assert body["published"] == "2023-10-19"
    assert body["text"] == (SEEDS / "001_f379d34173393ac0.txt").read_text(encoding="utf-8")
    assert body["sentences"] > 5
    r = seeded.get("/v1/articles/nope")
    assert r.status_code == 404
    assert r.json() == err("not_found", "no article with id 'nope'", "article_id")


# ---------------------------------------------------------------- bad input


GOOD = {"outlet": "Wire", "text": EXTRA_TEXT}


@pytest.mark.parametrize(
    ("article", "expected"),
    [
        ({**GOOD, "colour": "red"}, ("unknown field 'colour'", "articles.0.colour")),
        ({**GOOD, "text": 42}, ("text must be a string, not int", "articles.0.text")),
        ({**GOOD, "outlet": 7}, ("must be a string, not int", "articles.0.outlet")),
        ({**GOOD, "text": "   \n "}, ("text is empty", "articles.0.text")),
        *(
            (
                {**GOOD, "id": bad},
                (
                    "id must be non-blank, not '.' or '..', without '/', whitespace, control "
                    "characters or invisible format characters",
                    "articles.0.id",
                ),
            )
            for bad in ("a/b", "..", ".", "a\u200bb", "a\x1bb", "a\u202eb")
        ),
        (
            {**GOOD, "outlet": "AP\x1b[31m"},
            (
                "outlet must not contain control characters (U+001B at character 3)",
                "articles.0.outlet",
            ),
        ),
        (
            {**GOOD, "title": "Budget\x07 passes"},
            (
                "title must not contain control characters (U+0007 at character 7)",
                "articles.0.title",
            ),
        ),
        (
            {**GOOD, "url": "https://news.example/\x85a"},
            (
                "url must not contain control characters (U+0085 at character 22)",
                "articles.0.url",
            ),
        ),
        ({"outlet": "Wire"}, ("text is required", "articles.0.text")),
        (
            {**GOOD, "published": "1066-10-14"},
            ("published 1066-10-14 is not a plausible publication date", "articles.0.published"),
        ),
        (
            {**GOOD, "published": "yesterday"},
            (
                "published must be an ISO date like 2023-10-19, optionally with a valid time "
                "(2023-10-19T08:30:00Z), not 'yesterday'",
                "articles.0.published",
            ),
        ),
        *(
            (
                {**GOOD, "published": bad},
                (
                    "published must be an ISO date like 2023-10-19, optionally with a valid "
                    f"time (2023-10-19T08:30:00Z), not {bad!r}",
                    "articles.0.published",
                ),
            )
            for bad in ("2023-02-03 garbage", "2023-10-19T25:99:00Z", "2023-10-19T08:30+99:00")
        ),
        (
            {**GOOD, "url": "https://example.org/a\nb"},
            ("url must not contain spaces, tabs or line breaks", "articles.0.url"),
        ),
        (
            {**GOOD, "url": "javascript:alert(1)"},
            ("url must be a web address starting with http:// or https://", "articles.0.url"),
        ),
        (
            {
                **GOOD,
                "text": "<html><body><div class='a'><p>Hello</p><p>world</p>"
                "<span>x</span></div></body></html>",
            },
            (
                HTML_MESSAGE,
                "articles.0.text",
            ),
        ),
        (
            # light markup: two paragraphs in <p> tags had been stored with their tags
            {**GOOD, "text": "<p>The council met on Tuesday.</p><p>It voted to close it.</p>"},
            (HTML_MESSAGE, "articles.0.text"),
        ),
        (
            {**GOOD, "text": EXTRA_TEXT + "<br>More lines.<br/>" + EXTRA_TEXT},
            (HTML_MESSAGE, "articles.0.text"),
        ),
        (
            {**GOOD, "text": "<div><p>" + "</p><p>".join(["Short line here."] * 20) + "</p></div>"},
            (
                HTML_MESSAGE,
                "articles.0.text",
            ),
        ),
    ],
)
def test_invalid_article_is_refused_with_a_clear_422(
    client: TestClient, article: dict[str, Any], expected: tuple[str, str]
) -> None:
    r = client.post("/v1/articles", json={"articles": [article]})
    assert r.status_code == 422
    assert r.json() == err("validation_error", *expected)


@pytest.mark.parametrize(
    "article",
    [
        {**GOOD, "outlet": "AP\x1b[31m"},
        {**GOOD, "title": "Budget\x07 passes"},
        {**GOOD, "url": "https://news.example/\x7fa"},
        {**GOOD, "id": "ap\u200b-1"},
        {**GOOD, "id": "ap\t1"},
        {**GOOD, "text": "<div><p>" + "</p><p>".join(["Short line here."] * 20) + "</p></div>"},
    ],
)
def test_what_the_api_refuses_a_file_may_not_bring_either(
    client: TestClient, tmp_path: Path, article: dict[str, Any]
) -> None:
    """The schema's field rules are the library's, which the CLI's readers ask: one
    article is refused by both, and the outlet's, title's, url's and text's in the same
    words (the API words the id's own rule for an id in a path)."""
    r = client.post("/v1/articles", json={"articles": [article]})
    assert r.status_code == 422
    api = r.json()["error"]
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(article) + "\n", encoding="utf-8")
    (problem,) = iter_inputs([str(path)])
    assert isinstance(problem, InputProblem) and problem.line == 1
    field = api["field"].rsplit(".", 1)[-1]
    assert problem.message.startswith(f"{field} ")
    if field != "id":
        assert problem.message == api["message"]


def test_a_title_or_outlet_over_several_lines_is_stored_on_one(client: TestClient) -> None:
    article = {**GOOD, "id": "lines-1", "title": "Lavrov in\nPyongyang", "outlet": "Wire\tDesk"}
    assert client.post("/v1/articles", json={"articles": [article]}).status_code == 201
    stored = client.get("/v1/articles/lines-1").json()
    assert (stored["title"], stored["outlet"]) == ("Lavrov in Pyongyang", "Wire Desk")


def test_plain_text_mentioning_a_tag_is_not_html(client: TestClient) -> None:
    text = EXTRA_TEXT + " Analysts wrote <b> in their notes, and the <title> tag stayed empty."
    r = client.post("/v1/articles", json={"articles": [{**GOOD, "text": text}]})
    assert r.status_code == 201


def test_a_body_that_is_missing_or_not_json_says_so(client: TestClient) -> None:
    r = client.post("/v1/articles")
    assert r.status_code == 422
    assert r.json() == err("validation_error", "the request has no body; send a JSON object", None)
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post("/v1/briefs", content=b'{"articles": []}', headers=form)
    assert r.status_code == 422
    assert r.json()["error"]["message"] == (
        "the body is not JSON (Content-Type: application/x-www-form-urlencoded); send a JSON "
        "object with Content-Type: application/json"
    )
    r = client.post("/v1/briefs", json={"articles": [GOOD], "store": "yes"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "store"


def test_request_level_errors(client: TestClient) -> None:
    r = client.post("/v1/articles", json={"articles": []})
    assert r.status_code == 422
    assert r.json() == err(
        "validation_error", "List should have at least 1 item after validation, not 0", "articles"
    )
    r = client.post("/v1/articles", json={"articles": [GOOD], "extra": 1})
    assert r.json() == err("validation_error", "unknown field 'extra'", "extra")
    r = client.post("/v1/articles", json=[GOOD])
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "validation_error"
    r = client.post(
        "/v1/articles",
        content=b'{"articles": [',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json() == err(
        "validation_error", "malformed JSON: Expecting value (line 1, column 15)"
    )


def test_malformed_json_says_the_line_and_column_as_the_parser_counts_them(
    client: TestClient,
) -> None:
    """The message placed nothing ("malformed JSON: Expecting value"); the CLI gives a
    column, the API gives both, counted in characters from 1 as Python's parser does."""
    body = '{"articles": [\n  {"outlet": "Café AP", "text": "x",}\n]}'
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(body)
    assert (parsed.value.lineno, parsed.value.colno) == (2, 37)  # the "}" after the comma
    r = client.post(
        "/v1/articles", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json() == err(
        "validation_error",
        "malformed JSON: Expecting property name enclosed in double quotes (line 2, column 37)",
    )


def test_a_body_the_json_parser_gives_up_on_is_a_400_that_says_why(client: TestClient) -> None:
    """Too deep a nesting and too long an integer were "There was an error parsing the
    body"; they stay 400, with what stopped the parser."""
    headers = {"content-type": "application/json"}
    r = client.post("/v1/articles", content=b"[" * 100_000, headers=headers)
    assert r.status_code == 400
    assert r.json() == err("bad_request", "malformed JSON: nested too deeply to parse")
    digits = sys.get_int_max_str_digits()
    number = b"9" * 5_000
    assert len(number) > digits > 0
    r = client.post(
        "/v1/articles",
        content=b'{"articles": [{"outlet": "AP", "text": ' + number + b"}]}",
        headers=headers,
    )
    assert r.status_code == 400
    assert r.json() == err(
        "bad_request",
        f"malformed JSON: a number of more than {digits:,} digits, too long to parse "
        "(no field takes a number that long)",
    )


def test_non_utf8_body_is_refused(client: TestClient) -> None:
    body = json.dumps(
        {"articles": [{**GOOD, "text": "caf\u00e9 " + EXTRA_TEXT}]}, ensure_ascii=False
    )
    r = client.post(
        "/v1/articles",
        content=body.encode("latin-1"),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    at = body.encode("latin-1").index(b"\xe9")
    assert r.json() == err("bad_request", f"the request body is not valid UTF-8 (byte {at})")


def test_duplicate_ids_in_one_request(client: TestClient) -> None:
    a = {**GOOD, "id": "same"}
    b = {**GOOD, "id": "same", "text": EXTRA_TEXT + " Another sentence here."}
    r = client.post("/v1/articles", json={"articles": [a, b]})
    assert r.status_code == 422
    assert r.json() == err(
        "invalid_input",
        "duplicate article id 'same' (articles #0 and #1); ids must be unique within a request",
        "articles.1.id",
    )


def test_an_empty_or_padded_url_is_no_url_or_the_url(client: TestClient) -> None:
    """The web-address check reads the url as stored: trimmed, and empty is none."""
    for url, stored in (
        ("", None),
        ("   ", None),
        ("  https://news.example/x  ", "https://news.example/x"),
    ):
        text = f"{EXTRA_TEXT} The case with a url of {len(url)} characters was heard."
        art = {**GOOD, "id": f"u{len(url)}", "url": url, "text": text}
        r = client.post("/v1/articles", json={"articles": [art]})
        assert r.status_code == 201, r.json()
        assert client.get(f"/v1/articles/u{len(url)}").json()["url"] == stored


def test_a_copy_sent_twice_in_one_request_is_one_article(client: TestClient) -> None:
    """Syndicated copy without ids or urls: the same text twice derives one id; the copy
    is answered as the first, stored once, and briefed once."""
    a = {k: v for k, v in GOOD.items() if k not in ("id", "url")}
    b = {**a, "outlet": "Other Wire", "text": "  " + a["text"].replace(" ", "  ") + "\n"}
    r = client.post("/v1/articles", json={"articles": [a, b]})
    assert r.status_code == 201, r.json()
    first, second = r.json()["data"]
    assert second["id"] == first["id"] and second["status"] == "existing"
    assert client.get(f"/v1/articles/{first['id']}").status_code == 200
    r = client.post("/v1/briefs", json={"articles": [a, a]})
    assert r.status_code == 200, r.json()
    (brief,) = r.json()["data"]
    assert brief["article_ids"] == [first["id"]]


def test_a_request_is_all_or_nothing(seeded: TestClient) -> None:
    good = {"id": "good-one", **GOOD}
    # Cleans down to nothing: only a caption-like fragment.
    bad = {"id": "bad-one", "outlet": "Wire", "text": "Full Screen"}
    r = seeded.post("/v1/articles", json={"articles": [good, bad]})
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["type"] == "empty_text"
    assert body["field"] == "articles.1.text"
    assert body["message"].startswith("article #1 (id 'bad-one'): nothing is left")
    assert seeded.get("/v1/articles/good-one").status_code == 404
    assert seeded.get("/v1/stories").json()["count"] == 2
    # The in-memory story index was not left holding the refused article.
    r = seeded.post("/v1/articles", json={"articles": [good]})
    assert r.status_code == 201


def test_limits(make_client: Callable[..., TestClient]) -> None:
    c = make_client(
        max_articles_per_request=2,
        max_articles_per_job=3,
        max_chars_per_article=500,
        max_body_bytes=4096,
    )
    r = c.post("/v1/articles", json={"articles": [GOOD, GOOD, GOOD]})
    assert r.status_code == 413
    assert r.json() == err(
        "payload_too_large",
        "3 articles in one request; the limit is 2 (send larger sets to POST /v1/jobs)",
        "articles",
    )
    r = c.post("/v1/jobs", json={"articles": [GOOD] * 4})
    assert r.status_code == 413
    assert r.json() == err(
        "payload_too_large",
        "4 articles in one request; the limit is 3 (split the set into several jobs)",
        "articles",
    )
    long = {**GOOD, "text": EXTRA_TEXT * 2}
    r = c.post("/v1/articles", json={"articles": [GOOD, long]})
    assert r.status_code == 413
    assert r.json() == err(
        "payload_too_large",
        f"article #1 has {len(long['text'])} characters; the limit is 500",
        "articles.1.text",
    )
    # counted as submitted, before "&amp;" is decoded, as the CLI's readers count it:
    # 504 characters sent, 420 once decoded
    escaped = {**GOOD, "text": "Q&amp;A at the council. " * 21}
    r = c.post("/v1/articles", json={"articles": [escaped]})
    assert r.status_code == 413
    assert r.json() == err(
        "payload_too_large",
        "article #0 has 504 characters; the limit is 500",
        "articles.0.text",
    )
    big = json.dumps({"articles": [{**GOOD, "text": "x" * 5000}]}).encode()
    r = c.post("/v1/articles", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == err(
        "payload_too_large", "the request body is larger than the limit of 4096 bytes"
    )
    # Without Content-Length (chunked): counted while it streams in.
    r = c.post(
        "/v1/articles",
        content=iter([big[:3000], big[3000:]]),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json() == err(
        "payload_too_large", "the request body is larger than the limit of 4096 bytes"
    )


def test_unknown_route_and_method(client: TestClient) -> None:
    r = client.get("/v1/nothing")
    assert r.status_code == 404
    assert r.json() == err("not_found", "no such endpoint: GET '/v1/nothing'")
    r = client.delete("/v1/stories")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    assert r.json() == err("method_not_allowed", "DELETE is not allowed here; allowed: GET, HEAD")
    # a path two routes share allows the methods of both
    r = client.patch("/v1/articles/a1", json={})
    assert r.status_code == 405 and r.headers["allow"] == "DELETE, GET, HEAD, PUT"
    # HEAD where only POST is: a 405 naming HEAD, without a body
    r = client.head("/v1/jobs")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.content == b""
    r = client.head("/v1/nothing")
    assert r.status_code == 404 and r.content == b""
    # a long id is not echoed whole
    r = client.get("/v1/articles/" + "x" * 10_000)
    assert r.status_code == 404 and len(r.text) < 300
    assert r.json()["error"]["message"] == f"no article with id {'x' * 79 + '…'!r}"


def test_an_unknown_query_parameter_is_refused_not_ignored(seeded: TestClient) -> None:
    """A misspelt ``lenght=short`` had been dropped in silence, and a standard brief
    written instead after seconds of generation."""
    sid = seeded.get("/v1/stories").json()["data"][0]["id"]
    r = seeded.get(f"/v1/stories/{sid}/brief", params={"lenght": "short"})
    assert r.status_code == 422
    assert r.json() == err(
        "validation_error",
        "unknown query parameter 'lenght'; this route takes: format, length, refresh",
        "lenght",
    )
    r = seeded.get("/v1/articles/x", params={"verbose": "1"})
    assert r.status_code == 422 and r.json()["error"]["message"].endswith("takes: none")
    # the parameters a route takes still work, and so does a client's cache-buster ("_");
    # a POST's query is read the same way
    assert seeded.get("/v1/stories", params={"limit": 1, "offset": 0}).status_code == 200
    assert seeded.get("/v1/stories", params={"_": "1700000000000"}).status_code == 200
    r = seeded.get(f"/v1/stories/{sid}/brief", params={"_length": "short"})  # not a buster
    assert r.status_code == 422 and r.json()["error"]["field"] == "_length"
    r = seeded.post("/v1/articles?dry_run=1", json={"articles": seed_payload()})
    assert r.status_code == 422 and r.json()["error"]["field"] == "dry_run"


def test_an_id_with_a_control_character_in_the_path_is_a_404(client: TestClient) -> None:
    for path, field in (
        ("/v1/articles/a%00b", "article_id"),
        ("/v1/stories/a%01b", "story_id"),
        ("/v1/stories/a%00b/brief", "story_id"),
        ("/v1/jobs/a%7Fb", "job_id"),
    ):
        r = client.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["field"] == field


def test_head_answers_every_get_route_without_a_body(seeded: TestClient) -> None:
    story = seeded.get("/v1/stories").json()["data"][0]["id"]
    for path in ("/healthz", "/readyz", "/v1/stories", f"/v1/stories/{story}", "/v1/articles/nope"):
        got, head = seeded.get(path), seeded.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers["content-length"] == str(len(got.content)), path
        assert head.headers["content-type"] == got.headers["content-type"], path


def test_an_id_with_a_combining_accent_is_refused_for_its_composed_twin(
    client: TestClient,
) -> None:
    """'café' with a combining accent looks like the precomposed one; two such ids would
    name two articles that look alike."""
    art = {"outlet": "AP", "text": "Officials met in Geneva on Monday to discuss the ceasefire."}
    r = client.post("/v1/articles", json={"articles": [{**art, "id": "cafe\u0301"}]})
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "articles.0.id"
    assert "normal form C" in r.json()["error"]["message"]
    r = client.post("/v1/articles", json={"articles": [{**art, "id": "caf\u00e9"}]})
    assert r.status_code == 201
    # an article stored with a job before the rule is read back as it was stored
    from service.schemas import ArticleIn

    stored = ArticleIn.model_validate({**art, "id": "cafe\u0301"}, context={"stored": True})
    assert stored.id == "cafe\u0301"


# ---------------------------------------------------------------- stories


def test_stories_list_newest_first_with_paging_and_filter(seeded: TestClient) -> None:
    body = seeded.get("/v1/stories").json()
    assert body["count"] == 2
    first, second = body["data"]
    assert first["article_count"] == 1 and first["last_published"] == "2024-01-15"
    assert second["article_count"] == 4
    assert second["first_published"] == "2023-10-19"
    assert second["last_published"] == "2023-10-20"
    assert sorted(second["outlets"]) == sorted(["Yonhap", "AP", "CNA", "Unnamed aggregator"])
    assert not first["has_current_brief"] and not second["has_current_brief"]
    assert second["headline"]
    # The untitled article's story is headed by its first sentence, cut at a word.
    choe = next(a for a in seed_payload() if a["id"] == CHOE)
    assert not choe["title"]
    text = " ".join(choe["text"].split())
    stem = first["headline"].removesuffix("…")
    at = text.find(stem)
    assert stem and at >= 0 and len(first["headline"].split()) <= 15
    assert not text[at + len(stem)].isalnum()
    page = seeded.get("/v1/stories", params={"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [s["id"] for s in page["data"]] == [second["id"]]
    later = seeded.get("/v1/stories", params={"updated_since": "2999-01-01T00:00:00Z"}).json()
    assert later["data"] == [] and later["count"] == 0
    earlier = seeded.get("/v1/stories", params={"updated_since": "2000-01-01T00:00:00Z"})
    assert earlier.json()["count"] == 2
    r = seeded.get("/v1/stories", params={"limit": 0})
    assert r.status_code == 422
    assert r.json() == err(
        "validation_error", "Input should be greater than or equal to 1", "limit"
    )


def test_updated_since_out_of_range_in_utc_is_a_422(seeded: TestClient) -> None:
    # Valid ISO 8601 times that fall outside the years 1..9999 once moved to UTC.
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        r = seeded.get("/v1/stories", params={"updated_since": value})
        assert r.status_code == 422, (value, r.text)
        assert r.json() == err(
            "validation_error",
            "out of range: the time must fall between 0001-01-01T00:00:00Z and "
            "9999-12-31T23:59:59Z in UTC",
            "updated_since",
        )
    # The extremes that stay in range, with a zone or without one (taken as UTC).
    for value, count in (
        ("0001-01-01T00:00:00-01:00", 2),
        ("0001-01-01T00:00:00", 2),
        ("9999-12-31T23:59:59+01:00", 0),
        ("9999-12-31T23:59:59", 0),
        ("2000-01-01T02:00:00+02:00", 2),
    ):
        r = seeded.get("/v1/stories", params={"updated_since": value})
        assert r.status_code == 200, (value, r.text)
        assert r.json()["count"] == count, value


def test_an_offset_whose_plus_came_unencoded_is_refused_saying_to_send_2b(
    client: TestClient,
) -> None:
    """A '+' in a query string is a space: "+05:00" sent as is arrived as " 05:00" and was
    refused with "unexpected extra characters at the end of the input"."""
    for sent, shown in (
        ("2026-11-25T06:07:30+05:00", "2026-11-25T06:07:30%2B05:00"),
        ("2026-11-25 06:07+0530", "2026-11-25 06:07%2B0530"),
        ("2026-11-25T06:07:30.25+05:00", "2026-11-25T06:07:30.25%2B05:00"),
    ):
        r = client.get(f"/v1/stories?updated_since={sent}")
        assert r.status_code == 422, (sent, r.text)
        assert r.json() == err(
            "validation_error",
            "the time holds a space where its offset's '+' would be: a '+' in a query "
            f"string is read as a space, so send it as %2B (updated_since={shown})",
            "updated_since",
        )
        # sent as it says, the same time is taken
        r = client.get(f"/v1/stories?updated_since={shown}")
        assert r.status_code == 200, (shown, r.text)
    # a '-' offset needs no encoding, and other junk keeps the parser's own message
    assert client.get("/v1/stories?updated_since=2026-11-25T06:07:30-05:00").status_code == 200
    r = client.get("/v1/stories?updated_since=2026-11-25T06:07:30 later")
    assert r.status_code == 422
    assert "unexpected extra characters" in r.json()["error"]["message"]


def test_story_detail_has_articles_and_timeline(seeded: TestClient) -> None:
    big = stories_by_size(seeded)[4]
    r = seeded.get(f"/v1/stories/{big['id']}")
    assert r.status_code == 200
    body = r.json()
    assert {a["id"] for a in body["articles"]} == LAVROV
    dates = [t["date"] for t in body["timeline"]]
    assert dates == sorted(dates) == ["2023-10-19", "2023-10-19", "2023-10-20", "2023-10-20"]
    r = seeded.get("/v1/stories/st_missing")
    assert r.status_code == 404
    assert r.json() == err("not_found", "no story with id 'st_missing'", "story_id")


# ---------------------------------------------------------------- briefs


def check_citations(brief: dict[str, Any]) -> None:
    texts = {p["id"]: p["text"] for p in seed_payload()}
    assert brief["sentences"]
    for sent in brief["sentences"]:
        assert sent["citations"]
        for cit in sent["citations"]:
            assert texts[cit["article_id"]][cit["start"] : cit["end"]] == cit["quote"]


def test_story_brief_is_stored_and_reused_until_the_story_changes(seeded: TestClient) -> None:
    big = stories_by_size(seeded)[4]
    r = seeded.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"})
    assert r.status_code == 200
    first = r.json()
    assert first["story_id"] == big["id"]
    assert sorted(first["article_ids"]) == sorted(LAVROV)
    assert first["cached"] is False and first["current"] is True
    assert first["length"] == "short"
    assert first["model"]["name"] == "extractive"
    check_citations(first)

    again = seeded.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).json()
    assert again["cached"] is True
    assert again["generated_at"] == first["generated_at"]
    assert again["sentences"] == first["sentences"]
    assert stories_by_size(seeded)[4]["has_current_brief"] is True

    # Another length is a separate brief.
    std = seeded.get(f"/v1/stories/{big['id']}/brief").json()
    assert std["length"] == "standard" and std["cached"] is False

    refreshed = seeded.get(
        f"/v1/stories/{big['id']}/brief", params={"length": "short", "refresh": "true"}
    ).json()
    assert refreshed["cached"] is False
    assert refreshed["generated_at"] > first["generated_at"]

    # A new article joins the story: the stored brief is no longer current.
    new = {"id": "extra-lavrov", "outlet": "Wire", "published": "2023-10-19", "text": EXTRA_TEXT}
    r = seeded.post("/v1/articles", json={"articles": [new]})
    assert r.json()["data"][0]["story_id"] == big["id"]
    listed = stories_by_size(seeded)[5]
    assert listed["has_current_brief"] is False and listed["revision"] == big["revision"] + 1
    fresh = seeded.get(f"/v1/stories/{big['id']}/brief", params={"length": "short"}).json()
    assert fresh["cached"] is False
    assert "extra-lavrov" in fresh["article_ids"]


def test_brief_errors(seeded: TestClient) -> None:
    r = seeded.get("/v1/stories/st_missing/brief")
    assert r.status_code == 404
    assert r.json() == err("not_found", "no story with id 'st_missing'", "story_id")
    sid = stories_by_size(seeded)[1]["id"]
    r = seeded.get(f"/v1/stories/{sid}/brief", params={"length": "huge"})
    assert r.status_code == 422
    assert r.json() == err(
        "validation_error", "Input should be 'short', 'standard' or 'long'", "length"
    )


def test_stateless_briefs_store_nothing(client: TestClient) -> None:
    r = client.post("/v1/briefs", json={"articles": seed_payload(), "length": "short"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and body["articles"] is None
    assert sorted(len(b["article_ids"]) for b in body["data"]) == [1, 4]
    for b in body["data"]:
        check_citations(b)
        assert b["length"] == "short"
        assert b["story_id"].startswith("tmp_")  # no stored story's id
    assert client.get("/v1/stories").json()["count"] == 0
    assert client.get("/v1/articles/001_f379d34173393ac0").status_code == 404


def test_a_stateless_brief_never_carries_a_stored_storys_id(client: TestClient) -> None:
    """An article set that reuses a stored article's id for other text is briefed, and
    its brief names no stored story."""
    stored = {**GOOD, "id": "tst-1"}
    sid = client.post("/v1/articles", json={"articles": [stored]}).json()["data"][0]["story_id"]
    other = {"id": "tst-1", "outlet": "Y", "text": seed_payload()[4]["text"]}
    r = client.post("/v1/briefs", json={"articles": [other]})
    assert r.status_code == 200, r.text
    (brief,) = r.json()["data"]
    assert brief["story_id"] != sid and brief["story_id"] == "tmp_" + sid.removeprefix("st_")


def test_briefs_with_store_true_keep_articles_and_briefs(client: TestClient) -> None:
    r = client.post("/v1/briefs", json={"articles": seed_payload(), "store": True})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 2 and len(body["articles"]) == 5
    listed = client.get("/v1/stories").json()["data"]
    assert all(s["has_current_brief"] for s in listed)
    sid = body["data"][0]["story_id"]
    assert client.get(f"/v1/stories/{sid}/brief").json()["cached"] is True


def test_a_stored_story_deleted_before_its_brief_is_left_out_of_the_answer(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /v1/briefs with store: the articles are stored first; a story whose articles
    were deleted before its brief was written has no brief, and the others are answered
    (the request had answered 404 as a whole, although its articles were stored)."""
    service = client.app.state.service  # type: ignore[attr-defined]
    real = service.story_brief
    gone: list[str] = []

    def first_deleted(sid: str, length: str, **kwargs: Any) -> Any:
        if not gone:
            gone.append(sid)
            for art in client.get(f"/v1/stories/{sid}").json()["articles"]:
                service.delete_article(art["id"])
        return real(sid, length, **kwargs)

    monkeypatch.setattr(service, "story_brief", first_deleted)
    r = client.post("/v1/briefs", json={"articles": seed_payload(), "store": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(gone) == 1 and body["count"] == 1 and len(body["articles"]) == 5
    assert body["data"][0]["story_id"] != gone[0]
    assert client.get(f"/v1/stories/{gone[0]}").status_code == 404


# ---------------------------------------------------------------- restart


def test_stories_and_briefs_survive_a_restart(tmp_path: Path, embedder: Embedder) -> None:
    with TestClient(build_app(tmp_path, embedder)) as c1:
        c1.post("/v1/articles", json={"articles": seed_payload()})
        sid = stories_by_size(c1)[4]["id"]
        first = c1.get(f"/v1/stories/{sid}/brief").json()
    with TestClient(build_app(tmp_path, embedder)) as c2:
        _after_restart(c2, sid, first)


def _after_restart(c2: TestClient, sid: str, first: dict[str, Any]) -> None:
    assert c2.get("/v1/stories").json()["count"] == 2
    again = c2.get(f"/v1/stories/{sid}/brief").json()
    assert again["cached"] is True and again["generated_at"] == first["generated_at"]
    # The index came back too: a new article joins the existing story.
    new = {"outlet": "Wire", "published": "2023-10-19", "text": EXTRA_TEXT}
    r = c2.post("/v1/articles", json={"articles": [new]})
    assert r.json()["data"][0]["story_id"] == sid


def test_a_brief_stored_by_another_model_is_written_again(client: TestClient) -> None:
    """Changing the generator makes the stored briefs stale, as new articles would."""
    from service.store import BriefRow

    client.post("/v1/articles", json={"articles": seed_payload()})
    sid = stories_by_size(client)[4]["id"]
    first = client.get(f"/v1/stories/{sid}/brief").json()
    assert first["model"]["name"] == "extractive"
    assert client.get(f"/v1/stories/{sid}/brief").json()["cached"] is True

    service = client.app.state.service  # type: ignore[attr-defined]
    with service.store.session() as s:  # as if an earlier configuration had written it
        row = s.get(BriefRow, (sid, "standard"))
        row.data = {**row.data, "model": {"name": "old-model", "backend": "x", "sha256": "0"}}
    listed = {s["id"]: s for s in client.get("/v1/stories").json()["data"]}
    assert listed[sid]["has_current_brief"] is False
    again = client.get(f"/v1/stories/{sid}/brief").json()
    assert again["cached"] is False and again["model"]["name"] == "extractive"
    assert [x["text"] for x in again["sentences"]] == [x["text"] for x in first["sentences"]]
    assert client.get(f"/v1/stories/{sid}/brief").json()["cached"] is True
    listed = {s["id"]: s for s in client.get("/v1/stories").json()["data"]}
    assert listed[sid]["has_current_brief"] is True


def test_a_brief_asked_for_after_an_ingest_never_joins_a_task_of_the_old_articles(
    seeded: TestClient,
) -> None:
    """A task queued before an article joined the story would answer with a brief of the
    old articles; a request made after the ingest (a job's, or a plain GET) must get one
    of the new story."""
    import threading

    service = seeded.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    stories = seeded.get("/v1/stories").json()["data"]
    sid = max(stories, key=lambda st: st["article_count"])["id"]  # the Lavrov visit
    gate = threading.Event()
    service.brief_lane.submit(lambda: gate.wait(30), bounded=False)
    try:
        before = service.submit_story_brief(sid, "short", refresh=False, bounded=False)
        art = {"id": "late", "outlet": "W", "published": "2023-10-19", "text": EXTRA_TEXT}
        r = seeded.post("/v1/articles", json={"articles": [art]})
        assert r.status_code == 201 and r.json()["data"][0]["story_id"] == sid
        after = service.submit_story_brief(sid, "short", refresh=False, bounded=False)
        assert after is not before
        again = service.submit_story_brief(sid, "short", refresh=False, bounded=False)
        assert again is after  # requests at one revision still share a task
    finally:
        gate.set()
    before.result(60)  # queued, it read the story when it ran; running, it would not have
    new = after.result(60)
    assert "late" in new.article_ids and new.current


def test_a_timed_out_brief_request_briefs_no_further_story(
    make_client: Callable[..., TestClient],
) -> None:
    """Past its deadline a multi-story request has had its 504; the lane stops there."""
    c = make_client(request_timeout_s=1)
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    real = service.pipeline.brief
    calls: list[str] = []

    def slow(story: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(story.id)
        time.sleep(0.6)
        return real(story, *args, **kwargs)

    service.pipeline.brief = slow
    topics = [
        "The bridge in Wexby closed on Monday for repairs after engineers found cracks.",
        "Al Ahly beat Zamalek 3-1 in the cup final in Cairo on Friday night.",
        "The central bank raised its main interest rate by half a point on Thursday.",
        "A new species of frog was found in the rainforest of northern Peru.",
        "The orchestra cancelled its winter tour after the conductor fell ill.",
    ]
    body = {"articles": [{"outlet": f"O{i}", "text": t} for i, t in enumerate(topics)]}
    r = c.post("/v1/briefs", json=body)
    assert r.status_code == 504
    time.sleep(2.5)  # what the lane would still have done
    assert 1 <= len(calls) <= 3 < len(topics)


def test_an_ingest_past_its_deadline_stops_embedding_and_stores_nothing(
    make_client: Callable[..., TestClient],
) -> None:
    """Within the size limits a request can hold minutes of embedding; past its deadline
    its client has a 504, so the lane stops between chunks instead of finishing for
    nobody."""
    from summarizer import pipeline as pipeline_module

    c = make_client(request_timeout_s=1)
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    embedder = service.pipeline.embedder
    real = embedder.encode
    chunks: list[int] = []

    def slow(texts: Any, *args: Any, **kwargs: Any) -> Any:
        chunks.append(len(texts))
        time.sleep(0.7)
        return real(texts, *args, **kwargs)

    embedder.encode = slow
    try:
        size = pipeline_module.PREPARE_CHUNK
        text = " ".join(f"The mayor of town {k} opened bridge {k} on Monday." for k in range(900))
        body = {"articles": [{"outlet": f"O{i}", "text": f"{text} Article {i}."} for i in range(4)]}
        r = c.post("/v1/articles", json=body)
        assert r.status_code == 504
        time.sleep(2.5)  # what the lane would still have embedded
        assert chunks and max(chunks) <= size
        assert len(chunks) <= 3 < (4 * 900) / size  # it stopped, well short of the whole
    finally:
        embedder.encode = real
    assert c.get("/v1/stories").json()["count"] == 0


def test_a_brief_comes_as_markdown_on_request(seeded: TestClient) -> None:
    """`format=markdown`: the brief as the CLI prints it, with its [n] markers and sources;
    the same brief as the JSON (served from the store the second time)."""
    sid = stories_by_size(seeded)[4]["id"]
    as_json = seeded.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).json()
    r = seeded.get(f"/v1/stories/{sid}/brief", params={"length": "short", "format": "markdown"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    text = r.text
    assert text.startswith("## ") and "[1]" in text and "Sources:" in text
    for s in as_json["sentences"]:
        assert s["text"][:30].replace("*", "") in text.replace("\\", "")
    r = seeded.get(f"/v1/stories/{sid}/brief", params={"format": "xml"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "format"
    assert seeded.get("/v1/stories/st_nope/brief", params={"format": "markdown"}).status_code == 404
