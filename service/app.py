"""The app factory and its lifespan.

``create_app(settings)`` builds the FastAPI app; nothing heavy happens until the lifespan
starts: it opens the store (creating the schema), builds the pipeline (the embedder and,
unless ``extractive_only``, the generator), loads the story index, recovers interrupted
jobs and warms the models up in the background (``/readyz`` turns ready when they are
loaded). ``pipeline_factory`` replaces how the pipeline is built (tests pass one that
shares a session-wide embedder); models the app did not build are not closed by it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.responses import Response

from service.engine import StoryService
from service.errors import Conflict, error_response, install_error_handlers
from service.head import HeadMiddleware
from service.jobs import JobRunner
from service.limits import BodyCheckMiddleware, TimeoutMiddleware
from service.routes import health, v1
from service.store import Store
from summarizer import __version__
from summarizer.embed import load_embedder
from summarizer.errors import InputError
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings, get_settings

if TYPE_CHECKING:
    from summarizer.io import Located

log = logging.getLogger(__name__)

PipelineFactory = Callable[[Settings], Pipeline]


def default_pipeline(settings: Settings) -> Pipeline:
    """The embedder the settings name, and the generator unless ``extractive_only``."""
    embedder = load_embedder(settings)  # validates the name; encodes one call at a time
    generator = None
    if not settings.extractive_only:
        from summarizer.backends import load_generator

        generator = load_generator(settings)
    return Pipeline(settings, embedder, generator)


EVER = datetime(1970, 1, 1, tzinfo=UTC)  # seeds: a deletion at any time counts


def seed(service: StoryService, paths: Sequence[str]) -> None:
    """Ingest the articles at ``paths``; unreadable ones are logged and skipped.

    The articles go in as one set (one transaction, grouped together). An article the
    service refuses (a text that cleans to nothing, an id already stored with another
    text) is logged with the reason and left out, and the rest go in without it: one bad
    seed file does not stop the service from starting. A seed deleted through the API
    (``DELETE /v1/articles/{id}``) is not stored again at the next start, and one
    corrected through it (``PUT``) keeps its correction.
    """
    from summarizer.io import InputProblem, iter_located_inputs

    located: list[Located] = []
    for item in iter_located_inputs(list(paths)):
        if isinstance(item, InputProblem):
            log.warning("seed skipped: %s", item)
        else:
            located.append(item)
    while located:
        try:
            out = service.ingest([x.article for x in located], deleted_since=EVER)
        except (InputError, Conflict) as err:
            at = _article_at(err.field, len(located))
            if at is None:  # not said which: each article alone, so only bad ones are lost
                _seed_one_by_one(service, located, err)
                return
            _skipped(located.pop(at), err)
            continue
        log.info(
            "seeded %d articles (%d new) into %d stories", out.count, out.created, len(out.stories)
        )
        gone = [it.id for it in out.data if it.status == "deleted"]
        if gone:
            log.info("not seeded again, as deleted through the API: %s", ", ".join(gone))
        return


def _article_at(field: str | None, count: int) -> int | None:
    """The position ``articles.N...`` in an error's field names, if it is one of ``count``."""
    parts = (field or "").split(".")
    if len(parts) >= 2 and parts[0] == "articles" and parts[1].isdigit():
        at = int(parts[1])
        if at < count:
            return at
    return None


def _skipped(item: Located, err: InputError | Conflict) -> None:
    if isinstance(err, Conflict):
        log.warning(
            "seed %s: article %r is already stored with a different text, which is kept "
            "(corrected through the API, or the seed changed since)",
            item,
            item.article.id,
        )
        return
    named = f"article {item.article.id!r}"
    why = err.message if named in err.message else f"{named}: {err.message}"
    log.warning("seed skipped: %s: %s", item, why)


def _seed_one_by_one(
    service: StoryService, located: Sequence[Located], err: InputError | Conflict
) -> None:
    log.warning("seeding one article at a time (%s names no article)", err.message)
    created = 0
    for item in located:
        try:
            created += service.ingest([item.article], deleted_since=EVER).created
        except (InputError, Conflict) as exc:
            _skipped(item, exc)
    log.info("seeded %d new articles one at a time", created)


class _CORS(CORSMiddleware):
    """CORS whose refused preflight answers with the service's JSON error body (the
    middleware's own is plain text: "Disallowed CORS origin")."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        refused = bytes(answer.body).decode().removeprefix("Disallowed CORS ")
        headers = {k: v for k, v in answer.headers.items() if k.lower().startswith("access-")}
        return error_response(
            answer.status_code,
            "bad_request",
            f"this cross-origin request is not allowed (its {refused} is not allowed here)",
            headers=headers,
        )


def open_store(url: str) -> Store:
    """The service's database, locked for this process (one service per database) and
    with its tables made; a ``ConfigError`` in one line when that cannot be done."""
    store = Store(url)
    try:
        store.lock()
        store.create_schema()
    except BaseException:
        store.dispose()
        raise
    return store


def create_app(
    settings: Settings | None = None,
    *,
    pipeline_factory: PipelineFactory | None = None,
    seed_paths: Sequence[str] = (),
    store: Store | None = None,
) -> FastAPI:
    """The storybrief REST app over ``settings`` (default: ``get_settings()``).

    ``seed_paths`` (folders, .json, .jsonl) are ingested at start, before the first request
    (idempotent: a restart on the same database stores nothing twice). ``store``, opened
    with ``open_store``, serves the first start (``serve`` opens it before the models load,
    so that a refusal is one line and no second service can slip in between); otherwise
    the lifespan opens the database itself.
    """
    settings = settings or get_settings()
    given = store
    owns_models = pipeline_factory is None
    factory = pipeline_factory or default_pipeline

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal given
        if given is not None:  # locked and set up by the caller; used by one start only
            store, given = given, None
        else:
            store = open_store(settings.sqlalchemy_url)
        pipeline = factory(settings)
        service = StoryService(settings, store, pipeline)
        service.start()
        if seed_paths:
            seed(service, seed_paths)
        jobs = JobRunner(service)
        jobs.start()
        service.warm_up()
        app.state.service = service
        app.state.jobs = jobs
        log.info(
            "storybrief service ready to accept requests (database %s, journal %s)",
            store.engine.url.render_as_string(hide_password=True),
            store.journal_mode(),
        )
        try:
            yield
        finally:
            app.state.service = None
            app.state.jobs = None
            jobs.stop()
            if owns_models and pipeline.generator is not None:
                # a long brief under way would hold the stop (and the database lock) for
                # as long as it writes; it ends with no brief, and its request with a 503
                pipeline.generator.cancel()
            service.close()
            if owns_models:
                if pipeline.generator is not None:
                    pipeline.generator.close()
                pipeline.embedder.close()
            store.dispose()

    app = FastAPI(
        title="storybrief",
        version=__version__,
        summary="One cited brief per news story, from local models.",
        description=(
            "Ingest articles, keep them grouped into stories, and serve one cited brief per "
            'story. Every error answers `{"error": {"type", "message", "field"}}`.'
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = None
    app.state.jobs = None
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(v1)
    if settings.cors_origins:
        app.add_middleware(
            _CORS,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(TimeoutMiddleware, seconds=settings.request_timeout_s + 5.0)
    app.add_middleware(BodyCheckMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeadMiddleware)  # outermost: HEAD runs every layer as its GET
    return app
