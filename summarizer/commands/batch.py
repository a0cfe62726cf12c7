"""``storybrief batch INPUT... --out OUT``: brief every story into one file, resumably.

A thin wrapper over ``summarizer.batch`` (whose ``main(argv)`` is the same command).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from summarizer.batch import DESCRIPTION, add_arguments, run_command


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
    return run_command(args, stdin=sys.stdin, stderr=sys.stderr)
