"""A bounded fuzz run of the OpenAPI document: no input may produce a 5xx.

Every operation gets at most ``MAX_EXAMPLES`` generated requests (valid and invalid),
against the app with the real library (extractive briefs) and a temporary database.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi
from test_service_api import seed_payload

from service.app import create_app
from summarizer.embed import Embedder, load_embedder
from summarizer.pipeline import Pipeline
from summarizer.settings import Settings

MAX_EXAMPLES = 30
_DATA_DIR = Path(tempfile.mkdtemp(prefix="storybrief-fuzz-"))
# Loaded before the app starts: a model loading on a background thread while the schema
# is turned into tests (both parse Python source) can trip CPython 3.11's AST checks.
_EMBEDDER: Embedder = load_embedder(Settings())
_EMBEDDER.load()


def _pipeline(settings: Settings) -> Pipeline:
    return Pipeline(settings, _EMBEDDER, None)


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
def cleanup() -> Iterator[None]:
    yield
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def ready() -> None:
    """Start the app (the schema's transport ends its lifespan after every operation's
    test), wait until /readyz says ready, and seed the store once."""
    with asgi.get_client(APP) as client:
        end = time.monotonic() + 120
        while client.get("http://testserver/readyz").status_code != 200:
            assert time.monotonic() < end, "the app did not become ready"
            time.sleep(0.05)
        if client.get("http://testserver/v1/stories").json()["count"] == 0:
            r = client.post("http://testserver/v1/articles", json={"articles": seed_payload()})
            assert r.status_code == 201, r.text


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
