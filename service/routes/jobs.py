"""``POST /v1/jobs`` and ``GET /v1/jobs/{id}``: large article sets in the background."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from fastapi.concurrency import run_in_threadpool

from service.deps import JobsDep, SettingsDep
from service.errors import responses
from service.limits import check_articles
from service.routes.briefs import BRIEF_EXAMPLES
from service.schemas import JobIn, JobOut

router = APIRouter(tags=["jobs"])


@router.post(
    "/jobs",
    response_model=JobOut,
    status_code=202,
    summary="Start a background job",
    description=(
        "Stores the job and answers at once; the job ingests the articles (unless `store` "
        "is false) and writes one brief per story, reporting progress as stories done / "
        "total. A restart resumes an interrupted job, or marks it failed with the reason. "
        "The set is checked first, as `POST /v1/briefs` checks it: an article that cleans "
        "to nothing is a 422 and an id stored with another text a 409, naming the article, "
        "and no job is made."
    ),
    responses=responses(400, 401, 409, 413, 422, 503),
)
async def create_job(
    body: Annotated[JobIn, Body(openapi_examples=BRIEF_EXAMPLES)],
    response: Response,
    jobs: JobsDep,
    settings: SettingsDep,
) -> JobOut:
    check_articles(
        body.articles,
        settings.max_articles_per_job,
        settings.max_chars_per_article,
        hint="split the set into several jobs",
    )
    articles = body.to_articles()
    # refused now as POST /v1/briefs would refuse it, not failed later as a whole
    await run_in_threadpool(jobs.service.check_articles, articles, stored=body.store)
    job = await run_in_threadpool(jobs.create, body, articles)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="A job's status, progress and results",
    description=(
        "`results` holds the briefs written so far, in the order they were written; they "
        "stay in that order as the job goes on, so pages read while it runs neither skip "
        "nor repeat a brief. Page with `offset` and `limit` (`results_next` is the next "
        "page's offset); `limit=0` gives the job without its results. Without `limit`, "
        "every result from `offset` on."
    ),
    responses=responses(401, 404, 422),
)
async def get_job(
    job_id: str,
    jobs: JobsDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="results to skip")] = 0,
    limit: Annotated[
        int | None, Query(ge=0, le=1000, description="results on this page (all if absent)")
    ] = None,
) -> JobOut:
    return await run_in_threadpool(jobs.get, job_id, offset, limit)
