"""Dependencies the routes declare: the settings, the service, the job runner, the API key.

The lifespan puts the heavy objects on ``app.state``; routes get them through the
``Annotated`` aliases below, never through module globals.
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any

from fastapi import Depends, Request

from service.engine import StoryService
from service.errors import InvalidQuery, NotFound, NotReady, Unauthorized, shown
from service.jobs import JobRunner
from service.worker import Deadline
from summarizer.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_service(request: Request) -> StoryService:
    service: StoryService | None = getattr(request.app.state, "service", None)
    if service is None:
        raise NotReady("the service is starting; try again shortly", headers={"Retry-After": "5"})
    return service


def get_jobs(request: Request) -> JobRunner:
    jobs: JobRunner | None = getattr(request.app.state, "jobs", None)
    if jobs is None:
        raise NotReady("the service is starting; try again shortly", headers={"Retry-After": "5"})
    return jobs


def get_deadline(request: Request) -> Deadline:
    settings: Settings = request.app.state.settings
    return Deadline(settings.request_timeout_s)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ServiceDep = Annotated[StoryService, Depends(get_service)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
DeadlineDep = Annotated[Deadline, Depends(get_deadline)]


def known_query(request: Request) -> None:
    """Refuse query parameters the route does not take (422, as for an unknown body
    field): a misspelt ``?lenght=short`` would otherwise be dropped in silence, and the
    request answered with another length after seconds of generation."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    # "_" is left alone: the cache-buster some clients add (``_=1700...``)
    unknown = [k for k in request.query_params if k not in known and k != "_"]
    if unknown:
        takes = ", ".join(sorted(known)) if known else "none"
        raise InvalidQuery(
            f"unknown query parameter {shown(unknown[0])}; this route takes: {takes}",
            unknown[0][:80],
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def plain_path(request: Request) -> None:
    """An id in the path with a control character (a NUL, which PostgreSQL cannot even
    compare) names nothing stored: no ingested id holds one. 404, as for any unknown id."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and _CONTROL.search(value):
            kind = name.removesuffix("_id")
            raise NotFound(f"no {kind} with id {shown(value)}", name)


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route and its dependencies declare."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def key_matches(token: str, keys: list[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit)."""
    given = token.encode("utf-8")
    found = False
    for key in keys:
        found |= hmac.compare_digest(given, key.encode("utf-8"))
    return found


def require_api_key(request: Request, settings: SettingsDep) -> None:
    """With ``api_keys`` set, every /v1 route needs ``Authorization: Bearer <key>``."""
    if not settings.api_keys:
        return
    challenge = {"WWW-Authenticate": "Bearer"}
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an API key is required: Authorization: Bearer <key>", headers=challenge)
    if not key_matches(token.strip(), settings.api_keys):
        raise Unauthorized("the API key is not valid", headers=challenge)
