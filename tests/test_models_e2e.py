"""The real models, end to end: a few short generations from a seed article.

Marked ``model``: they load the real 0.5B and 1.5B GGUFs (and the 0.5B through
transformers, converted once into the cache) and take about a minute on two cores.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer.backends import GenerationConfig, Generator, load_generator
from summarizer.backends.base import ChatMessage
from summarizer.generate import estimate_brief_seconds
from summarizer.settings import Settings

pytestmark = pytest.mark.model

NAMES = ("Lavrov", "Kim", "Pyongyang", "North Korea", "Russia")


@pytest.fixture(scope="module")
def article(seed_dir: Path) -> str:
    text = next(seed_dir.glob("000_*.txt")).read_text(encoding="utf-8")
    # the byline and the first paragraphs: a short prompt keeps these tests quick
    start = text.index("SEOUL")
    return text[start : start + 900]


def brief_messages(article: str) -> list[ChatMessage]:
    return [
        {"role": "system", "content": "You are a news editor. Answer in plain sentences."},
        {
            "role": "user",
            "content": f"Article:\n{article}\n\nSummarise the article in two sentences.",
        },
    ]


@pytest.fixture(scope="module")
def llama_small(
    small_generator: Generator, model_settings: Settings, small_generator_name: str
) -> Iterator[Generator]:
    """The 0.5B model on llama.cpp (the session's small generator when it already is)."""
    if small_generator.backend == "llama_cpp":
        yield small_generator
        return
    pytest.importorskip("llama_cpp")
    gen = load_generator(model_settings, small_generator_name, backend="llama_cpp")
    yield gen
    gen.close()


@pytest.fixture(scope="module")
def hf_small(
    small_generator: Generator, model_settings: Settings, small_generator_name: str
) -> Iterator[Generator]:
    """The 0.5B model on transformers (converted from the GGUF once, then cached)."""
    if small_generator.backend == "transformers":
        yield small_generator
        return
    gen = load_generator(model_settings, small_generator_name, backend="transformers")
    yield gen
    gen.close()


def check_brief(gen: Generator, article: str, max_new_tokens: int) -> None:
    result = gen.generate(
        brief_messages(article), GenerationConfig(max_new_tokens=max_new_tokens, repeat_penalty=1.1)
    )
    text = result.text.strip()
    assert result.finish_reason in ("stop", "length")
    assert 0 < result.completion_tokens <= max_new_tokens
    assert result.prompt_tokens > gen.count_tokens(article)
    assert len(re.findall(r"[A-Za-z]{2,}", text)) >= 8, text
    assert any(name in text for name in NAMES), text
    assert "<|im_" not in text  # the template's end-of-turn token is not part of the answer
    assert result.prefill_s > 0 and result.decode_s >= 0


def test_small_model_llama_cpp_writes_a_brief(llama_small: Generator, article: str) -> None:
    check_brief(llama_small, article, 60)


def test_default_model_llama_cpp_writes_a_brief(
    default_generator: Generator, article: str, model_settings: Settings
) -> None:
    gen = default_generator
    if gen.backend != "llama_cpp":
        gen = load_generator(model_settings, model_settings.generator, backend="llama_cpp")
    try:
        check_brief(gen, article, 60)
    finally:
        if gen is not default_generator:
            gen.close()


def test_small_model_transformers_writes_a_brief(hf_small: Generator, article: str) -> None:
    check_brief(hf_small, article, 40)


@pytest.mark.parametrize("backend", ["llama_small", "hf_small"])
def test_both_backends_can_be_timed_for_a_brief_estimate(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """The probe that sizes the service's brief lane works on the real backends."""
    gen: Generator = request.getfixturevalue(backend)
    small = estimate_brief_seconds(gen, prompt_tokens=100, new_tokens=20)
    big = estimate_brief_seconds(gen, prompt_tokens=600, new_tokens=200)
    assert small is not None and big is not None
    assert 0 < small < big < 3600


def test_both_backends_count_tokens_alike(
    llama_small: Generator, hf_small: Generator, article: str
) -> None:
    for text in (article, "Sergei Lavrov", 'Kim Jong-un\'s "forward-looking" ties'):
        assert llama_small.count_tokens(text) == hf_small.count_tokens(text)


def test_llama_cpp_uses_the_gguf_chat_template(llama_small: Generator) -> None:
    render = llama_small.render_chat  # type: ignore[attr-defined]
    prompt = render([{"role": "user", "content": "Hello"}])
    assert prompt.startswith("<|im_start|>system\n")  # the template's default system turn
    assert prompt.endswith("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n")


def test_llama_cpp_controls(llama_small: Generator, article: str) -> None:
    messages = brief_messages(article)
    free = llama_small.generate(messages, GenerationConfig(max_new_tokens=24))
    assert free.completion_tokens == 24 and free.finish_reason == "length"
    assert llama_small.count_prompt_tokens(messages) == free.prompt_tokens

    short = llama_small.generate(messages, GenerationConfig(max_new_tokens=3))
    assert short.completion_tokens == 3 and short.finish_reason == "length"

    words = free.text.split()
    stop = " " + words[len(words) // 2]
    stopped = llama_small.generate(messages, GenerationConfig(max_new_tokens=24, stop=(stop,)))
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.index(stop)]

    late = llama_small.generate(messages, GenerationConfig(max_new_tokens=24, timeout_s=1e-9))
    assert late.finish_reason == "timeout" and late.completion_tokens <= 1

    plain = llama_small.generate("The capital of France is", GenerationConfig(max_new_tokens=4))
    assert "Paris" in plain.text


def test_llama_cpp_time_limit_bounds_the_prefill(llama_small: Generator, seed_dir: Path) -> None:
    """A prompt of several batches stops between batches once the time limit has passed,
    before any token is generated, and the part it evaluated is reused: the same prompt
    afterwards gives the answer a fresh run gives."""
    text = next(seed_dir.glob("000_*.txt")).read_text(encoding="utf-8")
    long = brief_messages((text + "\n") * 3)
    n_prompt = llama_small.count_prompt_tokens(long)
    assert n_prompt > 2 * 512  # more than two of the default n_batch
    config = GenerationConfig(max_new_tokens=8)
    fresh = llama_small.generate(long, config)
    llama_small.generate("An unrelated prompt.", GenerationConfig(max_new_tokens=1))
    late = llama_small.generate(long, GenerationConfig(max_new_tokens=8, timeout_s=0.05))
    assert late.finish_reason == "timeout" and late.completion_tokens == 0
    assert late.text == "" and late.prompt_tokens == n_prompt
    # the first batch (or none) went in: a full prefill would be the fresh run's
    assert late.prefill_s < fresh.prefill_s
    again = llama_small.generate(long, config)
    assert again.text == fresh.text and again.finish_reason == fresh.finish_reason


def test_llama_cpp_cancel_stops_a_generation_under_way(
    model_settings: Settings, article: str, small_generator_name: str
) -> None:
    """``cancel`` (a service that is stopping) ends a generation at its next token with
    ``GenerationCancelled``, not with a shortened answer, and refuses every later one, also
    after ``close`` (a task that reaches the model after the stop does not load it again)."""
    import threading

    from summarizer.errors import GenerationCancelled

    pytest.importorskip("llama_cpp")
    gen = load_generator(model_settings, small_generator_name, backend="llama_cpp")
    messages = brief_messages(article)
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(gen.generate(messages, GenerationConfig(max_new_tokens=400)))
        except GenerationCancelled as exc:
            outcome.append(exc)

    try:
        worker = threading.Thread(target=run)
        t0 = time.perf_counter()
        worker.start()
        time.sleep(1.0)  # in the prefill or the first tokens
        gen.cancel()
        worker.join(60)
        assert not worker.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], GenerationCancelled), outcome
        assert time.perf_counter() - t0 < 30  # 400 tokens would take far longer
        gen.close()
        with pytest.raises(GenerationCancelled):
            gen.generate("The capital of France is", GenerationConfig(max_new_tokens=4))
    finally:
        gen.close()


