"""``GET /healthz`` (the process is up) and ``GET /readyz`` (database and models ready)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from service.deps import ServiceDep
from service.errors import NotReady, responses
from service.schemas import Health, Ready
from service.store import database_fault

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    summary="The database is reachable and the models are loaded",
    responses=responses(503),
)
async def readyz(service: ServiceDep) -> Ready:
    try:
        await run_in_threadpool(service.store.ping)
        stories = await run_in_threadpool(service.count_stories)
    except Exception as exc:
        raise NotReady(
            f"the database cannot serve: {database_fault(exc)}", headers={"Retry-After": "10"}
        ) from None
    if not service.models_ready.is_set():
        raise NotReady("the models are still loading", headers={"Retry-After": "5"})
    gen = service.pipeline.generator
    return Ready(
        status="ready",
        database="ok",
        embedder=service.pipeline.embedder.name,
        generator=gen.name if gen is not None else "extractive",
        stories=stories,
        brief_seconds=round(service.brief_lane.mean_task_s, 2),
        ingest_seconds=round(service.ingest_lane.mean_task_s, 2),
    )
