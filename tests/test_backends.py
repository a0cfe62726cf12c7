"""Backend plumbing on a tiny Qwen2 model: random weights, the real tokenizer of the 0.5B GGUF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from summarizer.backends import ChatMessage, GenerationConfig, ensure_model, get_manifest
from summarizer.backends.transformers_backend import (
    MARKER,
    TransformersGenerator,
    _convert,
    cut_at_stop,
    tokenizer_dir,
)
from summarizer.errors import InputError
from summarizer.settings import Settings

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SMALL = "qwen2.5-coder-0.5b-instruct-q4_k_m"
PROMPT = "Sergei Lavrov met Kim Jong-un in Pyongyang on Thursday."
CHAT: list[ChatMessage] = [
    {"role": "system", "content": "You are a news editor."},
    {"role": "user", "content": "Summarise: " + PROMPT},
]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Qwen2 with random weights, saved with the 0.5B model's real tokenizer."""
    settings = Settings()
    spec = get_manifest(settings).get(SMALL)
    gguf = ensure_model(spec, settings.cache_dir).path
    source = tokenizer_dir(gguf, settings.cache_dir / f"{SMALL}-hf", spec.sha256)
    tokenizer = transformers.AutoTokenizer.from_pretrained(source)
    config = transformers.Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        initializer_range=1.0,  # large random weights: varied tokens, no early end
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = transformers.Qwen2ForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny-qwen2")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny(tiny_model_dir: Path) -> TransformersGenerator:
    return TransformersGenerator(
        name="tiny", sha256="0" * 64, context_length=256, model_dir=tiny_model_dir, device="cpu"
    )


@pytest.fixture(scope="session")
def tokenizer(tiny: TransformersGenerator) -> Any:
    return tiny.tokenizer


def test_plain_prompt_result_shape(tiny: TransformersGenerator, tokenizer: Any) -> None:
    result = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=6))
    assert isinstance(result.text, str) and result.text
    assert result.prompt_tokens == len(tokenizer(PROMPT).input_ids)
    assert result.completion_tokens == 6
    assert result.finish_reason == "length"
    assert result.prefill_s > 0 and result.decode_s > 0
    assert result.total_s == pytest.approx(result.prefill_s + result.decode_s)
    assert result.extra["prompt_tok_s"] > 0


@pytest.mark.parametrize("n", [1, 4, 9])
def test_max_new_tokens_is_respected(tiny: TransformersGenerator, n: int) -> None:
    result = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=n))
    assert result.completion_tokens == n
    assert result.finish_reason == "length"


def test_chat_uses_the_tokenizer_template(tiny: TransformersGenerator, tokenizer: Any) -> None:
    rendered = tokenizer.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=True)
    assert rendered.startswith("<|im_start|>system\nYou are a news editor.<|im_end|>")
    assert rendered.endswith("<|im_start|>assistant\n")
    result = tiny.generate(CHAT, GenerationConfig(max_new_tokens=3))
    assert result.prompt_tokens == len(tokenizer(rendered, add_special_tokens=False).input_ids)
    assert tiny.count_prompt_tokens(CHAT) == result.prompt_tokens
    assert tiny.count_prompt_tokens(PROMPT) == tiny.count_tokens(PROMPT)


def test_count_tokens(tiny: TransformersGenerator, tokenizer: Any) -> None:
    assert tiny.count_tokens(PROMPT) == len(tokenizer(PROMPT).input_ids) > 5
    assert tiny.count_tokens("") == 0


def test_greedy_is_deterministic(tiny: TransformersGenerator) -> None:
    cfg = GenerationConfig(max_new_tokens=8)
    assert tiny.generate(PROMPT, cfg).text == tiny.generate(PROMPT, cfg).text


def test_stop_string_cuts_the_text(tiny: TransformersGenerator) -> None:
    free = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=12))
    # a stop string taken from the middle of the free text: it first occurs there
    pos = len(free.text) // 2
    stop = free.text[pos : pos + 3]
    first = free.text.find(stop)
    assert stop.strip() and first > 0
    stopped = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=12, stop=(stop,)))
    assert stopped.text == free.text[:first]
    assert stopped.finish_reason == "stop"
    assert stopped.completion_tokens < 12


