"""The service's own machinery: API keys, CORS, the bounded lanes (503 + Retry-After),
time limits (504), background jobs and their recovery after a restart."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from test_service_api import (
    CHOE,
    EXTRA_TEXT,
    LAVROV,
    SEEDS,
    build_app,
    embedder,
    err,
    seed_payload,
)

from service.app import create_app
from service.deps import key_matches
from service.errors import Busy, NotFound, RequestTimeout
from service.schemas import ArticleIn
from service.store import JobRow, Store, StoreClosed, utcnow
from service.worker import Deadline, Lane, wait_future, waiters
from summarizer.embed import Embedder
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings

__all__ = ["embedder"]  # the module-scoped fixture, shared with test_service_api


@pytest.fixture
def make_client(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., TestClient]]:
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            app = build_app(overrides.pop("data_dir", tmp_path), embedder, **overrides)
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make


@contextlib.contextmanager
def gated_lane(name: str, **kwargs: Any) -> Iterator[tuple[Lane, threading.Event]]:
    """A lane and a gate its blocking tasks wait on; both released when the block ends."""
    lane = Lane(name, **kwargs)
    gate = threading.Event()
    try:
        yield lane, gate
    finally:
        gate.set()
        lane.close()


def block(lane: Lane, n: int) -> threading.Event:
    """Occupy ``lane`` with ``n`` tasks that wait for the returned event."""
    gate = threading.Event()
    for _ in range(n):
        lane.submit(lambda: gate.wait(30), bounded=False)
    return gate


def wait_for(condition: Callable[[], bool], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)


def wait_job(client: TestClient, job_id: str, timeout: float = 120) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {body}")


# ---------------------------------------------------------------- API keys and CORS


def test_api_keys(make_client: Callable[..., TestClient]) -> None:
    c = make_client(api_keys=["key-one", "key-two"])
    r = c.get("/v1/stories")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json() == err("unauthorized", "an API key is required: Authorization: Bearer <key>")
    r = c.get("/v1/stories", headers={"Authorization": "Bearer key-three"})
    assert r.status_code == 401
    assert r.json() == err("unauthorized", "the API key is not valid")
    r = c.get("/v1/stories", headers={"Authorization": "Basic key-one"})
    assert r.status_code == 401
    r = c.get("/v1/stories", headers={"Authorization": "Bearer key-two"})
    assert r.status_code == 200
    # Refused before the body is looked at, even a body that is not JSON at all.
    r = c.post("/v1/articles", json={"articles": []})
    assert r.status_code == 401
    r = c.post("/v1/articles", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = c.post("/v1/briefs", content=b"{not json", headers={"Authorization": "Bearer key-one"})
    assert r.status_code == 422  # with a key, the body's own problem
    # a delete needs a key like every other /v1 route
    assert c.delete("/v1/articles/nope").status_code == 401
    r = c.delete("/v1/articles/nope", headers={"Authorization": "Bearer key-one"})
    assert r.status_code == 404
    assert c.get("/healthz").status_code == 200


def test_key_matches_every_key() -> None:
    assert key_matches("b", ["a", "b"])
    assert not key_matches("c", ["a", "b"])
    assert not key_matches("", ["a"])
    assert not key_matches("ab", ["a"])


def test_cors_is_off_by_default_and_configurable(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    origin = {"Origin": "https://reader.example"}
    off = make_client()
    assert "access-control-allow-origin" not in off.get("/v1/stories", headers=origin).headers
    # a second service runs at the same time, so on a database of its own
    on = make_client(cors_origins=["https://reader.example"], data_dir=tmp_path / "second")
    r = on.get("/v1/stories", headers=origin)
    assert r.headers["access-control-allow-origin"] == "https://reader.example"
    r = on.get("/v1/stories", headers={"Origin": "https://other.example"})
    assert "access-control-allow-origin" not in r.headers
    # a page may delete an article too, and correct one (every method the API has)
    for method in ("DELETE", "PUT"):
        preflight = {**origin, "Access-Control-Request-Method": method}
        r = on.options("/v1/articles/a1", headers=preflight)
        assert r.status_code == 200 and method in r.headers["access-control-allow-methods"]
    # and send HEAD, as every GET route answers it
    r = on.options("/v1/stories", headers={**origin, "Access-Control-Request-Method": "HEAD"})
    assert r.status_code == 200 and "HEAD" in r.headers["access-control-allow-methods"]
    # a preflight from an origin not allowed is refused with the JSON error body
    other = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    r = on.options("/v1/stories", headers=other)
    assert r.status_code == 400 and r.json() == {
        "error": {
            "type": "bad_request",
            "message": "this cross-origin request is not allowed (its origin is not allowed here)",
            "field": None,
        }
    }


# ---------------------------------------------------------------- lanes


def test_lane_refuses_past_capacity_with_retry_after() -> None:
    with gated_lane("test", queue_size=1) as (lane, gate):
        f1 = lane.submit(lambda: gate.wait(10))
        f2 = lane.submit(lambda: gate.wait(10))
        with pytest.raises(Busy) as info:
            lane.submit(lambda: True)
        assert info.value.status == 503
        assert int(info.value.headers["Retry-After"]) >= 1
        assert "queue is full (2 tasks)" in info.value.message
        # Unbounded submissions (jobs) still queue.
        f3 = lane.submit(lambda: "late", bounded=False)
        gate.set()
        assert f1.result(5) and f2.result(5) and f3.result(5) == "late"
        assert lane.submit(lambda: 7).result(5) == 7


def test_lane_admits_only_what_can_finish_in_time() -> None:
    gate = threading.Event()
    lane = Lane("brief", queue_size=10, budget_s=10, estimate_s=4)
    slow = Lane("brief", queue_size=10, budget_s=1, estimate_s=5)
    try:
        assert lane.admits() == 2
        lane.submit(lambda: gate.wait(10), measure=False)
        lane.submit(lambda: gate.wait(10), measure=False)
        with pytest.raises(Busy) as info:
            lane.submit(lambda: None)
        assert info.value.message == (
            "the brief queue is full (2 tasks of about 4 s each would not finish in 10 s); "
            "retry in 4 s"
        )
        assert info.value.headers == {"Retry-After": "4"}
        # An empty lane always takes one task, however slow the estimate.
        assert slow.admits() == 1
        assert slow.submit(lambda: 3).result(5) == 3
        # The estimate follows measured times.
        assert slow.mean_task_s < 5
    finally:
        gate.set()
        lane.close()
        slow.close()


def test_lane_takes_a_calibrated_estimate_only_before_real_tasks() -> None:
    lane = Lane("brief", queue_size=10, budget_s=60, estimate_s=120)
    try:
        assert lane.admits() == 1  # the cautious first guess: one brief at a time
        lane.submit(lambda: None, measure=False).result(5)  # a warm-up is not a measurement
        assert lane.set_estimate(20.0) is True
        assert lane.mean_task_s == 20.0 and lane.admits() == 3
        lane.submit(lambda: None).result(5)  # a real task, timed
        assert lane.set_estimate(50.0) is False
        assert lane.mean_task_s < 20.0
        with pytest.raises(ValueError):
            lane.set_estimate(0.0)
    finally:
        lane.close()


def test_wait_future_times_out_and_cancels_a_waiting_task() -> None:
    ran: list[str] = []
    with gated_lane("test", queue_size=2) as (lane, gate):
        lane.submit(lambda: gate.wait(10))
        waiting = lane.submit(lambda: ran.append("x"))
        with pytest.raises(RequestTimeout) as info:
            asyncio.run(wait_future(waiting, Deadline(0.2), "brief"))
        assert info.value.status == 504
        assert info.value.message == "the brief ran past the 0.2 s time limit"
        assert waiting.cancelled()
        gate.set()
        lane.submit(lambda: None).result(5)
        assert ran == []


def test_a_shared_task_is_cancelled_only_by_its_last_waiter() -> None:
    with gated_lane("test", queue_size=3) as (lane, gate):
        lane.submit(lambda: gate.wait(10))
        shared = lane.submit(lambda: "brief")

        async def two_waiters() -> str:
            first = asyncio.create_task(wait_future(shared, Deadline(0.2), "brief"))
            second = asyncio.create_task(wait_future(shared, Deadline(10), "brief"))
            with pytest.raises(RequestTimeout):
                await first
            # The second request still waits for it: left queued, not cancelled.
            assert not shared.cancelled() and lane.pending == 2
            assert waiters.count(shared) == 1
            gate.set()
            return await second

        assert asyncio.run(two_waiters()) == "brief"
        assert waiters.count(shared) == 0

        # The last waiter to give up cancels the task; every waiter sees the timeout.
        gate.clear()
        lane.submit(lambda: gate.wait(10))
        alone = lane.submit(lambda: "never")

        async def both_give_up() -> list[BaseException | str]:
            outcomes = await asyncio.gather(
                wait_future(alone, Deadline(0.1), "brief"),
                wait_future(alone, Deadline(0.3), "brief"),
                return_exceptions=True,
            )
            return list(outcomes)

        outcomes = asyncio.run(both_give_up())
        assert [type(o) for o in outcomes] == [RequestTimeout, RequestTimeout]
        assert alone.cancelled() and lane.pending == 1 and waiters.count(alone) == 0


def test_a_task_cancelled_by_a_stop_answers_503() -> None:
    with gated_lane("brief", queue_size=2) as (lane, gate):
        lane.submit(lambda: gate.wait(10))
        waiting = lane.submit(lambda: "brief")

        async def stop_while_waiting() -> None:
            task = asyncio.create_task(wait_future(waiting, Deadline(10), "brief", lane="brief"))
            await asyncio.sleep(0.05)
            lane.close(timeout=0)
            await task

        with pytest.raises(Busy) as info:
            asyncio.run(stop_while_waiting())
        assert info.value.status == 503 and info.value.headers == {"Retry-After": "5"}
        assert info.value.message == "the brief lane is shutting down"
        with pytest.raises(Busy):  # a task already cancelled is not waited for
            asyncio.run(wait_future(waiting, Deadline(10), "brief", lane="brief"))


def test_full_brief_queue_answers_503(make_client: Callable[..., TestClient]) -> None:
    c = make_client(queue_size=1)
    c.post("/v1/articles", json={"articles": seed_payload()})
    sid = c.get("/v1/stories").json()["data"][0]["id"]
    service = c.app.state.service  # type: ignore[attr-defined]
    gate = block(service.brief_lane, 2)
    try:
        r = c.get(f"/v1/stories/{sid}/brief")
        assert r.status_code == 503
        assert int(r.headers["retry-after"]) >= 1
        body = r.json()["error"]
        assert body["type"] == "busy" and body["field"] is None
        assert body["message"].startswith("the brief queue is full (2 tasks); retry in ")
    finally:
        gate.set()
    assert c.get(f"/v1/stories/{sid}/brief").status_code == 200


def test_request_time_limit_answers_504_and_stores_nothing(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client(request_timeout_s=0.5)
    service = c.app.state.service  # type: ignore[attr-defined]
    art = {"id": "late", "outlet": "W", "text": EXTRA_TEXT}
    assert service.models_ready.wait(180)  # the warm-up has left the lane
    gate = block(service.ingest_lane, 1)
    try:
        # At the assumed 1 s an ingest, a second one cannot finish in 0.5 s: refused at once.
        r = c.post("/v1/articles", json={"articles": [art]})
        assert r.status_code == 503
        assert r.json()["error"]["message"].startswith(
            "the ingest queue is full (1 tasks of about 1 s each would not finish in 0.5 s)"
        )
        # Admitted by count only, it waits and runs out of time.
        service.ingest_lane.budget_s = None
        r = c.post("/v1/articles", json={"articles": [art]})
        assert r.status_code == 504
        assert r.json() == err("timeout", "the ingest ran past the 0.5 s time limit")
    finally:
        gate.set()
    service.ingest_lane.submit(lambda: None).result(10)
    assert c.get("/v1/articles/late").status_code == 404


def test_a_brief_timed_out_while_queued_leaves_the_queue(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client(request_timeout_s=0.5, queue_size=1)
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    articles = [ArticleIn.model_validate(a).to_article() for a in seed_payload()]
    sids = service.ingest_lane.submit(lambda: service.ingest(articles)).result(120).stories
    assert len(sids) == 2
    service.brief_lane.budget_s = None  # admitted by count only: one running, one waiting
    gate = block(service.brief_lane, 1)
    try:
        for sid in sids:
            # Queued behind the running task, it runs out of time and is cancelled, so the
            # next request for another story is admitted (a 504 again), not refused (503).
            r = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"})
            assert r.status_code == 504, r.text
            assert r.json() == err("timeout", "the brief ran past the 0.5 s time limit")
            assert service.brief_lane.pending == 1
    finally:
        gate.set()
    service.brief_lane.submit(lambda: None).result(10)
    listed = c.get("/v1/stories").json()["data"]
    assert [s["has_current_brief"] for s in listed] == [False, False]  # neither ever ran


def test_a_brief_shared_with_a_job_is_not_cancelled_by_a_timeout(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client(request_timeout_s=0.5, queue_size=1)
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    service.brief_lane.budget_s = None
    gate = block(service.brief_lane, 1)
    try:
        job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
        # The job has ingested and queued its first story's brief behind the running task.
        wait_for(lambda: service.brief_lane.pending == 2)
        sid = c.get(f"/v1/articles/{min(LAVROV)}").json()["story_id"]
        r = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"})
        assert r.status_code == 504, r.text
        assert service.brief_lane.pending == 2  # still queued: the job waits for it
    finally:
        gate.set()
    done = wait_job(c, job["id"])
    assert done["status"] == "done", done
    assert done["progress"] == {"done": 2, "total": 2} and done["attempts"] == 1
    brief = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"}).json()
    assert brief["cached"] is True and len(brief["article_ids"]) == 4


# ---------------------------------------------------------------- jobs


def test_a_story_deleted_while_its_job_runs_is_left_out_not_a_failure(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    service.brief_lane.budget_s = None
    seeds = seed_payload()
    lone = next(a["id"] for a in seeds if a["id"] not in LAVROV)
    gate = block(service.brief_lane, 1)
    try:
        job = c.post("/v1/jobs", json={"articles": seeds, "length": "short"}).json()
        wait_for(lambda: service.brief_lane.pending == 2)  # ingested; a brief queued
        sid = c.get(f"/v1/articles/{lone}").json()["story_id"]
        r = c.delete(f"/v1/articles/{lone}")
        assert r.json() == {"id": lone, "story_id": sid, "story_articles": 0}
    finally:
        gate.set()
    done = wait_job(c, job["id"])
    assert done["status"] == "done", done
    assert done["progress"] == {"done": 1, "total": 1}
    assert [len(b["article_ids"]) for b in done["results"]] == [4]
    assert done["note"] == (  # both notes: the delete's, then the job's own
        f"article {lone!r} was deleted while the job ran; "
        f"1 of its stories were deleted while it ran: {sid}"
    )


def test_an_article_deleted_while_its_job_waits_is_not_ingested_again(
    make_client: Callable[..., TestClient],
) -> None:
    """A job stores its articles to ingest them later (again after a restart); one deleted
    in between stays deleted."""
    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    seeds = seed_payload()
    assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
    gone = next(a["id"] for a in seeds if a["id"] in LAVROV)
    # the same text under another id is the same article to ingest: it goes too
    twin = {**next(a for a in seeds if a["id"] == gone), "id": "twin-1"}
    gate = block(service.ingest_lane, 1)
    try:
        body = {"articles": [*seeds, twin], "length": "short"}
        job = c.post("/v1/jobs", json=body).json()
        wait_for(lambda: service.ingest_lane.pending == 2)  # the job's ingest waits
        out = service.delete_article(gone)  # as the lane would run it, ahead of the job
        assert out.story_articles == 3
        pending = c.get(f"/v1/jobs/{job['id']}", params={"limit": 0}).json()
        assert len(pending["article_ids"]) == 4
        assert gone not in pending["article_ids"] and "twin-1" not in pending["article_ids"]
        assert pending["note"] == f"article {gone!r} was deleted while the job ran"
    finally:
        gate.set()
    done = wait_job(c, job["id"])
    assert done["status"] == "done", done
    assert c.get(f"/v1/articles/{gone}").status_code == 404
    assert c.get("/v1/articles/twin-1").status_code == 404
    assert sorted(len(b["article_ids"]) for b in done["results"]) == [1, 3]


def test_a_job_set_is_checked_before_it_is_accepted(
    make_client: Callable[..., TestClient],
) -> None:
    """One article that cleans to nothing, or an id stored with another text: refused at
    once as POST /v1/briefs refuses it, not accepted (202) and then failed as a whole."""
    c = make_client()
    seeds = seed_payload()
    empty = {"id": "empty-1", "outlet": "W", "text": "Advertisement\nFull Screen"}
    r = c.post("/v1/jobs", json={"articles": [seeds[0], empty]})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["type"] == "empty_text"
    assert r.json()["error"]["field"] == "articles.1.text"
    assert c.post("/v1/articles", json={"articles": seeds[:1]}).status_code == 201
    other = {**seeds[0], "text": EXTRA_TEXT}
    r = c.post("/v1/jobs", json={"articles": [seeds[1], other]})
    assert r.status_code == 409 and r.json()["error"]["field"] == "articles.1.id"
    # without storing, an id already stored names nothing: no conflict
    r = c.post("/v1/jobs", json={"articles": [other], "store": False})
    assert r.status_code == 202, r.text
    assert c.get(f"/v1/articles/{seeds[1]['id']}").status_code == 404  # nothing stored


def test_a_job_does_not_store_again_an_article_deleted_after_it_was_submitted(
    make_client: Callable[..., TestClient],
) -> None:
    """The same article with other page furniture, under another id, is not what a delete
    can find in a waiting job (its id, url and text differ); its cleaned text is, when the
    job ingests it. A job submitted after the delete stores it: that is the sender's wish."""
    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    seeds = seed_payload()
    assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
    gone = next(a for a in seeds if a["id"] in LAVROV)
    framed = {
        **gone,
        "id": "framed-1",
        "text": "Full Screen\n1 / 11\n" + gone["text"] + "\n\nRecommended Videos\n",
    }
    gate = block(service.ingest_lane, 1)
    try:
        job = c.post("/v1/jobs", json={"articles": [framed], "length": "short"}).json()
        wait_for(lambda: service.ingest_lane.pending == 2)  # the job's ingest waits
        service.delete_article(gone["id"])  # as the lane would run it, ahead of the job
        pending = c.get(f"/v1/jobs/{job['id']}", params={"limit": 0}).json()
        assert pending["article_ids"] == ["framed-1"]  # not matched at the delete
    finally:
        gate.set()
    done = wait_job(c, job["id"])
    assert done["status"] == "done", done
    assert c.get("/v1/articles/framed-1").status_code == 404
    assert done["article_ids"] == [] and done["results"] == []
    assert done["note"] == (
        "1 of its articles were deleted after it was submitted and were not stored again: "
        "'framed-1'"
    )
    # sent again after the delete, in a new job, it is stored
    again = wait_job(c, c.post("/v1/jobs", json={"articles": [framed]}).json()["id"])
    assert again["status"] == "done" and again["note"] is None, again
    assert c.get("/v1/articles/framed-1").status_code == 200


