"""``storybrief summarize PATH...``: group articles into stories and print a cited brief each."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from typing import Any

from summarizer.errors import InputError, StoryBriefError
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

DESCRIPTION = """\
Print one cited brief per story of the articles in files, a folder with a manifest (like
seeds/), JSON or JSONL ('-' = stdin).

Exit codes: 0 all good; 1 some input was skipped, or a story's brief came out empty; 2
usage or fatal error (no readable article; with --strict, any unreadable input; output
that cannot be written, as on a full disk); 130 interrupted; 141 the reader of the output
went away before the end (a closed pipe, as in `| head`), as if killed by SIGPIPE.
"""

EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command killed by SIGPIPE


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "summarize",
        help="print one cited brief per story",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument("--length", choices=sorted(LENGTH_SENTENCES), default=None)
    p.add_argument(
        "--extractive", action="store_true", help="no generator: pick source sentences only"
    )
    p.add_argument("--strict", action="store_true", help="fail on any unreadable input")
    p.set_defaults(func=run)


def _readable(
    paths: list[str], *, strict: bool = False, max_chars: int | None = None
) -> tuple[list[Article], list[InputProblem]]:
    """The articles a brief can be written from, and what was skipped with where it was.

    An id seen before for another article (two files that claim one id) and an article
    that cleans down to nothing are skipped, as ``batch`` skips them, instead of failing
    the whole run. A copy of an article already read (``same_article``: overlapping
    crawls) is no problem: it is read once. With ``strict`` the first problem is an
    ``InputError``, as ``batch --strict`` words it.
    """
    articles: list[Article] = []
    problems: list[InputProblem] = []
    first: dict[str, Located] = {}
    for item in iter_located_inputs(paths, sys.stdin, max_chars=max_chars):
        problem: InputProblem | None = None
        if isinstance(item, InputProblem):
            problem = item
        elif item.article.id in first:
            if same_article(first[item.article.id].article, item.article):
                continue
            problem = repeated_id(item, first[item.article.id])
        else:
            try:
                prepare_article(item.article)
            except InputError as exc:
                problem = item.problem(exc.message)
        if problem is None:
            assert isinstance(item, Located)
            first[item.article.id] = item
            articles.append(item.article)
        elif strict:
            raise InputError(f"{problem} (--strict)")
        else:
            problems.append(problem)
    return articles, problems


def _write_output(text: str) -> int | None:
    """Write ``text`` to standard output and flush it: None when it is all written, the
    exit code when the reader went away (a closed pipe, quietly); ``StoryBriefError``
    (one line) when it cannot be written, as on a full disk."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        _drop_stdout()
        raise StoryBriefError(f"cannot write the output: {exc.strerror or exc}") from None
    return None


def _drop_stdout() -> None:
    """Point standard output at the null device: what is still buffered for it would fail
    again at exit, with an "Exception ignored" traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run(args: argparse.Namespace) -> int:
    from summarizer.backends import load_generator
    from summarizer.embed import load_embedder
    from summarizer.pipeline import Pipeline

    settings = get_settings()
    articles, problems = _readable(
        args.paths, strict=args.strict, max_chars=settings.max_chars_per_article
    )
    for problem in problems:
        print(f"storybrief: skipped {problem}", file=sys.stderr)
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
        text = json.dumps({"briefs": [b.model_dump(mode="json") for b in briefs]}, indent=2)
        broken = _write_output(text + "\n")
    else:
        broken = _write_output("\n".join(render_markdown(b) for b in briefs))
    if broken is not None:
        return broken
    return 1 if problems or empty else 0
