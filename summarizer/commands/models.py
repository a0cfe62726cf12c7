"""``storybrief models list|fetch|verify``: the pinned models and their files."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from summarizer.backends import ensure_model, get_manifest, verify_model, weights_path
from summarizer.backends.assembly import is_verified
from summarizer.backends.manifest import ModelSpec
from summarizer.errors import ModelAssemblyError
from summarizer.settings import Settings, get_settings


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("models", help="list, assemble and verify the pinned models")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    p_list = sub.add_parser("list", help="the models in the manifest and whether they are ready")
    p_list.set_defaults(func=run_list)

    p_fetch = sub.add_parser(
        "fetch", help="assemble chunked model files into the cache (once; idempotent)"
    )
    p_fetch.add_argument("names", nargs="*", metavar="NAME", help="models to fetch (default: all)")
    p_fetch.add_argument("--force", action="store_true", help="rebuild files already present")
    p_fetch.set_defaults(func=run_fetch)

    p_verify = sub.add_parser("verify", help="hash every model file against the manifest")
    p_verify.add_argument(
        "names", nargs="*", metavar="NAME", help="models to verify (default: all)"
    )
    p_verify.set_defaults(func=run_verify)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _state(spec: ModelSpec, settings: Settings) -> str:
    try:
        path = weights_path(spec, settings.cache_dir)
    except ModelAssemblyError:
        return "package missing"
    if not path.is_file():
        return "not assembled" if spec.chunked else "file missing"
    if path.stat().st_size != spec.size:
        return "wrong size"
    if spec.chunked and not is_verified(path, spec.sha256, spec.size):
        return "not verified (storybrief models verify)"
    return "ready"


def run_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = get_settings()
    manifest = get_manifest(settings)
    rows = [("NAME", "ROLE", "BACKENDS", "SIZE", "STATE")]
    for spec in manifest.models:
        rows.append(
            (
                spec.name,
                spec.role,
                ",".join(spec.backends),
                _size(spec.size),
                _state(spec, settings),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
    print(f"cache: {settings.cache_dir}", file=out)
    return 0


def run_fetch(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = get_settings()
    for spec in get_manifest(settings).select(args.names):
        result = ensure_model(spec, settings.cache_dir, force=args.force)
        if result.built:
            state = f"assembled in {result.seconds:.1f} s"
        elif spec.chunked:
            state = "already assembled"
        else:
            state = "installed (no assembly)"
        print(f"{spec.name}: {state}: {result.path}", file=out)
    return 0


def run_verify(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = get_settings()
    failures = 0
    for spec in get_manifest(settings).select(args.names):
        try:
            digest = verify_model(spec, settings.cache_dir)
        except ModelAssemblyError as exc:
            failures += 1
            print(f"{spec.name}: FAILED: {exc}", file=sys.stderr)
            continue
        print(f"{spec.name}: OK sha256 {digest}", file=out)
    return 1 if failures else 0
