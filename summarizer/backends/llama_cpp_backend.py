"""The llama.cpp backend (through llama-cpp-python): GGUF files on the CPU.

Chat messages are rendered with the chat template stored in the GGUF's metadata, through
llama-cpp-python's own Jinja2 chat formatter (the one its chat handler uses); the rendered
prompt is then completed with a stopping criterion that enforces the time limit and
records the time of the first token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from summarizer.backends.base import GenerationConfig, GenerationResult, Generator, Prompt
from summarizer.errors import GenerationCancelled, GenerationError, InputError, ModelError

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)


class _Watch:
    """A llama-cpp-python stopping criterion: the deadline, and when the first token came."""

    def __init__(
        self, start: float, timeout_s: float | None, cancel: threading.Event | None = None
    ) -> None:
        self.deadline = None if timeout_s is None else start + timeout_s
        self.first_token_at: float | None = None
        self.timed_out = False
        self.cancel = cancel or threading.Event()

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        now = time.perf_counter()
        if self.first_token_at is None:
            self.first_token_at = now
        if self.deadline is not None and now >= self.deadline:
            self.timed_out = True
        return self.timed_out or self.cancel.is_set()

    def stop_prefill(self) -> bool:
        """Whether the prefill should stop before its next batch."""
        return self.cancel.is_set() or (
            self.deadline is not None and time.perf_counter() >= self.deadline
        )


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class PromptLookupDraft:
    """Draft tokens copied from the context (prompt-lookup decoding).

    A brief repeats phrases of its evidence: when the last few generated tokens occur
    earlier in the context, the tokens that followed them there are proposed, and
    llama.cpp verifies them all in one forward pass (greedy output is unchanged, up to
    rounding in batched evaluation). The
    longest matching suffix wins (6 tokens down to ``min_ngram``), and among its matches
    the latest one, so the draft follows the sentence being copied rather than the first
    place a common phrase such as "North Korean" appeared. Nothing is proposed on a match
    shorter than 3 tokens: after a 2-token match the next token was right only about half
    the time, too rarely to pay for verifying it (docs/BENCHMARKS.md).

    ``calls`` counts the drafts asked for: llama-cpp-python asks once before every
    verification pass but the first, so a generation of N tokens took ``calls + 1``
    passes where it would take N without a draft.
    """

    def __init__(self, num_pred_tokens: int, *, max_ngram: int = 6, min_ngram: int = 3) -> None:
        self.num_pred_tokens = num_pred_tokens
        self.max_ngram = max_ngram
        self.min_ngram = min_ngram
        self.proposed = 0
        self.calls = 0

    def __call__(self, input_ids: Any, /, **kwargs: Any) -> Any:
        import numpy as np

        self.calls += 1
        ids = np.asarray(input_ids)
        n = ids.shape[0]
        for size in range(min(self.max_ngram, n - 1), self.min_ngram - 1, -1):
            tail = ids[n - size :]
            windows = np.lib.stride_tricks.sliding_window_view(ids[: n - 1], size)
            hits = np.nonzero(np.all(windows == tail, axis=1))[0]
            for start in hits[::-1]:
                begin = int(start) + size
                end = min(begin + self.num_pred_tokens, n)
                if begin < end:
                    out = ids[begin:end].astype(np.intc)
                    self.proposed += len(out)
                    return out
        return np.array([], dtype=np.intc)


class LlamaCppGenerator(Generator):
    """A GGUF model run by llama.cpp; loads lazily on first use, once."""

    backend = "llama_cpp"

    def __init__(
        self,
        *,
        name: str,
        sha256: str,
        model_path: Path,
        context_length: int,
        threads: int,
        n_batch: int = 512,
        prepare: Callable[[], object] | None = None,
        seed: int = 0,
        prompt_lookup: int = 0,
    ) -> None:
        self.name = name
        self.sha256 = sha256
        self.context_length = context_length
        self._model_path = model_path
        self._threads = threads
        self._n_batch = n_batch
        self._prepare = prepare
        self._seed = seed
        self.prompt_lookup = prompt_lookup
        self._lock = threading.RLock()
        self._cancel = threading.Event()  # set by ``cancel``, for good
        self._llm: Llama | None = None
        self._formatter: Any = None
        self.load_s: float | None = None

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def _load(self) -> Llama:
        with self._lock:
            if self._llm is not None:
                return self._llm
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(
                    "the llama_cpp backend needs llama-cpp-python: pip install llama-cpp-python"
                ) from exc
            start = time.perf_counter()
            if self._prepare is not None:
                self._prepare()
            draft = PromptLookupDraft(self.prompt_lookup) if self.prompt_lookup > 0 else None
            try:
                llm = Llama(
                    model_path=str(self._model_path),
                    draft_model=cast(Any, draft),  # duck-typed LlamaDraftModel
                    # sized for the draft's logits (llama-cpp-python sizes its score
                    # buffer by this flag, not by the draft model)
                    logits_all=draft is not None,
                    n_ctx=self.context_length,
                    n_batch=min(self._n_batch, self.context_length),
                    n_threads=self._threads,
                    n_threads_batch=self._threads,
                    seed=self._seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"cannot load {self.name} from {self._model_path}: {exc}") from exc
            self._llm = llm
            self.load_s = time.perf_counter() - start
            log.info("loaded %s with %d threads in %.1f s", self.name, self._threads, self.load_s)
            return llm

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
            self._formatter = None

    def cancel(self) -> None:
        self._cancel.set()

    def _chat_formatter(self, llm: Llama) -> Any:
        """llama-cpp-python's Jinja2 chat formatter over the GGUF's own template."""
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise ModelError(f"{self.name}: the GGUF file carries no chat template")
            eos_id, bos_id = llm.token_eos(), llm.token_bos()
            model = llm._model  # the token texts, as llama-cpp-python reads them itself
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=model.token_get_text(eos_id) if eos_id != -1 else "",
                bos_token=model.token_get_text(bos_id) if bos_id != -1 else "",
                stop_token_ids=[eos_id],
            )
        return self._formatter

    def render_chat(self, messages: Prompt) -> str:
        """The exact prompt text the model sees for ``messages`` (for inspection and tests)."""
        llm = self._load()
        if isinstance(messages, str):
            return messages
        return str(self._chat_formatter(llm)(messages=[dict(m) for m in messages]).prompt)

    def _encode(self, llm: Llama, prompt: Prompt) -> tuple[list[int], list[str], Any]:
        """Prompt tokens, extra stop strings and stopping criteria from the template."""
        if isinstance(prompt, str):
            return llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False), [], None
        if not prompt:
            raise InputError("the message list is empty", field="messages")
        result = self._chat_formatter(llm)(messages=[dict(m) for m in prompt])
        tokens = llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        stop = result.stop if isinstance(result.stop, list) else [result.stop]
        return tokens, [s for s in stop if s], result.stopping_criteria

    def count_tokens(self, text: str) -> int:
        llm = self._load()
        with self._lock:
            return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        llm = self._load()
        with self._lock:
            return len(self._encode(llm, prompt)[0])

    @staticmethod
    def _prefill(llm: Llama, tokens: list[int], cached: int, stop: Callable[[], bool]) -> bool:
        """Evaluate all but the last prompt token without keeping their logits; False when
        ``stop`` (the deadline passed, or a cancel) came first.

        The prompt goes in ``n_batch`` tokens at a time, as ``Llama.eval`` would take it,
        and the deadline is checked before each batch: the stopping criterion of
        ``create_completion`` is only asked once a token has been generated, so a long
        prompt would otherwise be paid in full past the time limit. What was evaluated
        stays in the KV cache, where the next prompt with the same opening finds it.

        With a draft model llama-cpp-python asks for the logits of every token it
        evaluates, the prompt included: a vocabulary-sized row per prompt token, computed
        and copied for nothing. Prefilling here leaves ``create_completion`` only the last
        prompt token (it finds the rest in the KV cache), so the draft model costs nothing
        at prefill.
        """
        llm.n_tokens = cached
        keep = llm._logits_all
        llm._logits_all = False
        todo = tokens[cached:-1]
        try:
            for i in range(0, len(todo), llm.n_batch):
                if stop():
                    return False
                llm.eval(todo[i : i + llm.n_batch])
        finally:
            llm._logits_all = keep
        return True

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        from llama_cpp import StoppingCriteriaList

        cfg = config or GenerationConfig()
        if self._cancel.is_set():  # a task that reaches the model after the stop
            raise GenerationCancelled(f"{self.name}: stopped (the service is stopping)")
        llm = self._load()
        with self._lock:
            tokens, template_stop, template_criteria = self._encode(llm, prompt)
            n_prompt = len(tokens)
            max_new = self.new_token_allowance(n_prompt, cfg.max_new_tokens)
            # llama.cpp keeps the previous context and re-evaluates only what differs
            # (only the first n_tokens of the buffer are live; the rest is stale)
            live = llm.input_ids[: llm.n_tokens].tolist()
            cached = min(_common_prefix(live, tokens), n_prompt - 1)
            draft = llm.draft_model if isinstance(llm.draft_model, PromptLookupDraft) else None
            calls0, proposed0 = (draft.calls, draft.proposed) if draft else (0, 0)
            start = time.perf_counter()
            watch = _Watch(start, cfg.timeout_s, self._cancel)
            criteria = StoppingCriteriaList([watch, *(template_criteria or [])])
            try:
                if not self._prefill(llm, tokens, cached, watch.stop_prefill):
                    if self._cancel.is_set():
                        raise GenerationCancelled(f"{self.name}: stopped (the service is stopping)")
                    now = time.perf_counter()
                    return GenerationResult(
                        text="",
                        prompt_tokens=n_prompt,
                        completion_tokens=0,
                        finish_reason="timeout",
                        prefill_s=now - start,
                        decode_s=0.0,
                        extra={"prompt_cached_tokens": float(cached)},
                    )
                out: Any = llm.create_completion(
                    prompt=tokens,
                    max_tokens=max_new,
                    temperature=cfg.temperature,
                    repeat_penalty=cfg.repeat_penalty,
                    stop=[*cfg.stop, *template_stop],
                    stopping_criteria=criteria,
                    seed=self._seed,
                )
            except (ValueError, RuntimeError) as exc:
                raise GenerationError(f"{self.name}: generation failed: {exc}") from exc
            end = time.perf_counter()
            if self._cancel.is_set() and not watch.timed_out:
                raise GenerationCancelled(f"{self.name}: stopped (the service is stopping)")
        choice = out["choices"][0]
        usage = out["usage"]
        reason: Literal["stop", "length", "timeout"] = (
            "timeout"
            if watch.timed_out
            else "length"
            if choice["finish_reason"] == "length"
            else "stop"
        )
        completion = int(usage["completion_tokens"])
        first = watch.first_token_at or end
        prefill, decode = first - start, end - first
        extra = {
            "prompt_cached_tokens": float(cached),
            "prompt_tok_s": (n_prompt - cached) / prefill if prefill > 0 else 0.0,
        }
        if completion > 1 and decode > 0:
            extra["decode_tok_s"] = (completion - 1) / decode
        if draft is not None:
            # passes over the model while decoding (the first token comes with the prefill)
            extra["decode_passes"] = float(draft.calls - calls0)
            extra["draft_proposed"] = float(draft.proposed - proposed0)
        return GenerationResult(
            text=str(choice["text"]),
            prompt_tokens=int(usage["prompt_tokens"]),
            completion_tokens=completion,
            finish_reason=reason,
            prefill_s=prefill,
            decode_s=decode,
            extra=extra,
        )
