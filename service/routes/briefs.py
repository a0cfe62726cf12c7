"""``POST /v1/briefs``: an article set in, its stories' briefs out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from service.deps import DeadlineDep, ServiceDep, SettingsDep
from service.errors import NotFound, responses
from service.limits import check_articles
from service.routes.articles import _SEED_TEXT
from service.schemas import BriefOut, BriefsIn, BriefsOut
from summarizer.types import Length

router = APIRouter(tags=["briefs"])

BRIEF_EXAMPLES: dict[str, Any] = {
    "stateless": {
        "summary": "Brief two articles, store nothing",
        "value": {
            "length": "short",
            "articles": [
                {"id": "a1", "outlet": "AP", "published": "2023-10-19", "text": _SEED_TEXT},
                {
                    "id": "a2",
                    "outlet": "CNA",
                    "published": "2023-10-19",
                    "text": "North Korean leader Kim Jong Un met Russia's foreign minister "
                    "Sergey Lavrov in Pyongyang. Lavrov's visit follows Kim's trip to "
                    "Russia's Far East last month.",
                },
            ],
        },
    }
}


@router.post(
    "/briefs",
    response_model=BriefsOut,
    summary="Brief an article set",
    description=(
        "Groups the articles into stories and writes one cited brief per story. Nothing is "
        "stored unless `store` is true (then the articles are ingested and the briefs kept, "
        "as with POST /v1/articles followed by GET /v1/stories/{id}/brief)."
    ),
    responses=responses(400, 401, 409, 413, 422, 503, 504),
)
async def post_briefs(
    body: Annotated[BriefsIn, Body(openapi_examples=BRIEF_EXAMPLES)],
    service: ServiceDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
) -> BriefsOut:
    check_articles(body.articles, settings.max_articles_per_request, settings.max_chars_per_article)
    articles = body.to_articles()
    length: Length = body.length or settings.length
    if not body.store:
        briefs = await service.brief_lane.run(
            lambda: service.stateless_briefs(articles, length, deadline), deadline, "briefs"
        )
        return BriefsOut(data=briefs, count=len(briefs))
    ingest = await service.ingest_lane.run(
        lambda: service.ingest(articles, deadline), deadline, "ingest"
    )

    def write_all() -> list[BriefOut]:
        out = []
        for sid in ingest.stories:  # past the deadline the client has its 504: stop
            deadline.check("briefs")
            try:
                out.append(service.story_brief(sid, length))
            except NotFound:  # its articles were deleted since they were stored: no brief
                continue
        return out

    stored = await service.brief_lane.run(write_all, deadline, "briefs")
    return BriefsOut(data=stored, count=len(stored), articles=ingest.data)
