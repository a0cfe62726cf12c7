"""The transformers + torch backend: an HF model directory, or a GGUF file converted once.

Loading a GGUF through transformers dequantises every tensor and converts the tokenizer,
which takes about a minute for 1.5B parameters; the converted model is saved once as
safetensors (``<cache>/<name>-hf/``) and later loads read that directory in seconds.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from summarizer.backends._locks import file_lock
from summarizer.backends.base import (
    GenerationConfig,
    GenerationResult,
    Generator,
    Prompt,
)
from summarizer.errors import GenerationError, InputError, ModelError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

DType = Literal["auto", "float32", "bfloat16", "float16"]
MARKER = ".converted-from"  # holds the sha256 of the GGUF a converted directory came from


def _import_torch() -> Any:
    try:
        import torch
        import transformers
    except ImportError as exc:  # pragma: no cover - both are project dependencies
        raise ModelError(
            "the transformers backend needs torch and transformers: pip install torch transformers"
        ) from exc
    return torch, transformers


def _is_complete(directory: Path, source_sha256: str) -> bool:
    marker = directory / MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == source_sha256


def _publish(tmp: Path, out_dir: Path, source_sha256: str) -> None:
    (tmp / MARKER).write_text(source_sha256 + "\n", encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)


def _convert(out_dir: Path, source_sha256: str, build: Callable[[Path], None], what: str) -> Path:
    """Run ``build(tmp)`` once under a lock, publish ``tmp`` as ``out_dir`` when it succeeds."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(out_dir):
        if _is_complete(out_dir, source_sha256):
            return out_dir
        tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        start = time.perf_counter()
        log.info("converting %s into %s (once)", what, out_dir)
        try:
            build(tmp)
            _publish(tmp, out_dir, source_sha256)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("converted %s in %.1f s", what, time.perf_counter() - start)
    return out_dir


def convert_gguf(gguf: Path, out_dir: Path, source_sha256: str, dtype: DType = "bfloat16") -> Path:
    """Convert a GGUF file to a safetensors model directory (tokenizer included), once."""

    def build(tmp: Path) -> None:
        torch, transformers = _import_torch()
        torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
        model = transformers.AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch_dtype, local_files_only=True
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            gguf.parent, gguf_file=gguf.name, local_files_only=True
        )
        # The weights are dequantised in memory; what is saved is a plain model, so the GGUF
        # quantizer and its config must go (save_pretrained refuses them otherwise).
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)

    return _convert(out_dir, source_sha256, build, gguf.name)


def tokenizer_dir(gguf: Path, converted_dir: Path, source_sha256: str) -> Path:
    """A directory holding the GGUF's tokenizer: the converted model's, or a tokenizer-only one."""
    if _is_complete(converted_dir, source_sha256):
        return converted_dir
    out_dir = converted_dir.with_name(converted_dir.name.removesuffix("-hf") + "-tokenizer")

    def build(tmp: Path) -> None:
        _, transformers = _import_torch()
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            gguf.parent, gguf_file=gguf.name, local_files_only=True
        )
        tokenizer.save_pretrained(tmp)

    return _convert(out_dir, source_sha256, build, f"the tokenizer of {gguf.name}")


