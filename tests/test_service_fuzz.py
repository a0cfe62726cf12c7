"""A bounded fuzz run of the OpenAPI document: no input may produce a 5xx.

Every operation gets at most ``MAX_EXAMPLES`` generated requests (valid and invalid),
against the app with the real library (extractive briefs) and a temporary database.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from test_service_api import seed_payload

from service.app import create_app
from summarizer.embed import Embedder, load_embedder
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings

MAX_EXAMPLES = 30
_DATA_DIR = Path(tempfile.mkdtemp(prefix="storybrief-fuzz-"))
_MODELS: dict[str, Embedder] = {}


def _pipeline(settings: Settings) -> Pipeline:
    if "embedder" not in _MODELS:
        _MODELS["embedder"] = load_embedder(settings)
    return Pipeline(settings, _MODELS["embedder"], None)


# Built at import so the schema can be read; the lifespan (database, index) starts in the
# fixture below, and the generated requests reach the same app object.
APP = create_app(
    Settings(
        data_dir=_DATA_DIR,
        extractive_only=True,
        max_articles_per_request=5,
        max_chars_per_article=20_000,
    ),
    pipeline_factory=_pipeline,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def seeded() -> Iterator[None]:
    """Seed the store once (the schema's ASGI transport runs the app's lifespan)."""
    client = TestClient(APP)
    if client.get("/v1/stories").json().get("count") == 0:
        r = client.post("/v1/articles", json={"articles": seed_payload()})
        assert r.status_code == 201, r.text
    yield
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"type", "message", "field"}
        assert "Traceback" not in response.text
