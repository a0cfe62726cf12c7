"""``storybrief eval --data FILE``: score briefs, baselines, citations and grouping."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from summarizer.errors import InputError
from summarizer.io import check_out_file, write_json_file
from summarizer.settings import get_settings
from summarizer.types import LENGTH_SENTENCES


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "eval",
        help="measure brief quality on a gold evaluation file",
        description=(
            "Run the pipeline on every cluster of an evaluation file (JSON lines in the "
            "multinews-attribution format) and report ROUGE against the reference next to "
            "lead and LexRank baselines, citation alignment against the gold highlights, "
            "faithfulness proxies, story grouping (B-cubed) and timings."
        ),
    )
    p.add_argument("--data", required=True, metavar="FILE", help="evaluation file (.jsonl)")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="first N clusters only")
    p.add_argument("--out", default=None, metavar="FILE", help="write every figure as JSON")
    p.add_argument("--length", choices=sorted(LENGTH_SENTENCES), default="standard")
    p.add_argument(
        "--words",
        type=int,
        default=None,
        metavar="N",
        help="cut every system to N words (default: each baseline gets our brief's length)",
    )
    p.add_argument("--extractive", action="store_true", help="no generator: extractive briefs only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from summarizer.backends import load_generator
    from summarizer.bench import RecordingGenerator
    from summarizer.embed import load_embedder
    from summarizer.evaluate import EvalOptions, evaluate, read_eval_file
    from summarizer.pipeline import Pipeline

    if args.words is not None and args.words < 1:
        raise InputError(f"--words must be at least 1, not {args.words}", "words")
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_file(out, inputs=[args.data])
    clusters = read_eval_file(args.data, args.limit)
    # keep the sentences the citer would drop, so the faithfulness proxies can see them;
    # ROUGE scores only the sentences a reader would be served
    settings = get_settings().model_copy(update={"keep_unsupported": True})
    embedder = load_embedder(settings)
    # the recorder keeps the model's raw text, reported for briefs that fell back
    generator = None if args.extractive else RecordingGenerator(load_generator(settings))
    try:
        pipeline = Pipeline(settings, embedder, generator)
        results = evaluate(
            pipeline,
            clusters,
            EvalOptions(length=args.length, word_budget=args.words, extractive=args.extractive),
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    finally:
        if generator is not None:
            generator.close()
        embedder.close()
    results["config"]["data"] = str(args.data)
    results["config"]["command"] = "storybrief " + " ".join(sys.argv[1:])
    print_table(results)
    if out is not None:
        write_json_file(out, results)
    return 0


def print_table(results: dict[str, Any]) -> None:
    """The headline figures as tables on standard output."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    cfg = results["config"]
    console.print(
        f"[bold]storybrief eval[/bold]: {cfg['clusters']} clusters, length {cfg['length']}, "
        f"model {cfg['model']}, word budget {cfg['word_budget']}"
    )
    t = Table(title="ROUGE F1 (x100) vs reference")
    t.add_column("system")
    for k in ("rouge1", "rouge2", "rougeLsum"):
        t.add_column(k, justify="right")
    for sys_name, row in results["rouge"].items():
        t.add_row(sys_name, *(f"{row[k]:.2f}" for k in ("rouge1", "rouge2", "rougeLsum")))
    console.print(t)

    t = Table(title="Targets")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_column("target", justify="right")
    t.add_column("met")
    for name, tgt in results["targets"].items():
        if tgt["value"] is None:
            t.add_row(name, "n/a", f"{tgt['target']:.4g}", "not measured")
            continue
        met = "yes" if tgt["met"] else "NO"
        t.add_row(name, f"{tgt['value']:.4g}", f"{tgt['target']:.4g}", met)
    console.print(t)

    al, fa, gr = results["alignment"], results["faithfulness"], results["grouping"]
    t = Table(title="Citations, faithfulness, grouping")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_row("reference sentences aligned", str(al["sentences"]))
    for key in ("article_hit_rate", "span_overlap_rate"):
        t.add_row(key.replace("_", " "), "n/a" if al[key] is None else f"{al[key]:.3f}")
    t.add_row("brief sentences (incl. unsupported)", str(fa["sentences"]))
    for key in ("cited_share", "supported_share", "facts_found_share"):
        t.add_row(key.replace("_", " "), "n/a" if fa[key] is None else f"{fa[key]:.3f}")
    fallbacks = results["extractive_fallbacks"]
    t.add_row(
        "extractive fallbacks", "n/a (extractive run)" if fallbacks is None else str(fallbacks)
    )
    t.add_row(
        "grouping B-cubed P / R / F1",
        f"{gr['precision']:.3f} / {gr['recall']:.3f} / {gr['f1']:.3f} "
        f"({gr['stories']} stories for {gr['gold_clusters']} clusters)",
    )
    console.print(t)

    t = Table(title="Mean seconds per cluster")
    t.add_column("step")
    t.add_column("seconds", justify="right")
    for step, sec in results["timings"]["mean"].items():
        if step.endswith("_tokens"):
            continue
        t.add_row(step, f"{sec:.3f}")
    tok = results["tokens"]
    t.add_row("prompt / completion tokens (total)", f"{tok['prompt']} / {tok['completion']}")
    console.print(t)
