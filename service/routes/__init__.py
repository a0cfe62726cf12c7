"""The HTTP routes: ``/v1/...`` (behind the optional API key) and the health probes."""

from fastapi import APIRouter, Depends

from service.deps import known_query, plain_path, require_api_key
from service.routes import articles, briefs, health, jobs, stories

v1 = APIRouter(
    prefix="/v1",
    dependencies=[Depends(require_api_key), Depends(known_query), Depends(plain_path)],
)
v1.include_router(articles.router)
v1.include_router(stories.router)
v1.include_router(briefs.router)
v1.include_router(jobs.router)

__all__ = ["health", "v1"]
