"""``storybrief bench``: how fast the pipeline is, step by step.

Three measurements, each a function that returns plain data:

* ``bench_non_model``: throughput of the steps that run no generator (clean + split,
  embed, group, dedup) on a synthetic load built in memory from real articles
  (``synthetic_articles``);
* ``bench_briefs``: end-to-end brief latency per story with the model loaded (median,
  p95 and the split by step, from each brief's ``timings``), and the exact prompt of the
  last brief, recorded by ``RecordingGenerator``;
* ``raw_llama_speed``: llama.cpp called directly on that prompt, so the generation speed
  we get can be set against the engine's own (``ratio`` = our overhead);

plus model load times (cold and warm) and peak RSS.
"""

from __future__ import annotations

import logging
import math
import random
import resource
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from summarizer.backends.base import GenerationConfig, GenerationResult, Generator, Prompt
from summarizer.embed import model_input
from summarizer.errors import InputError
from summarizer.settings import Settings
from summarizer.types import Article

if TYPE_CHECKING:  # pragma: no cover
    from summarizer.evaluate import EvalCluster
    from summarizer.pipeline import Pipeline

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------- small helpers


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        raise InputError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise InputError(f"percentile must be in [0, 100], not {q}")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary_stats(values: Sequence[float]) -> dict[str, float]:
    """Median, p95, min, max and mean of some timings (seconds, rounded)."""
    if not values:
        return {}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 3),
        "p95": round(percentile(values, 95), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "mean": round(statistics.fmean(values), 3),
    }


# ---------------------------------------------------------------------- synthetic load


@dataclass(frozen=True, slots=True)
class SyntheticArticle:
    """A synthetic article and the base article (story) it was made from."""

    article: Article
    base_id: str


def synthetic_articles(
    base: Sequence[Article],
    n: int,
    *,
    seed: int = 0,
    keep: float = 0.8,
    split: Callable[[str], list[str]] | None = None,
) -> list[SyntheticArticle]:
    """``n`` new articles made by varying ``base`` (round robin over it).

    Each keeps its base article's lines in order, but drops about ``1 - keep`` of the
    sentences of each line and swaps neighbouring sentences now and then; it gets a new
    id (``syn-00000``) and one of 40 made-up outlets. Deterministic for a given seed.
    """
    if n < 0:
        raise InputError(f"n must be >= 0, not {n}", "n")
    if not base and n:
        raise InputError("no base articles to build a synthetic load from")
    if not 0.0 < keep <= 1.0:
        raise InputError(f"keep must be in (0, 1], not {keep}", "keep")
    if split is None:
        from summarizer.evaluate import split_sentences

        split = split_sentences
    rng = random.Random(seed)
    parsed: dict[str, list[list[str]]] = {}
    for a in base:
        parsed[a.id] = [split(line) for line in a.text.split("\n") if line.strip()]
    out: list[SyntheticArticle] = []
    for j in range(n):
        src = base[j % len(base)]
        lines: list[str] = []
        for sents in parsed[src.id]:
            kept = [s for i, s in enumerate(sents) if i == 0 or rng.random() < keep]
            for i in range(len(kept) - 1):
                if rng.random() < 0.15:
                    kept[i], kept[i + 1] = kept[i + 1], kept[i]
            if kept:
                lines.append(" ".join(kept))
        text = "\n".join(lines) if lines else src.text
        art = Article(
            id=f"syn-{j:05d}",
            outlet=f"outlet-{rng.randrange(40):02d}",
            text=text,
            title=src.title,
            url=None,
            published=src.published,
        )
        out.append(SyntheticArticle(art, src.id))
    return out


# ---------------------------------------------------------------------- non-model steps