def test_prompt_lookup_decoding_keeps_the_greedy_answer(
    model_settings: Settings, article: str, small_generator_name: str
) -> None:
    """Draft tokens copied from the prompt are only accepted where greedy agrees."""
    from summarizer.backends.llama_cpp_backend import LlamaCppGenerator

    pytest.importorskip("llama_cpp")
    messages: list[ChatMessage] = [
        {"role": "system", "content": "You copy text exactly."},
        {"role": "user", "content": f"Repeat the first two sentences of:\n{article}"},
    ]
    config = GenerationConfig(max_new_tokens=48, repeat_penalty=1.0)
    answers = {}
    for lookup in (0, 4):
        gen = load_generator(
            model_settings.model_copy(update={"prompt_lookup": lookup}),
            small_generator_name,
            backend="llama_cpp",
        )
        try:
            assert isinstance(gen, LlamaCppGenerator) and gen.prompt_lookup == lookup
            answers[lookup] = gen.generate(messages, config)
        finally:
            gen.close()
    plain, drafted = answers[0], answers[4]
    assert "Lavrov" in drafted.text or "Kim" in drafted.text, drafted.text
    # batched verification may round differently from one-token steps; the opening agrees
    n = min(len(plain.text), len(drafted.text), 80)
    assert drafted.text[:n] == plain.text[:n]
    assert drafted.prompt_tokens == plain.prompt_tokens
    # copying text, the drafts are accepted: fewer passes over the model than tokens
    assert "decode_passes" not in plain.extra
    passes = drafted.extra["decode_passes"]
    assert 0 < passes < drafted.completion_tokens - 1, drafted.extra
    assert drafted.extra["draft_proposed"] > 0