class _Watch:
    """A stopping criterion: stop strings, a deadline, and the time of the first token."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        prompt_len: int,
        stop: Sequence[str],
        timeout_s: float | None,
        start: float,
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.stop = tuple(s for s in stop if s)
        # a stop string of L characters spans at most ~4L byte-level tokens
        self.window = 4 * max((len(s) for s in self.stop), default=0) + 4
        self.deadline = None if timeout_s is None else start + timeout_s
        self.first_token_at: float | None = None
        self.timed_out = False
        self.stopped = False

    def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        import torch

        now = time.perf_counter()
        if self.first_token_at is None:
            self.first_token_at = now
        done = False
        if self.stop:
            tail = input_ids[0, max(self.prompt_len, input_ids.shape[1] - self.window) :]
            text = self.tokenizer.decode(tail.tolist(), skip_special_tokens=True)
            if any(s in text for s in self.stop):
                self.stopped = done = True
        if not done and self.deadline is not None and now >= self.deadline:
            self.timed_out = done = True
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def _criterion(watch: _Watch) -> Any:
    """Wrap the watch in transformers' StoppingCriteria base class (imported lazily)."""
    from transformers import StoppingCriteria

    class _Criterion(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return watch(input_ids, scores, **kwargs)

    return _Criterion()


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut ``text`` before the earliest stop string; whether one was found."""
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    if not cuts:
        return text, False
    return text[: min(cuts)], True


class TransformersGenerator(Generator):
    """A causal LM run by transformers; loads lazily on first use, once."""

    backend = "transformers"

    def __init__(
        self,
        *,
        name: str,
        sha256: str,
        context_length: int,
        model_dir: Path | None = None,
        gguf: Path | None = None,
        converted_dir: Path | None = None,
        prepare: Callable[[], object] | None = None,
        device: str | None = None,
        dtype: DType = "auto",
        threads: int | None = None,
    ) -> None:
        if (model_dir is None) == (gguf is None):
            raise ValueError("give exactly one of model_dir and gguf")
        if gguf is not None and converted_dir is None:
            converted_dir = gguf.with_name(gguf.name.removesuffix(".gguf") + "-hf")
        self.name = name
        self.sha256 = sha256
        self.context_length = context_length
        self._model_dir = model_dir
        self._gguf = gguf
        self._converted_dir = converted_dir
        self._prepare = prepare
        self._device = device
        self._dtype: DType = dtype
        self._threads = threads
        self._lock = threading.RLock()
        self._model: PreTrainedModel | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None
        self.load_s: float | None = None

    # ------------------------------------------------------------------ loading

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def device(self) -> str:
        if self._device:
            return self._device
        torch, _ = _import_torch()
        return "cuda" if torch.cuda.is_available() else "cpu"

    def _source_dir(self) -> Path:
        if self._model_dir is not None:
            return self._model_dir
        assert self._gguf is not None and self._converted_dir is not None
        return convert_gguf(self._gguf, self._converted_dir, self.sha256)

    def _load(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        with self._lock:
            if self._model is not None and self._tokenizer is not None:
                return self._model, self._tokenizer
            start = time.perf_counter()
            torch, transformers = _import_torch()
            if self._prepare is not None:
                self._prepare()
            device = self.device
            if device == "cpu" and self._threads:
                torch.set_num_threads(self._threads)
            if self._dtype != "auto":
                dtype = getattr(torch, self._dtype)
            else:
                dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
            source = self._source_dir()
            try:
                model = transformers.AutoModelForCausalLM.from_pretrained(
                    source, dtype=dtype, local_files_only=True
                )
                tokenizer = transformers.AutoTokenizer.from_pretrained(
                    source, local_files_only=True
                )
            except (OSError, ValueError) as exc:
                raise ModelError(f"cannot load {self.name} from {source}: {exc}") from exc
            model.to(device)
            model.eval()
            self._model, self._tokenizer = model, tokenizer
            self.load_s = time.perf_counter() - start
            log.info("loaded %s (%s, %s) in %.1f s", self.name, device, dtype, self.load_s)
            return model, tokenizer

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """The model's tokenizer (loads the model on first use)."""
        return self._load()[1]

    def close(self) -> None:
        with self._lock:
            self._model = None
            self._tokenizer = None

    # ------------------------------------------------------------------ tokens

    def _encode(self, tokenizer: PreTrainedTokenizerBase, prompt: Prompt) -> list[int]:
        if isinstance(prompt, str):
            return list(tokenizer(prompt).input_ids)
        if not prompt:
            raise InputError("the message list is empty", field="messages")
        text = tokenizer.apply_chat_template(
            [{"role": m["role"], "content": m["content"]} for m in prompt],
            tokenize=False,
            add_generation_prompt=True,
        )
        return list(tokenizer(str(text), add_special_tokens=False).input_ids)

    def count_tokens(self, text: str) -> int:
        _, tokenizer = self._load()
        return len(tokenizer(text, add_special_tokens=False).input_ids)

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        _, tokenizer = self._load()
        return len(self._encode(tokenizer, prompt))

    def _eos_ids(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
        ids: set[int] = set()
        configured = model.generation_config.eos_token_id
        if isinstance(configured, int):
            ids.add(configured)
        elif configured:
            ids.update(int(i) for i in configured)
        if tokenizer.eos_token_id is not None:
            ids.add(int(tokenizer.eos_token_id))
        return sorted(ids)

    # ------------------------------------------------------------------ generation

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        cfg = config or GenerationConfig()
        model, tokenizer = self._load()
        with self._lock:
            ids = self._encode(tokenizer, prompt)  # preprocess
            n_prompt = len(ids)
            max_new = self.new_token_allowance(n_prompt, cfg.max_new_tokens)
            eos = self._eos_ids(model, tokenizer)
            start = time.perf_counter()
            watch = _Watch(tokenizer, n_prompt, cfg.stop, cfg.timeout_s, start)
            try:
                new_ids = self._forward(model, ids, max_new, cfg, watch, eos)
            except (RuntimeError, ValueError) as exc:
                raise GenerationError(f"{self.name}: generation failed: {exc}") from exc
            end = time.perf_counter()
        return self._postprocess(tokenizer, new_ids, n_prompt, max_new, cfg, watch, eos, start, end)

    def _forward(
        self,
        model: PreTrainedModel,
        ids: list[int],
        max_new: int,
        cfg: GenerationConfig,
        watch: _Watch,
        eos: list[int],
    ) -> list[int]:
        import torch
        from transformers import StoppingCriteriaList

        device = model.device
        input_ids = torch.tensor([ids], dtype=torch.long, device=device)
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": cfg.temperature}
            if cfg.temperature > 0
            else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        )
        with torch.inference_mode():
            out = model.generate(  # type: ignore[operator]
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                max_new_tokens=max_new,
                repetition_penalty=cfg.repeat_penalty,
                stopping_criteria=StoppingCriteriaList([_criterion(watch)]),
                eos_token_id=eos or None,
                pad_token_id=eos[0] if eos else None,
                **sampling,
            )
        return [int(t) for t in out[0, len(ids) :].tolist()]

    def _postprocess(
        self,
        tokenizer: PreTrainedTokenizerBase,
        new_ids: list[int],
        n_prompt: int,
        max_new: int,
        cfg: GenerationConfig,
        watch: _Watch,
        eos: list[int],
        start: float,
        end: float,
    ) -> GenerationResult:
        hit_eos = bool(new_ids) and new_ids[-1] in eos
        if hit_eos:
            new_ids = new_ids[:-1]
        decoded = str(tokenizer.decode(new_ids, skip_special_tokens=True))
        text, cut = cut_at_stop(decoded, cfg.stop)
        reason: Literal["stop", "length", "timeout"]
        if cut or hit_eos or watch.stopped:
            reason = "stop"
        elif watch.timed_out:
            reason = "timeout"
        elif len(new_ids) >= max_new:
            reason = "length"
        else:
            reason = "stop"
        first = watch.first_token_at or end
        prefill, decode = first - start, end - first
        extra = {"prompt_tok_s": n_prompt / prefill if prefill > 0 else 0.0}
        if len(new_ids) > 1 and decode > 0:
            extra["decode_tok_s"] = (len(new_ids) - 1) / decode
        return GenerationResult(
            text=text,
            prompt_tokens=n_prompt,
            completion_tokens=len(new_ids),
            finish_reason=reason,
            prefill_s=prefill,
            decode_s=decode,
            extra=extra,
        )
