"""``storybrief summarize PATH...``: group articles into stories and print a cited brief each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from summarizer.errors import InputError
from summarizer.io import InputProblem, iter_inputs, render_markdown
from summarizer.settings import get_settings
from summarizer.types import LENGTH_SENTENCES, Article


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "summarize",
        help="print one cited brief per story",
        description="Files, a folder with a manifest (like seeds/), JSON or JSONL ('-' = stdin).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument("--length", choices=sorted(LENGTH_SENTENCES), default=None)
    p.add_argument(
        "--extractive", action="store_true", help="no generator: pick source sentences only"
    )
    p.add_argument("--strict", action="store_true", help="fail on any unreadable input")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from summarizer.backends import load_generator
    from summarizer.embed import load_embedder
    from summarizer.pipeline import Pipeline

    settings = get_settings()
    articles: list[Article] = []
    problems: list[InputProblem] = []
    for item in iter_inputs(args.paths, sys.stdin):
        (problems if isinstance(item, InputProblem) else articles).append(item)  # type: ignore[arg-type]
    for problem in problems:
        print(f"storybrief: skipped {problem}", file=sys.stderr)
    if problems and args.strict:
        return 2
    if not articles:
        raise InputError("no readable articles in the input")
    embedder = load_embedder(settings)
    generator = None if args.extractive else load_generator(settings)
    try:
        pipeline = Pipeline(settings, embedder, generator)
        briefs = pipeline.summarize(articles, length=args.length)
    finally:
        if generator is not None:
            generator.close()
        embedder.close()
    if args.format == "json":
        json.dump({"briefs": [b.model_dump(mode="json") for b in briefs]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(render_markdown(b) for b in briefs))
    return 1 if problems else 0
