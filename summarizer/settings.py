"""One settings object for the library, the CLI and the service.

Every field can be set from the environment with the ``STORYBRIEF_`` prefix, e.g.
``STORYBRIEF_THREADS=2`` or ``STORYBRIEF_BACKEND=transformers``. ``get_settings()`` is
cached; tests override it with ``get_settings.cache_clear()`` and environment variables,
or by passing a ``Settings`` object explicitly.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from summarizer.errors import ConfigError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = PROJECT_ROOT / "models" / "manifest.toml"
DEFAULT_CACHE = PROJECT_ROOT / "models" / "cache"

Backend = Literal["auto", "llama_cpp", "transformers"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STORYBRIEF_", extra="forbid")

    # models
    manifest: Path = Field(DEFAULT_MANIFEST, description="model manifest (TOML)")
    cache_dir: Path = Field(DEFAULT_CACHE, description="where assembled model files live")
    generator: str = Field(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        description="the generator's name in the manifest; qwen2.5-coder-0.5b-instruct-q4_k_m "
        "is the small one",
    )
    embedder: str = Field("all-minilm-l6-v2")
    embed_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="dtype the embedder runs in; auto: bfloat16 on a CPU with native "
        "bfloat16 (AVX-512 BF16 or AMX), else float32",
    )
    backend: Backend = Field("auto", description="auto: transformers on CUDA, else llama_cpp")
    threads: int = Field(
        default_factory=lambda: min(256, max(1, os.cpu_count() or 1)), ge=1, le=256
    )
    n_ctx: int | None = Field(None, ge=256, description="context size; default: manifest")
    n_batch: int = Field(512, ge=8)
    prompt_lookup: int = Field(
        4,
        ge=0,
        le=64,
        description="llama.cpp prompt-lookup decoding: draft tokens after a match of 3 or more "
        "tokens (0: off)",
    )
    device: str | None = Field(None, description="torch device for transformers; default auto")
    torch_dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="transformers weights dtype; auto: bfloat16 on CUDA, float32 on CPU"
    )

    # generation
    length: Literal["short", "standard", "long"] = "standard"
    max_new_tokens: int = Field(
        160, ge=16, le=4096, description="floor; raised to fit the brief length (32 + 40/sentence)"
    )
    repeat_penalty: float = Field(1.1, ge=1.0, le=2.0)
    generation_timeout_s: float = Field(120.0, gt=0, allow_inf_nan=False)
    evidence_token_budget: int = Field(450, ge=64)
    max_story_sentences: int = Field(
        2000,
        ge=50,
        description="sentences of one story deduplicated for a brief at most: the first "
        "sentences of every article, as many as fit (dedup needs memory in the square of it)",
    )
    support_threshold: float = Field(0.75, ge=0.0, le=1.0)
    keep_unsupported: bool = False
    top_up: bool = Field(
        True,
        description="fill a brief that came out short (unsupported sentences dropped, or "
        "fewer written than asked) with verbatim evidence sentences, marked origin=extract",
    )

    # data and service
    data_dir: Path = Field(PROJECT_ROOT / "data")
    database_url: str | None = Field(
        None, description="a PostgreSQL URL (postgresql+psycopg://...); default SQLite in data_dir"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    api_keys: list[str] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(10_000_000, ge=1024)
    max_articles_per_request: int = Field(200, ge=1)
    max_chars_per_article: int = Field(
        100_000,
        ge=100,
        description="the longest article text, in characters as submitted (before HTML "
        "character references are decoded: '&amp;' is five), for the API and the CLI alike",
    )
    queue_size: int = Field(4, ge=1)
    request_timeout_s: float = Field(300.0, gt=0, allow_inf_nan=False)
    ingest_queue_size: int = Field(64, ge=1, description="ingest requests waiting at most")
    max_articles_per_job: int = Field(5000, ge=1)
    prepared_cache_size: int = Field(2000, ge=0, description="prepared articles kept in memory")
    job_max_attempts: int = Field(3, ge=1, description="restarts a job survives before failing")
    extractive_only: bool = Field(
        False, description="no generator, extractive briefs (serve, summarize, batch)"
    )

    @field_validator("cache_dir", "data_dir", "manifest", mode="before")
    @classmethod
    def _not_empty(cls, v: object) -> object:
        # an empty value would silently mean the current folder
        if isinstance(v, str) and not v.strip():
            raise ValueError("must not be empty")
        return v

    @field_validator("cache_dir", "data_dir", "manifest")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return Path(os.path.expanduser(str(v)))

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.generator == self.embedder:
            raise ValueError("generator and embedder must be different models")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'storybrief.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment; a bad value is a ``ConfigError`` naming its variable."""
    return make_settings()


# variables with the prefix that are not settings (read by the test suite)
_NOT_SETTINGS = frozenset({"STORYBRIEF_E2E_MODEL"})


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """``STORYBRIEF_`` variables that name no setting, each with the nearest setting's name
    when there is one (a misspelt variable would otherwise be ignored in silence)."""
    env = os.environ if environ is None else environ
    known = {"STORYBRIEF_" + name.upper() for name in Settings.model_fields}
    out = []
    for var in sorted(env):
        if var.upper().startswith("STORYBRIEF_") and var.upper() not in known | _NOT_SETTINGS:
            names = sorted(k.removeprefix("STORYBRIEF_") for k in known)
            near = difflib.get_close_matches(var.upper().removeprefix("STORYBRIEF_"), names, n=1)
            out.append(f"{var} (did you mean STORYBRIEF_{near[0]}?)" if near else var)
    return out


def make_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``overrides`` (e.g. command-line flags); a bad value
    is a ``ConfigError`` naming its variable, not a validation traceback. A variable with
    the prefix that names no setting is logged as a warning."""
    for var in unknown_variables():
        log.warning("unknown setting %s is ignored", var)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(_named(e["loc"], overrides) + e["msg"] for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc
    except SettingsError as exc:  # e.g. a list setting that is not JSON
        field = _SETTINGS_FIELD.search(str(exc))
        what = f"STORYBRIEF_{field.group(1).upper()} is not valid" if field else str(exc)
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ConfigError(
            f"invalid settings: {what}{cause} (list settings take JSON, e.g. "
            '\'["key-one", "key-two"]\')'
        ) from exc


_SETTINGS_FIELD = re.compile(r'field "(\w+)"')


def _named(loc: Sequence[int | str], overrides: Mapping[str, Any]) -> str:
    """Where a bad value came from: the variable, or the value given in the call (a
    command-line option), with a colon; nothing for an error of no field."""
    if not loc:
        return ""
    if len(loc) == 1 and loc[0] in overrides:
        return f"{loc[0]} {overrides[str(loc[0])]!r}: "
    return "STORYBRIEF_" + "_".join(str(p) for p in loc).upper() + ": "
