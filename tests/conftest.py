"""Shared fixtures: paths, and the real generators (loaded once per session, lazily)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from summarizer.backends import Generator, load_generator  # noqa: E402
from summarizer.settings import PROJECT_ROOT, Settings  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def seed_dir(repo_root: Path) -> Path:
    return repo_root / "seeds"


@pytest.fixture(scope="session")
def eval_dir(repo_root: Path) -> Path:
    """``../shared/eval`` beside the repository; the test is skipped when it is absent."""
    path = repo_root.parent / "shared" / "eval"
    if not path.is_dir():
        pytest.skip(f"evaluation data not found at {path}")
    return path


@pytest.fixture(scope="session")
def eval_path(eval_dir: Path) -> Path:
    """The Multi-News attribution dev set (JSON lines)."""
    path = eval_dir / "multinews-attribution" / "dev.jsonl"
    if not path.is_file():
        pytest.skip(f"evaluation data not found at {path}")
    return path


@pytest.fixture(scope="session")
def model_settings() -> Settings:
    """Settings for real-model tests: the repository's manifest and model cache."""
    return Settings()


def _generator(settings: Settings, name: str) -> Iterator[Generator]:
    gen = load_generator(settings, name)
    if gen.backend == "llama_cpp":
        pytest.importorskip("llama_cpp")
    yield gen
    gen.close()


# The manifest's small generator (0.5B): the real-model tests that need a model, not its
# quality, run on it. The library uses it only where STORYBRIEF_GENERATOR names it.
SMALL_GENERATOR = "qwen2.5-coder-0.5b-instruct-q4_k_m"


@pytest.fixture(scope="session")
def small_generator_name() -> str:
    return SMALL_GENERATOR


@pytest.fixture(scope="session")
def small_generator(model_settings: Settings) -> Iterator[Generator]:
    """The small real generator (0.5B) on the default backend; loads on first use."""
    yield from _generator(model_settings, SMALL_GENERATOR)


@pytest.fixture(scope="session")
def default_generator(model_settings: Settings) -> Iterator[Generator]:
    """The default real generator (1.5B) on the default backend; loads on first use."""
    yield from _generator(model_settings, model_settings.generator)


@pytest.fixture(scope="session")
def embedder(model_settings: Settings) -> Iterator[object]:
    """The real sentence embedder (all-MiniLM-L6-v2 from its PyPI package), loaded once."""
    from summarizer.embed import load_embedder

    emb = load_embedder(model_settings)
    yield emb
    emb.close()
