"""Inference backends, the model manifest and chunk assembly.

``load_generator(settings)`` returns a ``Generator`` for a manifest model without loading
it: the weights are assembled (if needed) and loaded on the first ``generate`` or
``count_tokens`` call, once, and released by ``close()``. The backend is chosen by
``Settings.backend``: ``auto`` picks transformers when CUDA is available, else llama.cpp.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from summarizer.backends.assembly import (
    AssembleResult,
    Part,
    assemble,
    ensure_model,
    model_path,
    sha256_file,
    verify_model,
    weights_path,
)
from summarizer.backends.base import (
    ChatMessage,
    GenerationConfig,
    GenerationResult,
    Generator,
    Prompt,
)
from summarizer.backends.manifest import Manifest, ModelSpec, load_manifest, parse_manifest
from summarizer.errors import ConfigError
from summarizer.settings import Settings

__all__ = [
    "AssembleResult",
    "ChatMessage",
    "GenerationConfig",
    "GenerationResult",
    "Generator",
    "Manifest",
    "ModelSpec",
    "Part",
    "Prompt",
    "assemble",
    "cuda_available",
    "embedder_path",
    "ensure_model",
    "get_manifest",
    "load_generator",
    "load_manifest",
    "model_path",
    "parse_manifest",
    "resolve_backend",
    "sha256_file",
    "verify_model",
    "weights_path",
]

GeneratorBackend = Literal["llama_cpp", "transformers"]


def get_manifest(settings: Settings) -> Manifest:
    """The manifest named by ``settings.manifest``."""
    return load_manifest(settings.manifest)


def embedder_path(settings: Settings, name: str | None = None) -> Path:
    """The sentence-transformers directory of the embedder (``settings.embedder`` by default)."""
    spec = get_manifest(settings).get(name or settings.embedder, role="embedder")
    return ensure_model(spec, settings.cache_dir).path


def cuda_available() -> bool:
    """Whether torch is installed and sees a CUDA device (imports torch only when present)."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_backend(
    settings: Settings, spec: ModelSpec, backend: str | None = None
) -> GeneratorBackend:
    """The backend to run ``spec`` with: the one asked for, else ``settings.backend``."""
    wanted = backend or settings.backend
    if wanted == "auto":
        wanted = "transformers" if cuda_available() else "llama_cpp"
    if wanted not in ("llama_cpp", "transformers") or wanted not in spec.backends:
        valid = ", ".join(b for b in spec.backends if b in ("llama_cpp", "transformers"))
        raise ConfigError(f"{spec.name} cannot run on backend {wanted!r}; valid: auto, {valid}")
    return "transformers" if wanted == "transformers" else "llama_cpp"


# What a prompt holds besides the evidence: the system message, the request, the reply form.
PROMPT_OVERHEAD_TOKENS = 200


def check_context(settings: Settings, n_ctx: int) -> None:
    """Refuse an evidence budget that, with the longest brief, cannot fit the context:
    every brief would otherwise fall back to an extractive one."""
    from summarizer.types import LENGTH_SENTENCES

    longest = max(settings.max_new_tokens, 32 + 40 * max(LENGTH_SENTENCES.values()))
    room = n_ctx - PROMPT_OVERHEAD_TOKENS - longest
    if settings.evidence_token_budget > room:
        raise ConfigError(
            f"STORYBRIEF_EVIDENCE_TOKEN_BUDGET {settings.evidence_token_budget} does not fit a "
            f"context of {n_ctx} tokens (STORYBRIEF_N_CTX) with the prompt and a brief of up to "
            f"{longest} tokens; at most {max(room, 0)} fits"
        )


def load_generator(
    settings: Settings, name: str | None = None, backend: str | None = None
) -> Generator:
    """A lazily loading generator for the manifest model ``name`` (``settings.generator``)."""
    spec = get_manifest(settings).get(name or settings.generator, role="generator")
    chosen = resolve_backend(settings, spec, backend)
    n_ctx = min(settings.n_ctx or spec.default_n_ctx, spec.context_length)
    check_context(settings, n_ctx)
    path = model_path(spec, settings.cache_dir)

    def prepare() -> object:
        return ensure_model(spec, settings.cache_dir)

    if chosen == "llama_cpp":
        from summarizer.backends.llama_cpp_backend import LlamaCppGenerator

        return LlamaCppGenerator(
            name=spec.name,
            sha256=spec.sha256,
            model_path=path,
            context_length=n_ctx,
            threads=settings.threads,
            n_batch=settings.n_batch,
            prepare=prepare,
            prompt_lookup=settings.prompt_lookup,
        )
    from summarizer.backends.transformers_backend import TransformersGenerator

    return TransformersGenerator(
        name=spec.name,
        sha256=spec.sha256,
        context_length=n_ctx,
        gguf=path,
        converted_dir=settings.cache_dir / f"{spec.name}-hf",
        prepare=prepare,
        device=settings.device,
        dtype=settings.torch_dtype,
        threads=settings.threads,
    )
