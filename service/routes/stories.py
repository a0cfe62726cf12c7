"""``GET /v1/stories``, ``GET /v1/stories/{id}`` and ``GET /v1/stories/{id}/brief``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BeforeValidator

from service.deps import DeadlineDep, ServiceDep, SettingsDep
from service.errors import responses
from service.schemas import BriefOut, StoriesOut, StoryDetail
from service.worker import wait_future
from summarizer.io import render_markdown
from summarizer.types import Length

router = APIRouter(tags=["stories"])


# a time whose "+HH:MM" offset came through a query string unencoded: "+" there means a
# space, so "2026-11-25T06:07:30+05:00" arrives as "2026-11-25T06:07:30 05:00"
_PLUS_AS_SPACE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?( )\d{2}:?\d{2}"
)


def _plus_sent_as_space(value: Any) -> Any:
    """Refuse, saying why, a time whose offset's "+" was sent unencoded (it arrives as a
    space, which the date parser reads as "extra characters")."""
    if isinstance(value, str) and (m := _PLUS_AS_SPACE.fullmatch(value.strip())):
        at = m.start(1)
        sent = value.strip()
        raise ValueError(
            "the time holds a space where its offset's '+' would be: a '+' in a query "
            "string is read as a space, so send it as %2B "
            f"(updated_since={sent[:at]}%2B{sent[at + 1 :]})"
        )
    return value


def _in_utc(value: datetime | None) -> datetime | None:
    """The time in UTC (a time without a zone is taken as UTC); a time that falls outside
    the years 1..9999 once moved to UTC is refused (422), not left to fail in the store."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "out of range: the time must fall between 0001-01-01T00:00:00Z and "
            "9999-12-31T23:59:59Z in UTC"
        ) from None


@router.get(
    "/stories",
    response_model=StoriesOut,
    summary="List stories, newest first",
    description=(
        "Newest first: by the latest publication date among a story's articles (undated "
        "stories last), then by the last update. `count` is the number of stories matching "
        "the filter across all pages."
    ),
    responses=responses(401, 422),
)
async def list_stories(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    updated_since: Annotated[
        datetime | None,
        BeforeValidator(_plus_sent_as_space),
        AfterValidator(_in_utc),
        Query(
            description="only stories changed at or after this time (ISO 8601, or Unix "
            "seconds); send the '+' of an offset as %2B",
            examples=["2024-01-15T00:00:00Z"],
        ),
    ] = None,
) -> StoriesOut:
    return await run_in_threadpool(
        lambda: service.list_stories(limit=limit, offset=offset, updated_since=updated_since)
    )


@router.get(
    "/stories/{story_id}",
    response_model=StoryDetail,
    summary="One story with its articles and timeline",
    responses=responses(401, 404, 422),
)
async def get_story(story_id: str, service: ServiceDep) -> StoryDetail:
    return await run_in_threadpool(service.get_story, story_id)


@router.get(
    "/stories/{story_id}/brief",
    response_model=BriefOut,
    summary="The story's cited brief",
    description=(
        "Served from the store while the story's articles are unchanged (`cached: true`); "
        "written anew when articles joined the story since, or with `refresh=true`. "
        "`generated_at` and `article_ids` say when and from which articles it was made."
    ),
    responses={
        200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
        **responses(401, 404, 422, 503, 504),
    },
)
async def story_brief(
    story_id: str,
    service: ServiceDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
    length: Annotated[Length | None, Query(description="short | standard | long")] = None,
    refresh: Annotated[bool, Query(description="write a new brief even if one is stored")] = False,
    format: Annotated[  # noqa: A002 (the query parameter's name)
        Literal["json", "markdown"],
        Query(description="json (the Brief), or markdown: the brief as the CLI prints it"),
    ] = "json",
) -> BriefOut | Response:
    chosen: Length = length or settings.length
    brief: BriefOut | None = None
    if not refresh:
        brief = await run_in_threadpool(service.stored_brief, story_id, chosen)
    if brief is None:
        # it reads the story's revision: a database call, kept off the event loop
        future = await run_in_threadpool(
            lambda: service.submit_story_brief(story_id, chosen, refresh=refresh)
        )
        # On a timeout the brief is cancelled if it is still queued and no other request
        # (or job) waits for it; a shared or running one is left to finish and is stored.
        brief = await wait_future(future, deadline, "brief", lane="brief")
    if format == "markdown":
        return Response(render_markdown(brief), media_type="text/markdown; charset=utf-8")
    return brief
