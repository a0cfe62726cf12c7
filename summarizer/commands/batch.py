"""``storybrief batch INPUT... --out OUT``: brief every story into one file, resumably.

The arguments live here (light imports, so ``storybrief --help`` stays quick); the work
is ``summarizer.batch``, whose ``main(argv)`` is the same command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from summarizer.types import LENGTH_SENTENCES

FORMATS = ("jsonl", "json", "md")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``batch`` command's arguments (shared by ``main`` and the subcommand)."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="a folder of .txt (with an optional manifest.json), .json, .jsonl, or - (stdin)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="OUT", help="output file")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="jsonl (one brief a line), json or md (a digest); default: from OUT's suffix, "
        "else jsonl",
    )
    parser.add_argument("--length", choices=sorted(LENGTH_SENTENCES), default=None)
    parser.add_argument(
        "--limit",
        type=_positive_int,
        default=None,
        metavar="N",
        help="write at most N new briefs this run (a rerun continues)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary line")
    parser.add_argument("--strict", action="store_true", help="fail (exit 2) on any bad input")
    parser.add_argument(
        "--extractive", action="store_true", help="no generator: pick source sentences only"
    )


DESCRIPTION = """\
Brief every story of a set of articles into one file, resumably.

All inputs are pooled before stories are formed. OUT gets one brief per story: JSONL (the
API's brief plus "articles_hash"), JSON ({"briefs": [...]}) or a Markdown digest. A rerun
with the same OUT skips stories whose brief is there and whose articles (and --length and
model) are unchanged, so an interrupted run continues where it stopped; OUT ends with
exactly the briefs of this input's stories, in story order. JSON and Markdown are written
at the end of a run. A JSON run keeps its records in OUT.partial.jsonl until every story
is done (a finished OUT is read back on a rerun); a Markdown digest keeps them in
OUT.briefs.jsonl, beside it, for the next run (remove that file to brief everything anew).
OUT and those files are never read as input (in an input folder they are passed over);
a link as OUT is followed, and its target updated.

Exit codes: 0 all good; 1 some input (a line, a file, a story) was skipped, or OUT holds
a brief that came out empty (nothing in it could be served as fact), this run's or an
earlier one's; 2 usage or fatal error, including an input with no readable article (OUT
is then left alone); 130/143 interrupted (rerun to continue).
"""


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "batch",
        help="brief every story of many articles into one file (resumable)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from summarizer.batch import run_command

    return run_command(args, stdin=sys.stdin, stderr=sys.stderr)
