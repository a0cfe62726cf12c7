"""``storybrief bench``: latency, generation speed and throughput on this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from summarizer.errors import InputError
from summarizer.io import check_out_file, write_json_file
from summarizer.settings import PROJECT_ROOT, get_settings

DEFAULT_EVAL = PROJECT_ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "bench",
        help="measure latency, generation speed and throughput",
        description=(
            "Brief latency per seed story (model loaded, split by step), generation speed "
            "next to raw llama.cpp on the same prompt, non-model throughput on a synthetic "
            "load built from the evaluation articles, model load times and peak RSS."
        ),
    )
    p.add_argument("--out", default=None, metavar="FILE", help="write every figure as JSON")
    p.add_argument("--seeds", default=None, metavar="DIR", help="seed folder (default: seeds/)")
    p.add_argument(
        "--data",
        default=None,
        metavar="FILE",
        help=f"evaluation file the synthetic load is built from (default: {DEFAULT_EVAL})",
    )
    p.add_argument(
        "--synthetic", type=int, default=1000, metavar="N", help="synthetic articles (0: none)"
    )
    p.add_argument(
        "--stories",
        type=int,
        default=0,
        metavar="K",
        help="also brief the first K evaluation clusters once each",
    )
    p.add_argument("--repeats", type=int, default=3, metavar="R", help="rounds over the seeds")
    p.add_argument("--no-model", action="store_true", help="non-model steps only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from summarizer.bench import BenchOptions, run_bench

    for name in ("synthetic", "stories"):
        if getattr(args, name) < 0:
            raise InputError(f"--{name} must be >= 0", name)
    if args.repeats < 1:
        raise InputError("--repeats must be at least 1", "repeats")
    data = args.data
    if data is None and DEFAULT_EVAL.is_file():
        data = str(DEFAULT_EVAL)
    if data is None and args.stories:
        raise InputError("--stories needs an evaluation file (--data)", "data")
    if args.stories and args.no_model:
        raise InputError("--stories briefs with the model; drop --no-model or --stories", "stories")
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_file(out, inputs=[p for p in (data, args.seeds) if p])
    settings = get_settings()
    results = run_bench(
        settings,
        BenchOptions(
            seeds=args.seeds,
            eval_data=data,
            synthetic=args.synthetic,
            stories=args.stories,
            repeats=args.repeats,
            with_model=not args.no_model,
        ),
        progress=lambda line: print(f"bench: {line}", file=sys.stderr, flush=True),
    )
    results["command"] = "storybrief " + " ".join(sys.argv[1:])
    print_report(results)
    if out is not None:
        write_json_file(out, results)
    return 0


def print_report(results: dict[str, Any]) -> None:
    """The headline figures as tables on standard output."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    m = results["machine"]
    console.print(
        f"[bold]storybrief bench[/bold] on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB; threads {results['settings']['threads']}; embedder in "
        f"{results.get('embedder_precision', 'float32')}"
    )
    seeds = results.get("seed_briefs")
    if seeds:
        t = Table(title=f"Brief latency per seed story (s, {seeds['repeats']} rounds)")
        for col in ("story", "articles", "median", "p95", "steps (median s)"):
            t.add_column(col)
        for s in seeds["stories"]:
            steps = ", ".join(
                f"{k} {v:.2f}" for k, v in s["steps_median_s"].items() if not k.endswith("tokens")
            )
            t.add_row(
                s["story_id"],
                str(s["articles"]),
                f"{s['latency_s']['median']:.2f}",
                f"{s['latency_s']['p95']:.2f}",
                steps,
            )
        console.print(t)
    gen = results.get("generation")
    if gen:
        t = Table(title="Generation: ours vs raw llama.cpp, same prompt")
        for col in ("", "prompt tok", "new tok", "prefill tok/s", "decode tok/s", "seconds"):
            t.add_column(col)
        rows = (
            ("ours", gen["ours"], "generate_step_s"),
            ("llama.cpp", gen["raw_llama_cpp"], "total_s"),
        )
        for label, row, seconds in rows:
            counts = ("prompt_tokens", "completion_tokens", "prefill_tok_s", "decode_tok_s")
            t.add_row(label, *(str(row[k]) for k in counts), f"{row[seconds]:.2f}")
        console.print(t)
        console.print(f"overhead ratio (ours / raw): {gen['ratio']}")
        ours = gen["ours"]
        if ours.get("decode_passes"):
            console.print(
                f"prompt-lookup draft: {ours['decode_passes']} decode passes for "
                f"{ours['completion_tokens']} tokens ({ours['tokens_per_pass']} a pass), "
                f"{ours['draft_tokens_proposed']} draft tokens proposed"
            )
    loads = (
        ("non_model", "synthetic load"),
        ("non_model_eval", "evaluation articles as they are"),
        ("non_model_seeds", "seeds"),
    )
    for key, load in loads:
        nm = results.get(key)
        if not nm:
            continue
        distinct = nm.get("distinct_sentences")  # absent from runs before it was recorded
        shown = f", {distinct} distinct" if distinct is not None else ""
        if nm.get("built_from"):  # the synthetic load: from the eval articles, or the seeds
            load = f"{load} built from the {nm['built_from']}"
        t = Table(
            title=f"Non-model steps, {load}: {nm['articles']} articles, "
            f"{nm['sentences']} sentences{shown}"
        )
        for col in ("step", "seconds", "articles/s"):
            t.add_column(col)
        for step, sec in nm["seconds"].items():
            t.add_row(step, f"{sec:.2f}", str(nm["articles_per_s"].get(step)))
        console.print(t)
    if "model_load_s" in results:
        ml = results["model_load_s"]
        console.print(f"model load: first {ml['first_in_process']} s, again {ml['again']} s")
    if "peak_rss_mb_with_model" in results:
        console.print(
            f"peak RSS of the pipeline with its model loaded: "
            f"{results['peak_rss_mb_with_model']} MiB; of the whole run, including the raw "
            f"llama.cpp comparison's second copy of the model: {results['peak_rss_mb']} MiB"
        )
    else:
        console.print(f"peak RSS: {results['peak_rss_mb']} MiB")
