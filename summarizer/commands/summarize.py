"""``storybrief summarize PATH...``: group articles into stories and print a cited brief each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from summarizer.errors import InputError
from summarizer.io import (
    InputProblem,
    Located,
    iter_located_inputs,
    render_markdown,
    repeated_id,
)
from summarizer.sentences import prepare_article
from summarizer.settings import get_settings
from summarizer.types import LENGTH_SENTENCES, Article, same_article


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


def _readable(paths: list[str]) -> tuple[list[Article], list[InputProblem]]:
    """The articles a brief can be written from, and what was skipped with where it was.

    An id seen before for another article (two files that claim one id) and an article
    that cleans down to nothing are skipped, as ``batch`` skips them, instead of failing
    the whole run. A copy of an article already read (``same_article``: overlapping
    crawls) is no problem: it is read once.
    """
    articles: list[Article] = []
    problems: list[InputProblem] = []
    first: dict[str, Located] = {}
    for item in iter_located_inputs(paths, sys.stdin):
        if isinstance(item, InputProblem):
            problems.append(item)
            continue
        art = item.article
        if art.id in first:
            if not same_article(first[art.id].article, art):
                problems.append(repeated_id(item, first[art.id]))
            continue
        try:
            prepare_article(art)
        except InputError as exc:
            problems.append(InputProblem(item.path, item.line, exc.message))
            continue
        first[art.id] = item
        articles.append(art)
    return articles, problems


def run(args: argparse.Namespace) -> int:
    from summarizer.backends import load_generator
    from summarizer.embed import load_embedder
    from summarizer.pipeline import Pipeline

    settings = get_settings()
    articles, problems = _readable(args.paths)
    for problem in problems:
        print(f"storybrief: skipped {problem}", file=sys.stderr)
    if problems and args.strict:
        return 2
    if not articles:
        raise InputError("no readable articles in the input")
    embedder = load_embedder(settings)
    extractive = args.extractive or settings.extractive_only
    generator = None if extractive else load_generator(settings)
    try:
        pipeline = Pipeline(settings, embedder, generator)
        briefs = pipeline.summarize(articles, length=args.length)
    finally:
        if generator is not None:
            generator.close()
        embedder.close()
    empty = [b for b in briefs if not any(s.supported for s in b.sentences)]
    for b in empty:
        print(f"storybrief: story {b.story_id}: empty brief: {b.fallback_reason}", file=sys.stderr)
    if args.format == "json":
        json.dump({"briefs": [b.model_dump(mode="json") for b in briefs]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(render_markdown(b) for b in briefs))
    return 1 if problems or empty else 0