def bench_non_model(
    pipeline: Pipeline,
    articles: Sequence[Article],
    gold: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Seconds and articles/s of clean + split, embed, group and dedup on ``articles``.

    ``gold`` (article id -> true story) adds B-cubed figures for the grouping.
    """
    from summarizer.clean import find_repeated_lines
    from summarizer.cluster import StoryIndex, bcubed
    from summarizer.dedup import dedup_sentences
    from summarizer.pipeline import PreparedArticle
    from summarizer.types import same_words

    if not articles:
        raise InputError("no articles to benchmark")
    t0 = time.perf_counter()
    # as ``Pipeline.prepare`` cleans a set: lines repeated across its articles go too
    distinct_texts = list({same_words(a.text): a.text for a in articles}.values())
    common = find_repeated_lines(distinct_texts) if len(distinct_texts) >= 3 else None
    cleaned = [pipeline._prepare_one(a, common) for a in articles]
    t_split = time.perf_counter() - t0
    texts = [s.text for _, sents in cleaned for s in sents]
    distinct = len({model_input(t) for t in texts})
    t0 = time.perf_counter()
    vectors = pipeline.embedder.encode(texts) if texts else np.zeros((0, 384), np.float32)
    t_embed = time.perf_counter() - t0
    prepared: list[PreparedArticle] = []
    pos = 0
    for a, (clean, sents) in zip(articles, cleaned, strict=True):
        prepared.append(PreparedArticle(a, clean, tuple(sents), vectors[pos : pos + len(sents)]))
        pos += len(sents)
    index = StoryIndex()
    t0 = time.perf_counter()
    joined = pipeline.assign(prepared, index)
    t_group = time.perf_counter() - t0
    by_id = {p.article.id: p for p in prepared}
    t0 = time.perf_counter()
    sentences_in = groups = 0
    for story in index.stories():
        parts = [by_id[a] for a in story.article_ids]
        sents = [s for p in parts for s in p.sentences]
        if not sents:
            continue
        _, stats = dedup_sentences(sents, np.vstack([p.vectors for p in parts]))
        sentences_in += stats.sentences_in
        groups += stats.groups
    t_dedup = time.perf_counter() - t0
    total = t_split + t_embed + t_group + t_dedup
    n = len(articles)

    def rate(sec: float) -> float | None:
        return round(n / sec, 1) if sec > 0 else None

    out: dict[str, Any] = {
        "articles": n,
        "sentences": len(texts),
        "stories": len(index.stories()),
        "seconds": {
            "clean_split": round(t_split, 3),
            "embed": round(t_embed, 3),
            "group": round(t_group, 3),
            "dedup": round(t_dedup, 3),
            "total": round(total, 3),
        },
        "articles_per_s": {
            "clean_split": rate(t_split),
            "embed": rate(t_embed),
            "group": rate(t_group),
            "dedup": rate(t_dedup),
            "total": rate(total),
            "total_without_embed": rate(total - t_embed),
        },
        "sentences_per_s_embed": round(len(texts) / t_embed, 1) if t_embed > 0 else None,
        # the embedder runs each distinct text once: the share of repeats decides its speed
        "distinct_sentences": distinct,
        "distinct_sentences_per_s_embed": round(distinct / t_embed, 1) if t_embed > 0 else None,
        "dedup": {"sentences_in": sentences_in, "groups": groups},
        "peak_rss_mb": peak_rss_mb(),
    }
    if gold is not None:
        p, r, f1 = bcubed(joined, {a: gold[a] for a in joined})
        out["grouping_bcubed"] = {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f1), 4),
        }
    return out


# ---------------------------------------------------------------------- briefs


class RecordingGenerator(Generator):
    """Delegates to a real generator and keeps the last prompt, config and result."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.name = inner.name
        self.backend = inner.backend
        self.sha256 = inner.sha256
        self.context_length = inner.context_length
        self.last_prompt: Prompt | None = None
        self.last_config: GenerationConfig | None = None
        self.last_result: GenerationResult | None = None
        self.last_wall_s: float = 0.0
        self.calls = 0

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        self.last_prompt, self.last_config, self.last_result = prompt, config, None
        t0 = time.perf_counter()
        result = self.inner.generate(prompt, config)
        self.last_wall_s = time.perf_counter() - t0
        self.last_result = result
        self.calls += 1
        return result

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def close(self) -> None:
        self.inner.close()


@dataclass(frozen=True, slots=True)
class RecordedGeneration:
    """The generation call behind one brief: prompt, config, result and step time."""

    story_id: str
    prompt: Prompt
    config: GenerationConfig | None
    result: GenerationResult
    generate_step_s: float


def bench_briefs(
    pipeline: Pipeline, articles: Sequence[Article], *, repeats: int = 3
) -> tuple[dict[str, Any], list[RecordedGeneration]]:
    """Latency of each story's brief, ``repeats`` rounds over all stories (model loaded).

    Stories alternate within a round, so a repeated brief does not find its own prompt
    in llama.cpp's KV cache (only the shared instruction prefix). When the pipeline's
    generator is a ``RecordingGenerator``, the first round's generation calls come back too.
    """
    if repeats < 1:
        raise InputError(f"repeats must be at least 1, not {repeats}", "repeats")
    from summarizer.cluster import StoryIndex

    t0 = time.perf_counter()
    prepared = pipeline.prepare(list(articles))
    index = StoryIndex()
    pipeline.assign(prepared, index)
    prepare_s = time.perf_counter() - t0
    by_id = {p.article.id: p for p in prepared}
    stories = index.stories()
    totals: dict[str, list[float]] = {s.id: [] for s in stories}
    steps: dict[str, dict[str, list[float]]] = {s.id: {} for s in stories}
    info: dict[str, dict[str, Any]] = {}
    recorded: list[RecordedGeneration] = []
    recorder = pipeline.generator if isinstance(pipeline.generator, RecordingGenerator) else None
    for rnd in range(repeats):
        for story in stories:
            if recorder is not None:
                recorder.last_result = None
            t0 = time.perf_counter()
            brief = pipeline.brief(story, by_id)
            totals[story.id].append(time.perf_counter() - t0)
            for k, v in brief.timings.items():
                steps[story.id].setdefault(k, []).append(v)
            info[story.id] = {
                "sentences": len(brief.sentences),
                "extractive_fallback": brief.extractive_fallback
                or info.get(story.id, {}).get("extractive_fallback", False),
            }
            if rnd == 0 and recorder is not None and recorder.last_result is not None:
                assert recorder.last_prompt is not None
                recorded.append(
                    RecordedGeneration(
                        story.id,
                        recorder.last_prompt,
                        recorder.last_config,
                        recorder.last_result,
                        float(brief.timings.get("generate", recorder.last_wall_s)),
                    )
                )
    out = {
        "repeats": repeats,
        "prepare_and_group_s": round(prepare_s, 3),
        "stories": [
            {
                "story_id": s.id,
                "articles": len(s.article_ids),
                "latency_s": summary_stats(totals[s.id]),
                "steps_median_s": {
                    k: round(statistics.median(v), 4) for k, v in steps[s.id].items()
                },
                **info[s.id],
            }
            for s in stories
        ],
        "peak_rss_mb": peak_rss_mb(),
    }
    return out, recorded


def time_call(fn: Callable[[], object]) -> float:
    """Seconds one call takes."""
    t0 = time.perf_counter()
    fn()
    return round(time.perf_counter() - t0, 3)


# ---------------------------------------------------------------------- generation speed


class _FirstToken:
    """A llama-cpp-python stopping criterion that only notes when the first token came."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self, input_ids: Any, logits: Any) -> bool:
        if self.at is None:
            self.at = time.perf_counter()
        return False


def generation_speed(result: GenerationResult) -> dict[str, float | int | None]:
    """Prefill and decode tokens/s of one generation result.

    With a prompt-lookup draft the result also says how many passes over the model the
    decode took and how many tokens each gave on average (1.0 without a draft).
    """
    decode_tokens = max(0, result.completion_tokens - 1)
    # prompt tokens llama.cpp took from its KV cache were never evaluated
    cached = int(result.extra.get("prompt_cached_tokens", 0))
    evaluated = max(0, result.prompt_tokens - cached)
    draft: dict[str, float | int | None] = {}
    passes = result.extra.get("decode_passes")
    if passes is not None:
        draft = {
            "decode_passes": int(passes),
            "draft_tokens_proposed": int(result.extra.get("draft_proposed", 0)),
            "tokens_per_pass": round(decode_tokens / passes, 2) if passes else None,
        }
    return draft | {
        "prompt_tokens": result.prompt_tokens,
        "prompt_cached_tokens": cached,
        "completion_tokens": result.completion_tokens,
        "prefill_s": round(result.prefill_s, 3),
        "decode_s": round(result.decode_s, 3),
        "prefill_tok_s": round(evaluated / result.prefill_s, 2) if result.prefill_s > 0 else None,
        "decode_tok_s": round(decode_tokens / result.decode_s, 2) if result.decode_s > 0 else None,
    }


def raw_llama_speed(
    model_path: str,
    prompt_text: str,
    *,
    n_ctx: int,
    threads: int,
    n_batch: int,
    max_tokens: int,
    repeat_penalty: float,
    stop: Sequence[str] = (),
    repeats: int = 2,
) -> dict[str, Any]:
    """llama.cpp itself on ``prompt_text`` (already rendered with the chat template).

    A separate ``llama_cpp.Llama`` with the backend's settings; a short warm-up first, then
    ``repeats`` timed completions from an empty cache (the KV cache is reset each time).
    """
    from llama_cpp import Llama, StoppingCriteriaList

    t0 = time.perf_counter()
    llm = Llama(
        model_path=model_path,
        n_ctx=n_ctx,
        n_batch=min(n_batch, n_ctx),
        n_threads=threads,
        n_threads_batch=threads,
        seed=0,
        verbose=False,
    )
    load_s = time.perf_counter() - t0
    try:
        tokens = llm.tokenize(prompt_text.encode("utf-8"), add_bos=True, special=True)
        llm.create_completion(prompt="Hello", max_tokens=2, temperature=0.0)  # warm-up
        runs: list[dict[str, Any]] = []
        for _ in range(repeats):
            llm.reset()  # type: ignore[no-untyped-call]
            first = _FirstToken()
            start = time.perf_counter()
            out: Any = llm.create_completion(
                prompt=tokens,
                max_tokens=max_tokens,
                temperature=0.0,
                repeat_penalty=repeat_penalty,
                stop=list(stop) or None,
                stopping_criteria=StoppingCriteriaList([first]),
            )
            end = time.perf_counter()
            usage = out["usage"]
            fa = first.at or end
            runs.append(
                generation_speed(
                    GenerationResult(
                        text=str(out["choices"][0]["text"]),
                        prompt_tokens=int(usage["prompt_tokens"]),
                        completion_tokens=int(usage["completion_tokens"]),
                        prefill_s=fa - start,
                        decode_s=end - fa,
                    )
                )
                | {"total_s": round(end - start, 3)}
            )
    finally:
        llm.close()
    best = min(runs, key=lambda r: float(r["total_s"]))
    return {"load_s": round(load_s, 3), "runs": runs, "best": best}


def compare_generation(
    ours_total_s: float, ours: GenerationResult, raw: Mapping[str, Any]
) -> dict[str, Any]:
    """Our generate step against llama.cpp alone on the same prompt (ratio = overhead)."""
    best = raw["best"]
    same = (
        best["prompt_tokens"] == ours.prompt_tokens
        and best["completion_tokens"] == ours.completion_tokens
    )
    return {
        "ours": generation_speed(ours) | {"generate_step_s": round(ours_total_s, 3)},
        "raw_llama_cpp": best,
        "same_tokens": same,
        "ratio": round(ours_total_s / float(best["total_s"]), 3) if best["total_s"] else None,
    }


# ---------------------------------------------------------------------- the whole run


def machine() -> dict[str, Any]:
    """CPU model, cores this process may use, memory and the load average (other work)."""
    import os
    import platform

    cpu = platform.processor() or "unknown"
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if not sep:
                    break  # the end of the first processor's block
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = info.get("model name", cpu)
    # "AMD EPYC" alone does not tell a generation apart; family and model do
    cpu_id = {
        name: info[key]
        for name, key in (("cpu_family", "cpu family"), ("cpu_model", "model"))
        if key in info
    }
    mem_gib: float | None = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        load = []
    return {
        "cpu": cpu,
        **cpu_id,
        "llama_cpp": llama_cpp_build(),
        "cores": cores,
        "memory_gib": mem_gib,
        "load_average": load,
        "python": platform.python_version(),
        "system": platform.system(),
    }


def llama_cpp_build() -> str | None:
    """llama.cpp's own line on the instruction sets it was built for (None without it)."""
    try:
        import llama_cpp
    except ImportError:
        return None
    try:
        text = llama_cpp.llama_print_system_info()
    except Exception:  # noqa: BLE001 - only a description
        return None
    return text.decode("utf-8", "replace").strip() if isinstance(text, bytes) else str(text)


@dataclass(frozen=True, slots=True)
class BenchOptions:
    seeds: str | None = None  # a folder like seeds/; None: the project's seeds/
    eval_data: str | None = None  # the eval file the synthetic load is built from
    synthetic: int = 1000
    stories: int = 0  # eval clusters to brief once each, beyond the seeds
    repeats: int = 3
    with_model: bool = True


def _seed_articles(folder: str | None) -> list[Article]:
    from summarizer.io import InputProblem, iter_inputs
    from summarizer.settings import PROJECT_ROOT

    path = folder or str(PROJECT_ROOT / "seeds")
    items = list(iter_inputs([path]))
    problems = [i for i in items if isinstance(i, InputProblem)]
    if problems:
        raise InputError(f"unreadable seed input: {problems[0]}")
    arts = [i for i in items if isinstance(i, Article)]
    if not arts:
        raise InputError(f"no seed articles in {path}")
    return arts


def run_bench(
    settings: Settings,
    options: BenchOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every benchmark figure as a JSON-ready dict (loads and releases its own models)."""
    from summarizer.embed import load_embedder
    from summarizer.evaluate import read_eval_file
    from summarizer.pipeline import Pipeline

    opts = options or BenchOptions()
    say = progress or (lambda _msg: None)
    result: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "threads": settings.threads,
            "n_batch": settings.n_batch,
            "n_ctx": settings.n_ctx,
            "evidence_token_budget": settings.evidence_token_budget,
            "prompt_lookup": settings.prompt_lookup,
            "top_up": settings.top_up,
            "max_new_tokens": settings.max_new_tokens,
            "length": settings.length,
            "generator": settings.generator,
            "backend": settings.backend,
            "embed_dtype": settings.embed_dtype,
        },
        "options": {
            "synthetic": opts.synthetic,
            "stories": opts.stories,
            "repeats": opts.repeats,
            "with_model": opts.with_model,
        },
    }
    seeds = _seed_articles(opts.seeds)
    # the evaluation file is read only when the synthetic load or --stories uses it
    wanted = opts.synthetic > 0 or (opts.with_model and opts.stories > 0)
    clusters = read_eval_file(opts.eval_data) if opts.eval_data and wanted else []
    embedder = load_embedder(settings)
    result["embedder_load_s"] = time_call(embedder.load)
    result["embedder_precision"] = embedder.precision
    pipeline = Pipeline(settings, embedder, None)
    try:
        if opts.synthetic > 0:
            base = [a for c in clusters for a in c.articles] or seeds
            story_of = {a.id: c.id for c in clusters for a in c.articles}
            synth = synthetic_articles(base, opts.synthetic)
            gold = {s.article.id: story_of.get(s.base_id, s.base_id) for s in synth}
            say(f"non-model steps on {len(synth)} synthetic articles")
            result["non_model"] = bench_non_model(pipeline, [s.article for s in synth], gold)
            result["non_model"]["built_from"] = "eval articles" if clusters else "seeds"
        if clusters and opts.synthetic > 0:
            # the synthetic load is mostly copies, which the embedder runs once; the
            # evaluation articles themselves show the speed on text that does not repeat
            say("non-model steps on the evaluation articles as they are")
            real = [a for c in clusters for a in c.articles]
            result["non_model_eval"] = bench_non_model(
                pipeline, real, {a.id: c.id for c in clusters for a in c.articles}
            )
        say("non-model steps on the seeds")
        result["non_model_seeds"] = bench_non_model(pipeline, seeds)
        if opts.with_model:
            result.update(_bench_model(settings, pipeline, seeds, clusters, opts, say))
    finally:
        if pipeline.generator is not None:
            pipeline.generator.close()
        embedder.close()
    # the process's peak at the end includes the raw llama.cpp comparison's second copy
    # of the model; ``peak_rss_mb_with_model`` (read before it loads) is the pipeline's
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_average_end"] = machine()["load_average"]
    return result


def _bench_model(
    settings: Settings,
    pipeline: Pipeline,
    seeds: Sequence[Article],
    clusters: Sequence[EvalCluster],
    opts: BenchOptions,
    say: Callable[[str], None],
) -> dict[str, Any]:
    from summarizer.backends import get_manifest, load_generator, model_path
    from summarizer.types import Story

    out: dict[str, Any] = {}
    generator = load_generator(settings)
    say(f"loading {generator.name} ({generator.backend})")
    cold = time_call(lambda: generator.count_tokens("warm"))
    generator.close()
    warm = time_call(lambda: generator.count_tokens("warm"))
    out["model_load_s"] = {
        "first_in_process": cold,
        "again": warm,
        "note": "first load in this process (file possibly in the OS page cache already); "
        "'again' reloads after close()",
    }
    recorder = RecordingGenerator(generator)
    pipeline.generator = recorder
    generator.generate("Hello", GenerationConfig(max_new_tokens=2))  # warm-up
    say(f"seed briefs x{opts.repeats}")
    seeds_result, recorded = bench_briefs(pipeline, seeds, repeats=opts.repeats)
    out["seed_briefs"] = seeds_result
    out["peak_rss_mb_with_model"] = peak_rss_mb()

    if recorded and generator.backend == "llama_cpp":
        sizes = {s["story_id"]: s["articles"] for s in seeds_result["stories"]}
        rec = max(recorded, key=lambda r: sizes.get(r.story_id, 0))
        render = getattr(generator, "render_chat", None)
        if callable(render):
            say("raw llama.cpp on the same prompt")
            spec = get_manifest(settings).get(settings.generator, role="generator")
            cfg = rec.config or GenerationConfig()
            raw = raw_llama_speed(
                str(model_path(spec, settings.cache_dir)),
                str(render(rec.prompt)),
                n_ctx=generator.context_length,
                threads=settings.threads,
                n_batch=settings.n_batch,
                max_tokens=rec.result.completion_tokens,
                repeat_penalty=cfg.repeat_penalty,
                stop=cfg.stop,
            )
            out["generation"] = {"story_id": rec.story_id} | compare_generation(
                rec.generate_step_s, rec.result, raw
            )
            out["generation"]["raw_runs"] = raw["runs"]
            out["generation"]["raw_load_s"] = raw["load_s"]

    if opts.stories > 0 and clusters:
        say(f"{min(opts.stories, len(clusters))} evaluation stories, once each")
        lat: list[float] = []
        for c in clusters[: opts.stories]:
            t0 = time.perf_counter()
            prepared = pipeline.prepare(list(c.articles))
            by_id = {p.article.id: p for p in prepared}
            pipeline.brief(Story(id=c.id, article_ids=tuple(by_id)), by_id)
            lat.append(time.perf_counter() - t0)
        out["eval_story_latency_s"] = summary_stats(lat)
    return out


__all__ = [
    "BenchOptions",
    "machine",
    "run_bench",
    "RecordedGeneration",
    "RecordingGenerator",
    "compare_generation",
    "generation_speed",
    "raw_llama_speed",
    "time_call",
    "SyntheticArticle",
    "bench_briefs",
    "bench_non_model",
    "peak_rss_mb",
    "percentile",
    "summary_stats",
    "synthetic_articles",
]