def test_repeat_penalty_changes_greedy_output(tiny: TransformersGenerator) -> None:
    plain = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=16))
    penalised = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=16, repeat_penalty=1.8))
    assert penalised.completion_tokens == 16
    assert penalised.text != plain.text


def test_timeout_stops_generation(tiny: TransformersGenerator) -> None:
    result = tiny.generate(PROMPT, GenerationConfig(max_new_tokens=50, timeout_s=1e-9))
    assert result.finish_reason == "timeout"
    assert result.completion_tokens == 1


def test_prompt_longer_than_context_is_refused(
    tiny: TransformersGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiny, "context_length", 8)
    with pytest.raises(InputError, match="the prompt has 1[0-9] tokens.*context of 8"):
        tiny.generate(PROMPT)
    with pytest.raises(InputError, match="empty"):
        tiny.generate([])


def test_close_releases_and_reloads(tiny: TransformersGenerator) -> None:
    tiny.count_tokens("x")
    assert tiny.loaded and tiny.load_s is not None
    with tiny:
        pass
    assert not tiny.loaded
    assert tiny.generate(PROMPT, GenerationConfig(max_new_tokens=2)).completion_tokens == 2
    assert tiny.loaded


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("one. two. three", (". t",), ("one", True)),
        ("abcXYdefZ", ("Z", "XY"), ("abc", True)),
        ("nothing here", ("zzz", ""), ("nothing here", False)),
        ("", ("a",), ("", False)),
    ],
)
def test_cut_at_stop(text: str, stop: tuple[str, ...], expected: tuple[str, bool]) -> None:
    assert cut_at_stop(text, stop) == expected


def test_conversion_publishes_once_and_never_half(tmp_path: Path) -> None:
    out = tmp_path / "m-hf"
    calls: list[Path] = []

    def failing(tmp: Path) -> None:
        tmp.mkdir()
        (tmp / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _convert(out, "a" * 64, failing, "test")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m-hf.lock"]

    def good(tmp: Path) -> None:
        calls.append(tmp)
        tmp.mkdir()
        (tmp / "model.safetensors").write_bytes(b"whole")

    assert _convert(out, "a" * 64, good, "test") == out
    assert _convert(out, "a" * 64, good, "test") == out
    assert len(calls) == 1
    assert (out / MARKER).read_text().strip() == "a" * 64
    _convert(out, "b" * 64, good, "test")  # a different source rebuilds
    assert len(calls) == 2 and (out / "model.safetensors").read_bytes() == b"whole"


# ---------------------------------------------------------------- prompt-lookup drafts


def test_prompt_lookup_draft_follows_the_latest_longest_match() -> None:
    import numpy as np

    from summarizer.backends.llama_cpp_backend import PromptLookupDraft

    draft = PromptLookupDraft(3, min_ngram=2)
    #            0  1  2  3  4  5  6  7  8  9 10 11 12
    ids = np.array([5, 6, 7, 8, 9, 1, 5, 6, 2, 3, 4, 0, 5, 6], dtype=np.intc)
    # "5 6" occurs at 0 and 6: the latest (6) is followed by 2 3 4
    assert draft(ids).tolist() == [2, 3, 4]
    # a longer suffix "1 5 6" pins the earlier place
    ids2 = np.array([1, 5, 6, 7, 8, 9, 5, 6, 2, 3, 1, 5, 6], dtype=np.intc)
    assert draft(ids2).tolist() == [7, 8, 9]
    # no earlier occurrence of the last two tokens: no draft
    assert draft(np.array([1, 2, 3, 4], dtype=np.intc)).tolist() == []
    assert draft.calls == 3 and draft.proposed == 6

    # by default a match must be 3 tokens long: "5 6" alone proposes nothing
    default = PromptLookupDraft(3)
    assert default.min_ngram == 3
    assert default(ids).tolist() == []
    assert default(ids2).tolist() == [7, 8, 9]

    # the draft never runs past the end of the context
    long = PromptLookupDraft(10)
    assert long(np.array([1, 2, 3, 4, 1, 2, 3], dtype=np.intc)).tolist() == [4, 1, 2, 3]
    assert long.proposed == 4 and long.calls == 1