def test_a_job_writes_again_a_brief_that_came_out_not_current(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article deleted (or added) while a job's brief is written leaves that brief not
    current, and it may quote the deleted article: the job asks for the brief again."""
    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    real = service.submit_story_brief
    calls: list[str] = []

    def first_stale(sid: str, *args: Any, **kw: Any) -> concurrent.futures.Future[Any]:
        calls.append(sid)
        future = real(sid, *args, **kw)
        if calls.count(sid) > 1:
            return future
        stale: concurrent.futures.Future[Any] = concurrent.futures.Future()
        stale.set_result(future.result(60).model_copy(update={"current": False}))
        return stale

    monkeypatch.setattr(service, "submit_story_brief", first_stale)
    job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and done["progress"] == {"done": 2, "total": 2}
    assert sorted(calls.count(sid) for sid in set(calls)) == [2, 2]
    assert all(b["current"] for b in done["results"])


def test_a_story_emptied_by_a_delete_never_lends_its_id_to_a_new_one(
    make_client: Callable[..., TestClient],
) -> None:
    """A correction sent under a deleted article's id founds a story of another id, so a
    brief of the old text still being written can never be stored or served for it."""
    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    first = {
        "id": "corr-1",
        "outlet": "AP",
        "text": "A fire at a factory in Lyon killed nine "
        "workers on Monday, officials said. The cause is not known.",
    }
    sid = c.post("/v1/articles", json={"articles": [first]}).json()["data"][0]["story_id"]
    gate = block(service.brief_lane, 1)
    try:
        old_brief = service.submit_story_brief(sid, "short", refresh=False)
        assert c.delete("/v1/articles/corr-1").json()["story_articles"] == 0
        fixed = {
            **first,
            "text": "A fire at a factory in Lyon injured three workers on "
            "Monday, officials said, correcting an earlier report of deaths.",
        }
        r = c.post("/v1/articles", json={"articles": [fixed]})
        assert r.status_code == 201, r.json()
        new_sid = r.json()["data"][0]["story_id"]
        assert new_sid != sid
    finally:
        gate.set()
    with pytest.raises(NotFound):
        old_brief.result(60)  # its story is gone
    assert c.get(f"/v1/stories/{sid}").status_code == 404
    brief = c.get(f"/v1/stories/{new_sid}/brief", params={"length": "short"}).json()
    assert "injured three" in " ".join(s["text"] for s in brief["sentences"])
    assert all(
        x["quote"] == fixed["text"][x["start"] : x["end"]]
        for s in brief["sentences"]
        for x in s["citations"]
    )


def test_an_article_id_that_founded_a_living_story_can_be_sent_again(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client()
    seeds = seed_payload()
    assert c.post("/v1/articles", json={"articles": seeds}).status_code == 201
    sid = c.get(f"/v1/articles/{min(LAVROV)}").json()["story_id"]
    founder = c.get(f"/v1/stories/{sid}").json()["articles"][0]["id"]
    assert c.delete(f"/v1/articles/{founder}").json()["story_articles"] == 3
    other = {
        "id": founder,
        "outlet": "AP",
        "text": "A magnitude 6.1 earthquake struck western Nepal on Friday, damaging "
        "hundreds of homes, officials said.",
    }
    r = c.post("/v1/articles", json={"articles": [other]})
    assert r.status_code == 201, r.json()
    assert r.json()["data"][0]["story_id"] not in (sid, None)
    assert c.get(f"/v1/stories/{sid}").json()["article_count"] == 3


def test_job_ingests_and_briefs_with_progress(make_client: Callable[..., TestClient]) -> None:
    c = make_client()
    r = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"})
    assert r.status_code == 202
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] == "queued" and job["progress"] == {"done": 0, "total": 0}
    done = wait_job(c, job["id"])
    assert done["status"] == "done", done
    assert done["progress"] == {"done": 2, "total": 2}
    assert done["error"] is None and done["attempts"] == 1
    assert sorted(len(b["article_ids"]) for b in done["results"]) == [1, 4]
    assert all(b["length"] == "short" and b["sentences"] for b in done["results"])
    assert done["results_offset"] == 0 and done["results_next"] is None
    # results in pages: the pages put together are the whole list, in its order
    first = c.get(f"/v1/jobs/{job['id']}", params={"limit": 1}).json()
    assert first["results"] == done["results"][:1] and first["results_next"] == 1
    second = c.get(f"/v1/jobs/{job['id']}", params={"offset": 1, "limit": 1}).json()
    assert second["results"] == done["results"][1:]
    assert second["results_offset"] == 1 and second["results_next"] is None
    status = c.get(f"/v1/jobs/{job['id']}", params={"limit": 0}).json()
    assert status["results"] == [] and status["results_next"] == 0
    assert status["progress"] == {"done": 2, "total": 2}
    past = c.get(f"/v1/jobs/{job['id']}", params={"offset": 5}).json()
    assert past["results"] == [] and past["results_next"] is None
    for bad in ({"limit": -1}, {"limit": 1001}, {"offset": -1}, {"offset": "x"}):
        r = c.get(f"/v1/jobs/{job['id']}", params=bad)
        assert r.status_code == 422 and r.json()["error"]["field"] in ("limit", "offset"), bad
    stories = c.get("/v1/stories").json()
    assert stories["count"] == 2
    r = c.get("/v1/jobs/nope")
    assert r.status_code == 404
    assert r.json() == err("not_found", "no job with id 'nope'", "job_id")


def test_a_job_prepares_its_articles_in_pieces_that_leave_the_lane_to_requests(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's articles are embedded some sentences at a time, each piece a task of the ingest lane
    (requests queue between them), and its ingest then only stores them; the job's tasks
    stay out of the mean task time that sizes the queue for requests."""
    import service.jobs as jobs

    monkeypatch.setattr(jobs, "EMBED_PART", 2)
    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    parts: list[list[str]] = []
    real_embed = service.embed_part

    def embed_part(part: Any) -> Any:
        parts.append([a.id for a in part.articles])
        return real_embed(part)

    prepared_in_ingest: list[int] = []
    real_prepare = service._prepare_located

    def prepare_located(articles: Any, *args: Any, **kwargs: Any) -> Any:
        prepared_in_ingest.append(len(articles))
        return real_prepare(articles, *args, **kwargs)

    monkeypatch.setattr(service, "embed_part", embed_part)
    monkeypatch.setattr(service, "_prepare_located", prepare_located)
    mean = service.ingest_lane.mean_task_s
    payload = seed_payload()
    job = c.post("/v1/jobs", json={"articles": payload, "length": "short"}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and done["progress"] == {"done": 2, "total": 2}
    # every seed article has more than 2 sentences: each is a piece of its own
    assert parts == [[a["id"]] for a in payload]
    assert prepared_in_ingest == [0]  # everything came prepared
    assert service.ingest_lane.mean_task_s == mean
    # the same stories as one request storing the same articles gives
    stories = c.get("/v1/stories").json()["data"]
    assert sorted(st["article_count"] for st in stories) == [1, 4]


def test_a_job_is_cut_into_pieces_of_whole_articles_by_sentences() -> None:
    from service.jobs import pieces
    from summarizer.pipeline import CleanedSet
    from summarizer.types import Article

    def cleaned(*counts: int) -> CleanedSet:
        arts = tuple(Article(id=f"a{i}", outlet="O", text="x") for i in range(len(counts)))
        return CleanedSet(arts, tuple((None, [None] * n) for n in counts))  # type: ignore[misc]

    sizes = [[a.id for a in p.articles] for p in pieces(cleaned(3, 4, 2, 9, 1), 6)]
    assert sizes == [["a0"], ["a1", "a2"], ["a3"], ["a4"]]
    assert pieces(cleaned(), 6) == []


def test_stateless_job_stores_no_articles(make_client: Callable[..., TestClient]) -> None:
    c = make_client()
    job = c.post("/v1/jobs", json={"articles": seed_payload(), "store": False}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and done["progress"] == {"done": 2, "total": 2}
    assert c.get("/v1/stories").json()["count"] == 0


def test_job_with_an_unusable_article_fails_with_the_reason(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    c = make_client()
    arts = [*seed_payload(), {"id": "caption", "outlet": "W", "text": "Full Screen"}]
    r = c.post("/v1/jobs", json={"articles": arts})  # refused before it is a job
    assert r.status_code == 422 and r.json()["error"]["field"] == f"articles.{len(arts) - 1}.text"
    # a job accepted before that check (by an older build) fails with the reason when it runs
    service = c.app.state.service  # type: ignore[attr-defined]
    monkeypatch.setattr(service, "check_articles", lambda *_a, **_k: None)
    job = c.post("/v1/jobs", json={"articles": arts}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "failed"
    assert "caption" in done["error"]
    assert c.get("/v1/stories").json()["count"] == 0  # all or nothing


def _put_job(
    db: Path,
    job_id: str,
    status: str,
    attempts: int,
    store_articles: bool = True,
    results: list[dict[str, Any]] | None = None,
    payload: list[dict[str, Any]] | None = None,
) -> None:
    store = Store(f"sqlite:///{db}")
    store.create_schema()
    with store.session() as s:
        s.add(
            JobRow(
                id=job_id,
                status=status,
                length="short",
                store=store_articles,
                payload=payload or seed_payload(),
                total=2,
                done=len(results or []),
                results=results or [],
                article_ids=[a["id"] for a in seed_payload()],
                attempts=attempts,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    store.dispose()


def test_interrupted_jobs_resume_or_fail_after_a_restart(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    db = tmp_path / "storybrief.db"
    _put_job(db, "resume-me", "running", attempts=1)
    _put_job(db, "gave-up", "running", attempts=3)
    c = make_client()
    failed = c.get("/v1/jobs/gave-up").json()
    assert failed["status"] == "failed"
    assert failed["error"] == (
        "interrupted by a restart of the service 3 times (at 0/2 stories); giving up"
    )
    resumed = wait_job(c, "resume-me")
    assert resumed["status"] == "done"
    assert resumed["attempts"] == 2
    assert resumed["note"] == "interrupted by a restart at 0/2 stories, resumed (attempt 2)"
    assert resumed["progress"] == {"done": 2, "total": 2}


def test_an_interrupted_job_whose_stored_article_this_build_refuses_fails_with_the_reason(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    """A job stored by an older build with an article today's rules refuse (markup for
    text, a control character in its outlet) fails with the reason when it resumes."""
    db = tmp_path / "storybrief.db"
    html = [dict(seed_payload()[0], text="<html><body><p>" + "Story text. " * 40 + "</p>")]
    _put_job(db, "old-html", "running", attempts=1, payload=html)
    bell = [dict(seed_payload()[0], outlet="Wire\x07")]
    _put_job(db, "old-bell", "running", attempts=1, payload=bell)
    c = make_client()
    for job_id, words in (("old-html", "HTML"), ("old-bell", "control character")):
        failed = wait_job(c, job_id)
        assert failed["status"] == "failed", failed
        assert failed["error"].startswith("a stored article is no longer valid: ")
        assert words in failed["error"], failed["error"]
    assert c.get("/v1/stories").json()["count"] == 0


@pytest.mark.parametrize("fault", ["disk is full", "database disk image is malformed"])
def test_a_restart_the_database_cannot_write_to_still_starts_and_resumes_the_job_later(
    tmp_path: Path,
    make_client: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    """Putting an interrupted job back in the queue is a write: a full or locked database
    at start does not keep the service from starting, and the runner tries again. A note
    the job had (a deleted article) stays beside the restart's."""
    import sqlite3

    from sqlalchemy.exc import DatabaseError, OperationalError

    import service.jobs as jobs

    db = tmp_path / "storybrief.db"
    _put_job(db, "resume-me", "running", attempts=1)
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        row = s.get(JobRow, "resume-me")
        assert row is not None
        row.note = "article 'gone-1' was deleted while the job ran"
    store.dispose()
    monkeypatch.setattr(jobs, "RETRY_FIRST_S", 0.3)
    real = jobs.JobRunner.recover
    calls: list[int] = []

    def full_once(self: jobs.JobRunner) -> list[str]:
        calls.append(1)
        if len(calls) == 1:
            if fault == "disk is full":
                raise OperationalError("UPDATE ...", {}, sqlite3.OperationalError(fault))
            raise DatabaseError("UPDATE ...", {}, sqlite3.DatabaseError(fault))
        return real(self)

    monkeypatch.setattr(jobs.JobRunner, "recover", full_once)
    c = make_client()
    assert c.get("/v1/stories").status_code == 200  # the service is up
    resumed = wait_job(c, "resume-me")
    assert len(calls) >= 2
    assert resumed["status"] == "done" and resumed["attempts"] == 2
    assert resumed["note"] == (
        "article 'gone-1' was deleted while the job ran; "
        "interrupted by a restart at 0/2 stories, resumed (attempt 2)"
    )


def test_a_job_note_keeps_what_happened_to_its_articles_and_the_last_word_on_its_run() -> None:
    from service.jobs import SHUTDOWN_NOTE, run_note

    deleted = "article 'x' was deleted while the job ran"
    assert run_note(None, SHUTDOWN_NOTE) == SHUTDOWN_NOTE
    stopped = run_note(deleted, SHUTDOWN_NOTE)
    assert stopped == f"{deleted}; {SHUTDOWN_NOTE}"
    # the next word on the run replaces the last one; the deletion stays
    again = run_note(stopped, "the database failed (disk is full), tried again shortly")
    assert again == f"{deleted}; the database failed (disk is full), tried again shortly"
    # notes as an older build wrote them, with "; " inside one note, are replaced whole
    assert run_note("interrupted by a shutdown; resumes at start", "x") == "x"
    old = f"{deleted}; interrupted by a restart at 0/2 stories; resumed (attempt 2)"
    assert run_note(old, "x") == f"{deleted}; x"


def test_a_recovery_tried_again_leaves_the_jobs_this_process_queued(
    make_client: Callable[..., TestClient],
) -> None:
    """A job made since the start, or one whose database fault could not be written down
    (its row still says running), is not taken for one a restart interrupted."""
    c = make_client()
    runner = c.app.state.jobs  # type: ignore[attr-defined]
    job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
    assert job["id"] not in runner.recover()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and done["attempts"] == 1 and done["note"] is None


def test_an_unstored_job_from_before_tmp_ids_resumes_without_repeats(
    tmp_path: Path, embedder: Embedder, make_client: Callable[..., TestClient]
) -> None:
    """A job that does not store its articles, interrupted with a result written when such
    briefs still had st_ ids, resumes with that story done: no brief twice."""
    choe = next(a for a in seed_payload() if a["id"] == CHOE)
    with TestClient(build_app(tmp_path / "scratch", embedder)) as c:
        (old,) = c.post("/v1/briefs", json={"articles": [choe], "length": "short"}).json()["data"]
    old["story_id"] = "st_" + old["story_id"].removeprefix("tmp_")
    _put_job(tmp_path / "storybrief.db", "old-ids", "running", 1, False, [old])
    done = wait_job(make_client(), "old-ids")
    assert done["status"] == "done" and done["progress"] == {"done": 2, "total": 2}
    ids = [r["story_id"] for r in done["results"]]
    assert len(ids) == 2 and len(set(ids)) == 2 and all(i.startswith("tmp_") for i in ids)


@pytest.mark.parametrize("how", ["shutdown", "lanes closed first"])
def test_a_graceful_stop_leaves_a_waiting_job_queued(
    tmp_path: Path, embedder: Embedder, make_client: Callable[..., TestClient], how: str
) -> None:
    db = tmp_path / "storybrief.db"
    app = build_app(tmp_path, embedder)
    with TestClient(app, raise_server_exceptions=False) as c:
        service = c.app.state.service  # type: ignore[attr-defined]
        assert service.models_ready.wait(180)  # the warm-up has left the lanes
        lane = service.brief_lane

        def long_brief() -> None:  # runs until the stop has closed the lane, and a bit more
            wait_for(lambda: lane.closed, 60)
            time.sleep(0.5)

        lane.submit(long_brief, bounded=False)
        job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
        # Ingested; the job's first brief waits behind the running task.
        wait_for(lambda: lane.pending == 2)
        assert c.get(f"/v1/jobs/{job['id']}").json()["status"] == "running"
        if how == "lanes closed first":
            # The lanes close (cancelling the waiting task) before the runner is told.
            lane.close(timeout=0)
            wait_for(lambda: c.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued", 30)
        # Leaving the block stops the service.
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        row = s.get(JobRow, job["id"])
        assert row is not None
        assert (row.status, row.error, row.finished_at) == ("queued", None, None)
        assert row.note == "interrupted by a shutdown, resumes at start"
        assert row.attempts == 0  # a graceful stop is not a failed attempt
    store.dispose()
    c2 = make_client()
    resumed = wait_job(c2, job["id"])
    assert resumed["status"] == "done", resumed
    assert resumed["attempts"] == 1 and resumed["error"] is None
    assert resumed["progress"] == {"done": 2, "total": 2}


# ---------------------------------------------------------------- database faults


def test_a_second_service_on_the_same_database_is_refused(
    tmp_path: Path, embedder: Embedder
) -> None:
    """The story index lives in each process and is written back whole: a second service
    on one database file would overwrite the first one's stories."""
    from summarizer.errors import ConfigError

    with TestClient(build_app(tmp_path, embedder)) as first:
        assert first.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
        with pytest.raises(ConfigError, match="another storybrief service is using"):
            with TestClient(build_app(tmp_path, embedder)):
                pass
        assert first.get("/readyz").status_code == 200
    with TestClient(build_app(tmp_path, embedder)) as again:  # the first has stopped
        assert len(again.get("/v1/stories").json()["data"]) == 2


def test_another_programs_database_is_refused_and_left_unchanged(
    tmp_path: Path, embedder: Embedder
) -> None:
    import sqlite3

    from summarizer.errors import ConfigError

    db = tmp_path / "storybrief.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    before = db.read_bytes()
    with pytest.raises(ConfigError, match=r"holds tables that are not this service's \(users\)"):
        with TestClient(build_app(tmp_path, embedder)):
            pass
    assert db.read_bytes() == before


def test_the_database_lock_holds_through_a_link_and_a_deleted_lock_file(tmp_path: Path) -> None:
    """The lock is on the database file itself: a second service reaching it through a
    symbolic link, or after the lock file beside it was deleted, is refused."""
    from service.store import Store
    from summarizer.errors import ConfigError

    (tmp_path / "a").mkdir()
    db = tmp_path / "a" / "storybrief.db"
    first = Store(f"sqlite:///{db}")
    first.lock()
    first.create_schema()
    try:
        (tmp_path / "alias").symlink_to(tmp_path / "a")
        for path in (tmp_path / "alias" / "storybrief.db", db):
            (tmp_path / "a" / "storybrief.db.lock").unlink(missing_ok=True)
            second = Store(f"sqlite:///{path}")
            with pytest.raises(ConfigError, match="another storybrief service is using"):
                second.lock()
            second.dispose()
    finally:
        first.dispose()
    third = Store(f"sqlite:///{tmp_path / 'alias' / 'storybrief.db'}")
    third.lock()  # free once the first has stopped
    third.dispose()


def test_a_database_of_a_newer_schema_is_refused_before_anything_changes(
    tmp_path: Path,
) -> None:
    import sqlite3

    from service.store import SCHEMA_VERSION, Store
    from summarizer.errors import ConfigError

    db = tmp_path / "storybrief.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
        conn.execute("CREATE TABLE stories2 (id TEXT)")
    conn.close()
    before = db.read_bytes()
    store = Store(f"sqlite:///{db}")
    try:
        store.lock()
        with pytest.raises(ConfigError, match=f"has schema version {SCHEMA_VERSION + 1}"):
            store.create_schema()
    finally:
        store.dispose()
    assert db.read_bytes() == before  # no table added, not switched to WAL


_NO_OVERRIDE = [  # root without the capabilities that let it write read-only files
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search,-fowner",
    "--bounding-set=-dac_override,-dac_read_search,-fowner",
]


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None,
    reason="root writes read-only files, and setpriv is missing to drop that",
)
def test_serve_says_in_one_line_that_the_database_or_its_folder_is_read_only(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    store = Store(f"sqlite:///{data / 'storybrief.db'}")
    store.lock()
    store.create_schema()
    store.dispose()
    wrap = _NO_OVERRIDE if os.geteuid() == 0 else []

    def serve() -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "summarizer.cli", "serve", "--extractive", "--port", "8799"]
        return subprocess.run(
            [*wrap, *cmd, "--data-dir", str(data)], capture_output=True, text=True, timeout=120
        )

    try:
        data.chmod(0o555)
        done = serve()
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"storybrief: error: the data folder {data.resolve()} is not writable by this user; "
            "the service writes the database and its journal there (set STORYBRIEF_DATA_DIR "
            "or --data-dir to a folder this user can write)"
        ]
        data.chmod(0o755)
        (data / "storybrief.db").chmod(0o444)
        done = serve()
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "storybrief.db" in line and "Permission denied" in line
    finally:
        data.chmod(0o755)
        (data / "storybrief.db").chmod(0o644)


def _overwrite_root_page(db: Path, table: str) -> None:
    """Damage ``table`` of a SQLite file: 64 bytes of its root page overwritten."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        (number,) = root.fetchone()
    conn.close()
    with db.open("r+b") as fh:
        fh.seek(page * (number - 1))
        fh.write(b"\xff" * 64)


def test_a_damaged_table_is_a_503_and_not_ready(tmp_path: Path, embedder: Embedder) -> None:
    """A damaged page of a table the service reads only on request: the requests that
    read it answer 503 saying the database is damaged (a 500 is a bug of ours), and
    /readyz is not ready. One it reads at start (the articles) stops the start in one line."""
    from summarizer.errors import ConfigError

    db = tmp_path / "storybrief.db"
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
        sid = c.get("/v1/stories").json()["data"][0]["id"]
    _overwrite_root_page(db, "briefs")
    with TestClient(build_app(tmp_path, embedder)) as c:
        r = c.get(f"/v1/stories/{sid}/brief", params={"length": "short"})
        assert r.status_code == 503, r.text
        assert "the database is damaged" in r.json()["error"]["message"]
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "malformed" in ready.json()["error"]["message"]
        assert c.get("/v1/stories").status_code == 200  # what is not damaged is served
    _overwrite_root_page(db, "articles")
    with pytest.raises(ConfigError, match="is damaged .* restore it from a backup"):
        with TestClient(build_app(tmp_path, embedder)):
            pass


def test_a_story_index_that_disagrees_with_the_stored_articles_is_rebuilt_at_start(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A second process on the database (past the lock) or a hand edit leaves the stored
    index without an article its story holds: the next start notices and rebuilds it from
    the articles, keeping every story's id."""
    import sqlite3

    db = tmp_path / "storybrief.db"
    with TestClient(build_app(tmp_path, embedder)) as c:
        assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
        stories = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
    dropped = max(LAVROV)  # not the story's founder
    with sqlite3.connect(db) as conn:
        (data,) = conn.execute("SELECT data FROM index_state").fetchone()
        state = json.loads(data)
        for story in state["stories"]:
            story["article_ids"] = [a for a in story["article_ids"] if a != dropped]
        conn.execute("UPDATE index_state SET data = ?", (json.dumps(state),))
        conn.execute("DELETE FROM index_profiles WHERE article_id = ?", (dropped,))
    conn.close()
    with TestClient(build_app(tmp_path, embedder)) as c:
        service = c.app.state.service  # type: ignore[attr-defined]
        assert dropped in service.index
        again = {s["id"]: s["article_count"] for s in c.get("/v1/stories").json()["data"]}
        assert again == stories


def test_a_database_file_deleted_under_the_service_is_a_503_not_a_silent_loss(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    c = make_client()
    assert c.post("/v1/articles", json={"articles": seed_payload()[:1]}).status_code == 201
    for p in tmp_path.glob("storybrief.db*"):
        if not p.name.endswith(".lock"):
            p.unlink()
    r = c.post("/v1/articles", json={"articles": seed_payload()[1:2]})
    assert r.status_code == 503, r.text
    body = r.json()["error"]
    assert body["type"] == "not_ready" and "was deleted or replaced" in body["message"]
    assert r.headers["Retry-After"]
    ready = c.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "10"
    assert "was deleted or replaced" in ready.json()["error"]["message"]


def test_a_database_fault_is_a_503_and_a_job_it_hits_is_tried_again(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A locked or full database answers 503 with Retry-After (nothing was stored), and a
    job it interrupts goes back to the queue instead of staying "running" or failing."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import service.jobs as jobs

    c = make_client()
    service = c.app.state.service  # type: ignore[attr-defined]
    runner = c.app.state.jobs  # type: ignore[attr-defined]
    locked = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise locked

    with monkeypatch.context() as m:
        m.setattr(service, "ingest", fail)
        r = c.post("/v1/articles", json={"articles": seed_payload()})
    body = r.json()["error"]
    assert r.status_code == 503 and body["type"] == "not_ready"
    assert "database is locked" in body["message"] and r.headers["Retry-After"] == "10"

    monkeypatch.setattr(jobs, "RETRY_FIRST_S", 0.2)
    real = runner._run_stored
    calls: list[int] = []

    def once_locked(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise locked
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_run_stored", once_locked)
    job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and len(calls) == 2
    assert done["attempts"] == 1  # the database fault did not use up an attempt
    assert done["note"].startswith("the database failed (database is locked)")

    # a fault on the job's last write (marking it done) is the same: tried again, no
    # attempt used, and the note says why
    real_update = runner._update
    failed: list[int] = []

    def done_locked_once(job_id: str, **values: Any) -> None:
        if values.get("status") == "done" and not failed:
            failed.append(1)
            raise locked
        real_update(job_id, **values)

    monkeypatch.setattr(runner, "_update", done_locked_once)
    job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and failed == [1]
    assert done["attempts"] == 1 and done["progress"] == {"done": 2, "total": 2}
    assert done["note"].startswith("the database failed (database is locked)")


def test_a_database_fault_that_cannot_be_written_down_uses_no_attempt_either(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the write that puts a faulted job back in the queue fails too, the row still
    counts that run as an attempt; the next run does not count another."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import service.jobs as jobs

    c = make_client()
    runner = c.app.state.jobs  # type: ignore[attr-defined]
    full = OperationalError("INSERT ...", {}, sqlite3.OperationalError("disk is full"))
    monkeypatch.setattr(jobs, "RETRY_FIRST_S", 0.2)
    real_run, real_update = runner._run_stored, runner._update
    runs: list[int] = []

    def twice_full(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        if len(runs) <= 2:
            raise full
        return real_run(*args, **kwargs)

    def requeue_fails(job_id: str, run: str | None = None, **values: Any) -> None:
        if run is not None and run.startswith("the database failed"):
            raise full
        real_update(job_id, run=run, **values)

    monkeypatch.setattr(runner, "_run_stored", twice_full)
    monkeypatch.setattr(runner, "_update", requeue_fails)
    job = c.post("/v1/jobs", json={"articles": seed_payload(), "length": "short"}).json()
    done = wait_job(c, job["id"])
    assert done["status"] == "done" and len(runs) == 3
    assert done["attempts"] == 1  # two faults, neither written down, counted as nothing


def test_a_refresh_request_never_joins_a_task_that_may_answer_from_the_store(
    make_client: Callable[..., TestClient],
) -> None:
    c = make_client()
    assert c.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
    service = c.app.state.service  # type: ignore[attr-defined]
    assert service.models_ready.wait(180)
    sid = c.get("/v1/stories").json()["data"][0]["id"]
    gate = block(service.brief_lane, 1)
    try:
        plain = service.submit_story_brief(sid, "short", refresh=False, bounded=False)
        fresh = service.submit_story_brief(sid, "short", refresh=True, bounded=False)
        later = service.submit_story_brief(sid, "short", refresh=False, bounded=False)
        assert fresh is not plain  # a refresh writes the brief anew
        assert later is fresh  # a plain request may share a task that writes anew
    finally:
        gate.set()
    assert plain.result(60).story_id == fresh.result(60).story_id == sid


def test_serve_says_in_one_line_that_the_database_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from summarizer.cli import main

    running = Store(f"sqlite:///{tmp_path / 'storybrief.db'}")
    running.lock()
    try:
        code = main(["serve", "--extractive", "--data-dir", str(tmp_path), "--port", "8799"])
    finally:
        running.dispose()
    assert code == 2
    assert "another storybrief service is using the database" in capsys.readouterr().err


def test_serve_holds_the_database_lock_from_its_check_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command locks and sets up the database before the server starts and hands that
    store to the app: two starts at the same moment cannot both pass the check and have
    the loser fail inside the server's start with a traceback."""
    import uvicorn

    from summarizer.cli import main
    from summarizer.errors import ConfigError

    seen: list[str] = []

    def fake_run(app: Any, **kwargs: Any) -> None:
        other = Store(f"sqlite:///{tmp_path / 'storybrief.db'}")
        try:
            with pytest.raises(ConfigError, match="another storybrief service is using"):
                other.lock()
            seen.append("locked")
        finally:
            other.dispose()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    # port 0 (any free port): the address check passes whatever this machine runs
    code = main(["serve", "--extractive", "--data-dir", str(tmp_path), "--port", "0"])
    assert code == 0 and seen == ["locked"]
    # and released when the server is done
    after = Store(f"sqlite:///{tmp_path / 'storybrief.db'}")
    after.lock()
    after.dispose()


def test_serve_refuses_a_port_in_use_in_one_line_before_the_models_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port another program listens on was found by uvicorn only after the models had
    loaded: its own "[Errno 98] ... address already in use" and exit 3. It is now exit 2
    and one line, before the app is made, and the database lock is let go."""
    import socket

    import uvicorn

    import service.app
    from summarizer.cli import main

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append("uvicorn"))
    real_create_app = service.app.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        started.append("app")
        return real_create_app(*args, **kwargs)

    monkeypatch.setattr(service.app, "create_app", create_app)
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--extractive", "--data-dir", str(tmp_path), "--port", str(port)])
    assert code == 2 and started == []
    err = capsys.readouterr().err
    assert err == (
        f"storybrief: error: cannot serve on 127.0.0.1:{port}: the port is already in use "
        "(another program listens there); stop it, or choose another port with --port or "
        "STORYBRIEF_PORT\n"
    )
    # the database was checked first and is free again
    after = Store(f"sqlite:///{tmp_path / 'storybrief.db'}")
    after.lock()
    after.dispose()
    # with the port free again, the same command goes on to serve
    code = main(["serve", "--extractive", "--data-dir", str(tmp_path), "--port", str(port)])
    assert code == 0 and started == ["app", "uvicorn"]


def test_serve_refuses_an_address_it_cannot_have_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from summarizer.cli import main

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server started"))
    # TEST-NET-1 (RFC 5737): an address no machine of this test has
    args = ["serve", "--extractive", "--data-dir", str(tmp_path), "--port", "0"]
    assert main([*args, "--host", "192.0.2.1"]) == 2
    assert capsys.readouterr().err == (
        "storybrief: error: cannot serve on 192.0.2.1:0: Cannot assign requested address\n"
    )


def test_serve_refuses_a_seed_path_that_names_nothing_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped --seed started an empty service, with one warning among uvicorn's."""
    import uvicorn

    from summarizer.cli import main

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append("uvicorn"))
    args = ["serve", "--extractive", "--data-dir", str(tmp_path), "--port", "0"]
    gone = tmp_path / "no-such-seeds"
    assert main([*args, "--seed", "seeds", "--seed", str(gone)]) == 2 and started == []
    assert capsys.readouterr().err == f"storybrief: error: --seed {gone}: no such file or folder\n"


def test_serve_refuses_a_model_name_the_manifest_lacks_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt STORYBRIEF_GENERATOR failed in the app's start-up: a traceback, exit 3."""
    import uvicorn

    from summarizer.cli import main

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append("uvicorn"))
    monkeypatch.setenv("STORYBRIEF_GENERATOR", "qwen-nope")
    args = ["serve", "--data-dir", str(tmp_path), "--port", "0"]
    assert main(args) == 2 and started == []
    assert capsys.readouterr().err == (
        "storybrief: error: unknown model 'qwen-nope'; the manifest has: "
        "qwen2.5-coder-1.5b-instruct-q4_k_m, qwen2.5-coder-0.5b-instruct-q4_k_m\n"
    )
    # an extractive service loads no generator, so its name does not matter
    assert main([*args, "--extractive"]) == 0 and started == ["uvicorn"]


def test_a_damaged_database_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from summarizer.cli import main

    (tmp_path / "storybrief.db").write_bytes(b"not a database at all, " * 100)
    code = main(["serve", "--extractive", "--data-dir", str(tmp_path), "--port", "8799"])
    assert code == 2
    err = capsys.readouterr().err
    assert "storybrief.db cannot be read (file is not a database)" in err


# ---------------------------------------------------------------- shutdown and seeding


def _job_row(job_id: str) -> JobRow:
    now = utcnow()
    return JobRow(
        id=job_id,
        status="queued",
        length="short",
        payload=[],
        total=0,
        done=0,
        results=[],
        article_ids=[],
        attempts=0,
        created_at=now,
        updated_at=now,
    )


def _is_locked(db: Path) -> bool:
    """Whether a service holds the lock on ``db`` (another store cannot take it)."""
    from summarizer.errors import ConfigError

    other = Store(f"sqlite:///{db}")
    try:
        other.lock()
    except ConfigError:
        return True
    finally:
        other.dispose()
    return False


def test_a_transaction_open_when_the_store_closes_is_rolled_back_not_committed(
    tmp_path: Path,
) -> None:
    """The lock goes at once, and a write still open (a lane task that outlived the
    shutdown) can no longer commit into the database another service may now use."""
    db = tmp_path / "storybrief.db"
    store = Store(f"sqlite:///{db}")
    store.lock()
    store.create_schema()
    inside, go = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            with store.session() as s:
                s.add(_job_row("late"))
                s.flush()
                inside.set()
                go.wait(30)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(30)
        started = time.monotonic()
        store.dispose()
        assert time.monotonic() - started < 5  # no commit under way: nothing to wait for
        assert store.closed and not _is_locked(db)
    finally:
        go.set()
        writer.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], StoreClosed), outcome
    assert "the service is stopping" in str(outcome[0])
    with pytest.raises(StoreClosed):
        with store.session():
            pass
    second = Store(f"sqlite:///{db}")
    second.lock()
    try:
        with second.session() as s:
            assert s.get(JobRow, "late") is None
    finally:
        second.dispose()


def test_the_lock_outlasts_a_commit_under_way_when_the_store_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit already under way is waited for (a bounded time); past that the lock is
    kept until the commit ends, and released by it."""
    from sqlalchemy.orm import Session

    db = tmp_path / "storybrief.db"
    store = Store(f"sqlite:///{db}")
    store.lock()
    store.create_schema()
    committing, go = threading.Event(), threading.Event()
    real_commit = Session.commit

    def slow_commit(self: Session) -> None:
        committing.set()
        go.wait(30)
        real_commit(self)

    monkeypatch.setattr(Session, "commit", slow_commit)
    errors: list[BaseException] = []

    def write(job_id: str) -> None:
        try:
            with store.session() as s:
                s.add(_job_row(job_id))
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=write, args=("committed",))
    writer.start()
    try:
        assert committing.wait(30)
        # dispose waits for the commit while it may...
        closer = threading.Thread(target=store.dispose)
        closer.start()
        closer.join(0.3)
        assert closer.is_alive() and _is_locked(db)
        go.set()
        closer.join(30)
        writer.join(30)
        assert not closer.is_alive() and errors == [] and not _is_locked(db)

        # ...and, past its time, leaves the lock to the commit's end
        store = Store(f"sqlite:///{db}")
        store.lock()
        committing.clear()
        go.clear()
        writer = threading.Thread(target=write, args=("slow",))
        writer.start()
        assert committing.wait(30)
        started = time.monotonic()
        store.dispose(timeout=0.2)
        assert time.monotonic() - started < 5
        assert _is_locked(db)  # the commit under way may still land: not released yet
    finally:
        go.set()
        writer.join(30)
    assert errors == [] and not _is_locked(db)
    monkeypatch.undo()
    check = Store(f"sqlite:///{db}")
    try:
        with check.session() as s:
            assert s.get(JobRow, "committed") is not None and s.get(JobRow, "slow") is not None
    finally:
        check.dispose()


def test_a_lane_task_outliving_the_shutdown_commits_nothing_after_the_lock_is_released(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long ingest still running when the service stops used to commit after the lock
    was released, into the database a second service had opened meanwhile: a story then
    listed 5 articles while that service's index knew 4."""
    late = ArticleIn.model_validate({"id": "late", "outlet": "W", "text": EXTRA_TEXT})
    inside, go = threading.Event(), threading.Event()
    try:
        with TestClient(build_app(tmp_path, embedder), raise_server_exceptions=False) as first:
            assert first.post("/v1/articles", json={"articles": seed_payload()}).status_code == 201
            service = first.app.state.service  # type: ignore[attr-defined]
            lane = service.ingest_lane
            monkeypatch.setattr(lane, "close", lambda: Lane.close(lane, timeout=0.3))
            real_sync = service._sync_stories

            def slow_sync(*args: Any, **kwargs: Any) -> Any:  # a long ingest, past the stop
                inside.set()
                go.wait(60)
                return real_sync(*args, **kwargs)

            monkeypatch.setattr(service, "_sync_stories", slow_sync)
            task = lane.submit(lambda: service.ingest([late.to_article()]), bounded=False)
            assert inside.wait(120)
            # Leaving the block stops the service while the ingest still runs.
        with TestClient(build_app(tmp_path, embedder), raise_server_exceptions=False) as second:
            go.set()  # the old ingest goes on to its commit, now refused
            with pytest.raises(StoreClosed):
                task.result(60)
            assert second.get("/v1/articles/late").status_code == 404
            r = second.post("/v1/articles", json={"articles": [late.model_dump(mode="json")]})
            assert r.status_code == 201, r.text
            assert r.json()["created"] == 1  # not already there behind this service's back
            sid = r.json()["data"][0]["story_id"]
            story = second.get(f"/v1/stories/{sid}").json()
            assert len(story["articles"]) == 5
            assert "late" in [a["id"] for a in story["articles"]]
    finally:
        go.set()


def _seeded_app(data_dir: Path, embedder: Embedder, seeds: list[Path]) -> FastAPI:
    settings = Settings(data_dir=data_dir, extractive_only=True)
    return create_app(
        settings,
        pipeline_factory=lambda s: Pipeline(s, embedder, None),
        seed_paths=[str(p) for p in seeds],
    )


def test_a_seed_deleted_through_the_api_is_not_seeded_again_at_the_next_start(
    tmp_path: Path, embedder: Embedder
) -> None:
    """``serve --seed`` runs at every start; a seed article deleted meanwhile (a
    retraction) stays deleted. Sent again by a client, it is stored."""
    data = tmp_path / "data"
    gone = max(LAVROV)
    with TestClient(_seeded_app(data, embedder, [SEEDS])) as c:
        assert c.delete(f"/v1/articles/{gone}").status_code == 200
    with TestClient(_seeded_app(data, embedder, [SEEDS])) as c:
        assert c.get(f"/v1/articles/{gone}").status_code == 404
        assert sorted(s["article_count"] for s in c.get("/v1/stories").json()["data"]) == [1, 3]
        again = next(a for a in seed_payload() if a["id"] == gone)
        r = c.post("/v1/articles", json={"articles": [again]})
        assert r.status_code == 201 and r.json()["data"][0]["status"] == "created"


def test_a_seed_corrected_through_the_api_keeps_its_correction_at_the_next_start(
    tmp_path: Path, embedder: Embedder
) -> None:
    data = tmp_path / "data"
    with TestClient(_seeded_app(data, embedder, [SEEDS])) as c:
        old = c.get(f"/v1/articles/{CHOE}").json()
        body = {"outlet": old["outlet"], "text": old["text"] + " A correction was added."}
        assert c.put(f"/v1/articles/{CHOE}", json=body).json()["status"] == "replaced"
    with TestClient(_seeded_app(data, embedder, [SEEDS])) as c:
        assert c.get(f"/v1/articles/{CHOE}").json()["text"] == body["text"]
        assert c.get("/v1/stories").json()["count"] == 2


def test_an_unusable_seed_is_skipped_with_a_warning_and_the_rest_are_seeded(
    tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "zzz_empty.txt").write_text("Advertisement\n")
    data = tmp_path / "data"
    with caplog.at_level(logging.WARNING, logger="service.app"):
        with TestClient(_seeded_app(data, embedder, [seeds])) as c:
            assert c.get("/v1/stories").json()["count"] == 2
            for aid in [*LAVROV, CHOE]:
                assert c.get(f"/v1/articles/{aid}").status_code == 200
            assert c.get("/v1/articles/zzz_empty").status_code == 404
    skipped = [r.getMessage() for r in caplog.records if r.name == "service.app"]
    assert any(
        "zzz_empty.txt" in m
        and "'zzz_empty'" in m
        and "nothing is left after removing boilerplate" in m
        for m in skipped
    ), skipped

    # A restart on the same database: a seed whose id is stored with another text is a
    # conflict, skipped too; a new one beside it is stored.
    more = tmp_path / "more.json"
    more.write_text(
        json.dumps(
            [
                {"id": CHOE, "outlet": "W", "text": EXTRA_TEXT + " A different text."},
                {"id": "late", "outlet": "W", "text": EXTRA_TEXT},
            ]
        )
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="service.app"):
        with TestClient(_seeded_app(data, embedder, [more])) as c:
            assert c.get("/v1/articles/late").status_code == 200
            assert EXTRA_TEXT not in c.get(f"/v1/articles/{CHOE}").json()["text"]
            assert c.get("/v1/stories").json()["count"] == 2
    skipped = [r.getMessage() for r in caplog.records if r.name == "service.app"]
    assert any(
        CHOE in m and "already stored with a different text, which is kept" in m for m in skipped
    )


def test_a_seed_error_that_names_no_article_seeds_one_at_a_time(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from service.app import seed
    from summarizer.errors import InputError
    from summarizer.types import Article

    stored: list[str] = []

    class FakeService:
        def ingest(self, articles: list[Article], **_: Any) -> Any:
            if any(a.id == "bad" for a in articles):
                raise InputError("something about the set")  # no field: which one?
            stored.extend(a.id for a in articles)
            return type("Out", (), {"count": len(articles), "created": len(articles)})

    path = tmp_path / "set.json"
    texts = {"a": "First text.", "bad": "Second text.", "c": "Third text."}
    path.write_text(json.dumps([{"id": k, "outlet": "W", "text": v} for k, v in texts.items()]))
    with caplog.at_level(logging.WARNING, logger="service.app"):
        seed(FakeService(), [str(path)])  # type: ignore[arg-type]
    assert stored == ["a", "c"]
    assert "article 'bad': something about the set" in caplog.text


# ---------------------------------------------------------------- abandoned futures


def test_a_task_failing_after_its_timeout_logs_no_never_retrieved_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The asyncio future a timed-out request stopped waiting for gets the task's later
    error; nobody reading it used to log "Future exception was never retrieved"."""
    with gated_lane("test", queue_size=1) as (lane, gate):

        def fail_late() -> None:
            gate.wait(10)
            raise ValueError("failed after the request gave up")

        task = lane.submit(fail_late)

        async def give_up_then_fail(task: concurrent.futures.Future[None]) -> None:
            with pytest.raises(RequestTimeout):
                await wait_future(task, Deadline(0.1), "brief")
            gate.set()
            while not task.done():
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # the loop copies the error into its own future

        with caplog.at_level(logging.ERROR, logger="asyncio"):
            asyncio.run(give_up_then_fail(task))
            assert isinstance(task.exception(), ValueError)  # the lane's future keeps it
            del task
            gc.collect()
    assert "never retrieved" not in caplog.text, caplog.text


def test_a_long_jobs_progress_is_committed_in_batches_and_never_lost_at_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each commit rewrites the whole result list: one per story was quadratic in a job's
    stories. Past the first few, results are committed at most every few seconds, and
    all of them at the end or when the job stops on an error."""
    from service import jobs as jobs_module

    monkeypatch.setattr(jobs_module, "PROGRESS_ALWAYS", 3)
    monkeypatch.setattr(jobs_module, "PROGRESS_EVERY_S", 3600.0)
    writes: list[tuple[int, int]] = []

    def update(job_id: str, *, results: list[Any], done: int) -> None:
        writes.append((len(results), done))

    results: list[dict[str, Any]] = []
    with jobs_module._Progress(update, "j", results, set()).flushed() as progress:
        for k in range(10):
            progress.add({"story_id": f"s{k}"}, f"s{k}")
    assert writes == [(1, 1), (2, 2), (3, 3), (10, 10)]

    writes.clear()
    with pytest.raises(RuntimeError):
        with jobs_module._Progress(update, "j", [], set()).flushed() as progress:
            for k in range(6):
                progress.add({"story_id": f"s{k}"}, f"s{k}")
            raise RuntimeError("the brief lane failed")
    assert writes[-1] == (6, 6)  # what was done is kept for the resumed job

    monkeypatch.setattr(jobs_module, "PROGRESS_EVERY_S", 0.0)
    writes.clear()
    with jobs_module._Progress(update, "j", [], set()).flushed() as progress:
        for k in range(5):
            progress.add({"story_id": f"s{k}"}, f"s{k}")
    assert writes == [(k, k) for k in range(1, 6)]  # the interval passed: every story


def test_every_request_body_in_the_openapi_document_has_an_example(
    make_client: Callable[..., TestClient],
) -> None:
    """API.md promises examples for every body; the correction (PUT) had none."""
    doc = make_client().get("/openapi.json").json()
    bodies = {
        f"{method.upper()} {path}": op["requestBody"]["content"]["application/json"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    }
    assert "PUT /v1/articles/{article_id}" in bodies
    assert [k for k, v in bodies.items() if not (v.get("examples") or v.get("example"))] == []
