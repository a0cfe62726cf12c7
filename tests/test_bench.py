"""The benchmark harness: synthetic load, statistics, non-model throughput (no timings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.backends.base import GenerationConfig, GenerationResult, Generator, Prompt
from summarizer.bench import (
    RecordingGenerator,
    bench_non_model,
    compare_generation,
    generation_speed,
    machine,
    percentile,
    summary_stats,
    synthetic_articles,
)
from summarizer.errors import InputError
from summarizer.types import Article


def _base() -> list[Article]:
    return [
        Article(
            id="a",
            outlet="A",
            text="Storm hits the coast. Winds reach 120 mph. Power is out.\nOfficials urge calm.",
        ),
        Article(id="b", outlet="B", text="The central bank raised rates. Markets fell sharply."),
    ]


def _split(line: str) -> list[str]:
    return [s.strip() + "." for s in line.split(".") if s.strip()]


def test_synthetic_articles_are_new_deterministic_variants() -> None:
    base = _base()
    syn = synthetic_articles(base, 7, seed=3, keep=0.5, split=_split)
    assert len(syn) == 7
    assert [s.base_id for s in syn] == ["a", "b", "a", "b", "a", "b", "a"]
    assert len({s.article.id for s in syn}) == 7
    assert not {s.article.id for s in syn} & {"a", "b"}
    for s in syn:
        src = next(a for a in base if a.id == s.base_id)
        src_sents = {x for line in src.text.split("\n") for x in _split(line)}
        out_sents = {x for line in s.article.text.split("\n") for x in _split(line)}
        assert out_sents <= src_sents  # only the base's sentences, some dropped
        assert _split(src.text.split("\n")[0])[0] in out_sents  # each line keeps its first
    again = synthetic_articles(base, 7, seed=3, keep=0.5, split=_split)
    assert [s.article.text for s in again] == [s.article.text for s in syn]
    with pytest.raises(InputError):
        synthetic_articles([], 3, split=_split)
    with pytest.raises(InputError):
        synthetic_articles(base, 3, keep=0.0, split=_split)
    assert synthetic_articles([], 0, split=_split) == []


def test_percentile_and_summary_stats() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0], 95) == pytest.approx(1.95)
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(InputError):
        percentile([], 50)
    st = summary_stats([3.0, 1.0, 2.0])
    assert st["median"] == 2.0 and st["min"] == 1.0 and st["max"] == 3.0 and st["n"] == 3
    assert summary_stats([]) == {}


class _Fake(Generator):
    name, backend, sha256, context_length = "fake", "none", "0" * 64, 512

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        return GenerationResult("x", 10, 5, prefill_s=0.5, decode_s=1.0)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def close(self) -> None:
        pass


def test_recording_generator_keeps_the_prompt_and_speed_figures() -> None:
    rec = RecordingGenerator(_Fake())
    msgs: Prompt = [{"role": "user", "content": "hi"}]
    res = rec.generate(msgs, GenerationConfig(max_new_tokens=7))
    assert rec.last_prompt == msgs and rec.last_config and rec.last_config.max_new_tokens == 7
    assert rec.last_result is res and rec.calls == 1 and rec.count_tokens("a b") == 2
    sp = generation_speed(res)
    assert sp["prefill_tok_s"] == 20.0 and sp["decode_tok_s"] == 4.0
    assert "tokens_per_pass" not in sp  # no draft: nothing to say about passes
    passes = {"decode_passes": 4.0, "draft_proposed": 12.0}
    drafted = GenerationResult("x", 10, 9, prefill_s=0.5, decode_s=1.0, extra=passes)
    dsp = generation_speed(drafted)
    assert dsp["decode_passes"] == 4 and dsp["draft_tokens_proposed"] == 12
    assert dsp["tokens_per_pass"] == 2.0  # 8 tokens after the first, in 4 passes
    raw = {"best": {"prompt_tokens": 10, "completion_tokens": 5, "total_s": 1.25}}
    cmp = compare_generation(1.5, res, raw)
    assert cmp["ratio"] == 1.2 and cmp["same_tokens"]


def test_machine_description() -> None:
    m = machine()
    assert m["cores"] >= 1 and m["cpu"]
    # which instruction sets llama.cpp was built for: the figures depend on it
    assert "AVX" in m["llama_cpp"] or "NEON" in m["llama_cpp"]


def test_bench_non_model_reports_every_step(embedder: object, seed_dir: Path) -> None:
    from summarizer.io import iter_inputs
    from summarizer.pipeline import Pipeline
    from summarizer.settings import Settings

    pipeline = Pipeline(Settings(), embedder, None)  # type: ignore[arg-type]
    seeds = [a for a in iter_inputs([str(seed_dir)]) if isinstance(a, Article)]
    syn = synthetic_articles(seeds, 12, seed=1)
    gold = {s.article.id: s.base_id for s in syn}
    out = bench_non_model(pipeline, [s.article for s in syn], gold)
    assert out["articles"] == 12 and out["sentences"] > 12
    assert set(out["seconds"]) == {"clean_split", "embed", "group", "dedup", "total"}
    assert all(v >= 0 for v in out["seconds"].values())
    assert out["seconds"]["total"] == pytest.approx(
        sum(v for k, v in out["seconds"].items() if k != "total"), abs=0.01
    )
    assert out["articles_per_s"]["total"] > 0
    assert 1 <= out["stories"] <= 12
    assert out["dedup"]["sentences_in"] == out["sentences"]
    # 12 variants of 5 seeds repeat sentences; the embedder runs each distinct one once
    assert 0 < out["distinct_sentences"] < out["sentences"]
    assert 0 < out["dedup"]["groups"] <= out["sentences"]
    assert 0.0 <= out["grouping_bcubed"]["f1"] <= 1.0
    assert out["peak_rss_mb"] > 0


def test_report_prints_every_section_of_a_stored_run(capsys: pytest.CaptureFixture[str]) -> None:
    """The table printer reads the JSON `storybrief bench --out` writes (the documented run)."""
    import json

    from summarizer.commands.bench import print_report
    from summarizer.settings import PROJECT_ROOT

    run = json.loads((PROJECT_ROOT / "docs/results/bench.json").read_text())
    print_report(run)
    out = capsys.readouterr().out
    gen = run["generation"]
    assert "ours vs raw llama.cpp" in out
    assert f"overhead ratio (ours / raw): {gen['ratio']}" in out
    # our generate step and raw llama.cpp, seconds, as the table rounds them
    assert f"{gen['ours']['generate_step_s']:.2f}" in out
    assert f"{gen['raw_llama_cpp']['total_s']:.2f}" in out
    # a table title wraps to the table's width
    shown = " ".join(out.split())
    assert "Non-model steps, synthetic load built from the eval articles: 300 articles" in shown
    # a run that also timed the evaluation articles as they are, with the embedder's dtype
    run = json.loads((PROJECT_ROOT / "docs/results/bench-bf16.json").read_text())
    print_report(run)
    words = " ".join(capsys.readouterr().out.split())
    nm = run["non_model_eval"]
    assert "embedder in bfloat16" in words
    assert f"evaluation articles as they are: {nm['articles']} articles" in words
    assert str(nm["articles_per_s"]["total"]) in words


def test_bench_command_refuses_bad_options_before_any_work(
    tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from summarizer.cli import main

    data = tmp_path / "eval.jsonl"  # named, so the test needs no ../shared beside the checkout
    data.write_text("")
    base = [
        "bench",
        "--no-model",
        "--synthetic",
        "0",
        "--seeds",
        str(seed_dir),
        "--data",
        str(data),
    ]
    assert main([*base, "--stories", "2"]) == 2
    assert "--stories briefs with the model" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "no" / "bench.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bench_reads_the_evaluation_file_only_when_it_uses_it(
    tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A synthetic load of 0 and no --stories need no evaluation file, so a bad one is not
    read; when it is read, a file that is not UTF-8 is a clear error (exit 2)."""
    import json

    from summarizer.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe{}\n")
    out = tmp_path / "bench.json"
    base = ["bench", "--no-model", "--seeds", str(seed_dir), "--data", str(bad)]
    assert main([*base, "--synthetic", "0", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["non_model_seeds"]["articles"] == 5
    capsys.readouterr()
    assert main([*base, "--synthetic", "10"]) == 2
    assert "bad.jsonl:1: not UTF-8 text (byte 0xff)" in capsys.readouterr().err
