"""``POST /v1/articles`` (ingest), ``GET``, ``PUT`` (a correction) and ``DELETE``
``/v1/articles/{id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.concurrency import run_in_threadpool

from service.deps import DeadlineDep, ServiceDep, SettingsDep
from service.errors import PayloadTooLarge, responses
from service.limits import check_articles
from service.schemas import (
    ArticleDeleted,
    ArticleIn,
    ArticlePublic,
    ArticleReplaced,
    ArticlesIn,
    IngestOut,
)
from service.worker import wait_future
from summarizer.errors import InputError
from summarizer.io import submitted_length

router = APIRouter(tags=["articles"])

_SEED_TEXT = (
    "Russian Foreign Minister Sergey Lavrov arrived in Pyongyang on Wednesday for two days "
    "of talks, a month after the summit between the two countries' leaders. "
    "He was greeted at the airport by North Korea's foreign minister."
)

INGEST_EXAMPLES: dict[str, Any] = {
    "one": {
        "summary": "One article",
        "value": {
            "articles": [
                {
                    "outlet": "AP",
                    "title": "Russia's foreign minister visits Pyongyang",
                    "url": "https://news.example/2023/10/lavrov-pyongyang",
                    "published": "2023-10-19",
                    "text": _SEED_TEXT,
                }
            ]
        },
    },
    "with_ids": {
        "summary": "Your own ids",
        "value": {
            "articles": [
                {
                    "id": "yonhap-1",
                    "outlet": "Yonhap",
                    "published": "2023-10-20",
                    "text": _SEED_TEXT,
                },
            ]
        },
    },
}
CORRECTION_EXAMPLES: dict[str, Any] = {
    "correction": {
        "summary": "A corrected text, the other fields sent again",
        "value": {
            "outlet": "AP",
            "title": "Russia's foreign minister visits Pyongyang",
            "url": "https://news.example/2023/10/lavrov-pyongyang",
            "published": "2023-10-19",
            "text": _SEED_TEXT,
        },
    },
}


@router.post(
    "/articles",
    response_model=IngestOut,
    status_code=201,
    summary="Ingest articles",
    description=(
        "Store one or many articles and add them to stories. Idempotent: an article already "
        "stored (same id and text, same url, or the same cleaned text) is answered with its "
        "existing id and status `existing`. All or nothing: any invalid article stores none. "
        "201 when something was stored, 200 when everything already was."
    ),
    responses={
        200: {"model": IngestOut, "description": "Every article was already stored"},
        **responses(400, 401, 409, 413, 422, 503, 504),
    },
)
async def ingest_articles(
    body: Annotated[ArticlesIn, Body(openapi_examples=INGEST_EXAMPLES)],
    response: Response,
    service: ServiceDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
) -> IngestOut:
    check_articles(body.articles, settings.max_articles_per_request, settings.max_chars_per_article)
    articles = body.to_articles()
    out = await service.ingest_lane.run(
        lambda: service.ingest(articles, deadline), deadline, "ingest"
    )
    if out.created == 0:
        response.status_code = 200
    return out


@router.get(
    "/articles/{article_id}",
    response_model=ArticlePublic,
    summary="One stored article",
    responses=responses(401, 404, 422),
)
async def get_article(article_id: str, service: ServiceDep) -> ArticlePublic:
    return await run_in_threadpool(service.get_article, article_id)


@router.delete(
    "/articles/{article_id}",
    response_model=ArticleDeleted,
    summary="Delete a stored article",
    description=(
        "Deletes the article's text and vectors and takes it out of its story. The story "
        "keeps its id and its other articles (it is not grouped again); its revision goes "
        "up, its headline is taken again from the articles left, and its stored briefs are "
        "deleted, since they may quote the article: the next brief is written from the "
        "articles left. A story left with no article is deleted. Briefs already handed "
        "out, and the results of jobs that ran before, are not changed."
    ),
    responses=responses(401, 404, 422, 503, 504),
)
async def delete_article(
    article_id: str, service: ServiceDep, deadline: DeadlineDep
) -> ArticleDeleted:
    task = service.ingest_lane.submit(lambda: service.delete_article(article_id), measure=False)
    return await wait_future(task, deadline, "delete", lane="ingest")


@router.put(
    "/articles/{article_id}",
    response_model=ArticleReplaced,
    summary="Correct a stored article",
    description=(
        "Puts the article sent in place of the stored article of this id: a correction of "
        "its text, title, outlet, url or date. The body is the whole article: a field left "
        "out (title, url, published) is cleared. The article keeps its id and its story (which "
        "is not grouped again, as after a delete); the story's revision goes up and its "
        "stored briefs are deleted, since they quote the old text; one transaction. `id` in "
        "the body may be left out, or must be this id. 404 when no article has this id "
        "(POST stores new ones); 409 when another stored article has the same url or the "
        "same cleaned text."
    ),
    responses=responses(401, 404, 409, 413, 422, 503, 504),
)
async def replace_article(
    article_id: str,
    body: Annotated[ArticleIn, Body(openapi_examples=CORRECTION_EXAMPLES)],
    service: ServiceDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
) -> ArticleReplaced:
    if body.id is not None and body.id != article_id:
        raise InputError(
            f"the body's id {body.id!r} is not the id in the path ({article_id!r}); a "
            "correction keeps the article's id",
            "id",
        )
    if (length := submitted_length(body.text)) > settings.max_chars_per_article:
        raise PayloadTooLarge(
            f"the article has {length} characters; the limit is {settings.max_chars_per_article}",
            "text",
        )
    try:
        article = body.model_copy(update={"id": article_id}).to_article()
    except InputError as exc:
        raise InputError(exc.message, exc.field or "text") from None
    task = service.ingest_lane.submit(
        lambda: service.replace_article(article, deadline), measure=False
    )
    return await wait_future(task, deadline, "replace", lane="ingest")
