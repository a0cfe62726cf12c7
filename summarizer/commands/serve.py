"""``storybrief serve``: the REST service under uvicorn (host, port, data dir from settings)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from summarizer.settings import get_settings, make_settings


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the REST service",
        description="Serve the REST API (settings from STORYBRIEF_* variables; flags override).",
    )
    p.add_argument("--host", default=None, help="default: settings.host (127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="default: settings.port (8000)")
    p.add_argument("--data-dir", type=Path, default=None, help="where the SQLite file lives")
    p.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL (postgresql+psycopg://USER@HOST/NAME) instead of SQLite",
    )
    p.add_argument("--extractive", action="store_true", help="no generator: extractive briefs only")
    p.add_argument(
        "--seed",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="ingest these articles (folder, .json, .jsonl) before serving; repeatable",
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app, open_store

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.database_url is not None:
        overrides["database_url"] = args.database_url
    if args.extractive:
        overrides["extractive_only"] = True
    settings = make_settings(**overrides) if overrides else get_settings()
    # Locked and set up here, before the models load: what would stop the service (a
    # service already running on the database, another program's database, one of a newer
    # schema, a file or folder this user cannot write, a full disk) is said in one line,
    # and the lock is held from this check on, so two starts at once cannot both pass it.
    store = open_store(settings.sqlalchemy_url)
    seeds = [str(p) for p in args.seed]
    app = create_app(settings, seed_paths=seeds, store=store)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            timeout_graceful_shutdown=5,
        )
    finally:
        store.dispose()  # the lifespan's own, unless the start failed before it
    return 0
