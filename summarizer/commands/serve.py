"""``storybrief serve``: the REST service under uvicorn (host, port, data dir from settings)."""

from __future__ import annotations

import argparse
import errno
import os
import socket
from pathlib import Path
from typing import Any

from summarizer.errors import ConfigError
from summarizer.settings import Settings, get_settings, make_settings

DESCRIPTION = """\
Serve the REST API (settings from STORYBRIEF_* variables; flags override).

Exit codes: 0 stopped with Ctrl-C; 2 refused at start, in one line, before any model
loads (bad settings; the database in use by another service, unwritable or damaged; the
port in use or the address unavailable; a model name the manifest lacks); 3 the server
did not start after those checks (a model failed to load, or another program took the
port while the models loaded: the log says which).
"""


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the REST service",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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


def check_port(host: str, port: int) -> None:
    """Refuse, in one line (``ConfigError``: exit 2), an address the server could not
    listen on: a port another program listens on, a host name that does not resolve, an
    address this machine does not have, a port below 1024 without the right to it.

    It binds as the server will (every address ``host`` resolves to, ``SO_REUSEADDR``, an
    IPv6 socket for IPv6 only, as asyncio does) and lets go at once, so that the refusal
    comes before the models load rather than after, as uvicorn's own error and exit 3.
    """
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot serve on {where}: the host does not resolve ({exc.strerror})"
        ) from None
    for family, kind, proto, _, address in dict.fromkeys(infos):
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise ConfigError(
                        f"cannot serve on {where}: the port is already in use (another "
                        "program listens there); stop it, or choose another port with "
                        "--port or STORYBRIEF_PORT"
                    ) from None
                raise ConfigError(f"cannot serve on {where}: {exc.strerror or exc}") from None


def check_model_names(settings: Settings) -> None:
    """Refuse, in one line, a model name the manifest does not have (a misspelt
    ``STORYBRIEF_GENERATOR``), which the app would find only as it starts: a traceback
    and exit 3."""
    from summarizer.backends import get_manifest

    manifest = get_manifest(settings)
    manifest.get(settings.embedder, role="embedder")
    if not settings.extractive_only:
        manifest.get(settings.generator, role="generator")


def check_seed_paths(paths: list[Path]) -> None:
    """Refuse, in one line, a ``--seed`` path that names nothing: a mistyped path would
    start an empty service with one warning among the server's lines. (What a seed that
    exists holds is read at start, and a bad article in it is skipped with a warning.)"""
    for path in paths:
        if not os.path.lexists(path):
            raise ConfigError(f"--seed {path}: no such file or folder")


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
    # Then the address and the model names, before the models load: uvicorn binds only
    # after the application has started, so a port in use would otherwise be found after
    # the models loaded, with exit 3 (a program that takes the port in between still
    # meets that), and a model name the manifest lacks as the app starts, in a traceback.
    try:
        check_port(settings.host, settings.port)
        check_model_names(settings)
        check_seed_paths(args.seed)
    except BaseException:
        store.dispose()
        raise
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
