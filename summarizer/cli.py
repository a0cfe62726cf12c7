"""The ``storybrief`` command: thin subcommands over the library.

Each subcommand lives in ``summarizer/commands/<name>.py`` and exposes
``add_parser(subparsers) -> None`` (which sets ``func`` on its parser) so this module
only assembles them. ``main(argv)`` returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from summarizer import __version__
from summarizer.errors import StoryBriefError

COMMANDS = ("models", "summarize", "batch", "serve", "eval", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storybrief", description="One cited brief per news story, from local models."
    )
    parser.add_argument("--version", action="version", version=f"storybrief {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"summarizer.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"summarizer.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.func(args)
    except StoryBriefError as exc:
        print(f"storybrief: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("storybrief: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
