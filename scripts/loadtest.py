"""A bounded load test of the REST service, on the loopback interface only.

Starts ``storybrief serve`` on a free 127.0.0.1 port with a temporary database (or uses
``--url``, which must point at 127.0.0.1 / localhost), seeds it, then sends at once
``--ingests`` single-article ingests and ``--briefs`` brief requests (``refresh=true``, so
each one generates), and reports throughput, p50/p95 latency and errors per kind. The only
errors allowed are 503 answers that carry ``Retry-After``; anything else makes the exit
status 1. Everything stops after ``--max-seconds``.

    python scripts/loadtest.py                    # extractive briefs
    python scripts/loadtest.py --model            # briefs from the default generator
    python scripts/loadtest.py --markdown out.md  # also write the report as Markdown
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    retry_after: str | None = None
    error: str | None = None


@dataclass
class Report:
    samples: list[Sample] = field(default_factory=list)
    wall_s: float = 0.0
    setup: dict[str, Any] = field(default_factory=dict)


def seed_articles() -> list[dict[str, Any]]:
    manifest = json.loads((ROOT / "seeds" / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for entry in manifest["articles"]:
        text = (ROOT / "seeds" / entry["file"]).read_text(encoding="utf-8")
        item = {"id": entry["id"], "outlet": entry["outlet"], "text": text}
        for key in ("title", "published"):
            if entry.get(key):
                item[key] = entry[key]
        out.append(item)
    return out


def load_articles(n: int) -> list[dict[str, Any]]:
    """``n`` distinct articles: the evaluation set when present, else seed variants."""
    out: list[dict[str, Any]] = []
    if EVAL.is_file():
        for line in EVAL.read_text(encoding="utf-8").splitlines():
            cluster = json.loads(line)
            for doc in cluster["documents"]:
                text = doc.get("rawDocumentText") or ""
                if len(text.split()) < 80 or "<" in text[:200]:
                    continue
                art_id = f"load-{cluster['unique_id']}-{doc['documentFile']}".replace(".txt", "")
                out.append({"id": art_id, "outlet": f"outlet-{len(out) % 7}", "text": text})
                if len(out) == n:
                    return out
    seeds = seed_articles()
    i = 0
    while len(out) < n:
        base = seeds[i % len(seeds)]
        extra = f"\n\nUpdate {i}: correspondents filed further reports on day {i} of the visit."
        out.append({**base, "id": f"load-variant-{i}", "text": base["text"] + extra})
        i += 1
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    data_dir: Path, model: bool, log: IO[bytes]
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "summarizer.cli", "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--data-dir", str(data_dir), "--log-level", "warning"]
    if not model:
        cmd.append("--extractive")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(client: httpx.AsyncClient, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)
    raise RuntimeError("the server did not become ready")


async def timed(
    client: httpx.AsyncClient, kind: str, method: str, url: str, **kwargs: Any
) -> Sample:
    t0 = time.perf_counter()
    try:
        r = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        return Sample(kind, 0, time.perf_counter() - t0, error=type(exc).__name__)
    sample = Sample(kind, r.status_code, time.perf_counter() - t0, r.headers.get("retry-after"))
    if r.status_code >= 400:
        sample.error = r.json().get("error", {}).get("type", "?")
    return sample


async def run_load(url: str, n_ingests: int, n_briefs: int, max_seconds: float) -> Report:
    report = Report()
    limits = httpx.Limits(max_connections=n_ingests + n_briefs + 4)
    async with httpx.AsyncClient(base_url=url, timeout=max_seconds, limits=limits) as client:
        await wait_ready(client, 600)
        seeded = await client.post("/v1/articles", json={"articles": seed_articles()})
        seeded.raise_for_status()
        stories = (await client.get("/v1/stories")).json()["data"]
        articles = load_articles(n_ingests)
        lengths = ["short", "standard", "long"]
        brief_calls = [
            (stories[i % len(stories)]["id"], lengths[(i // len(stories)) % 3])
            for i in range(n_briefs)
        ]
        report.setup = {
            "ingests": n_ingests,
            "briefs": n_briefs,
            "stories": len(stories),
            "ingest_chars_mean": round(statistics.mean(len(a["text"]) for a in articles)),
        }
        tasks = [
            timed(client, "ingest", "POST", "/v1/articles", json={"articles": [a]})
            for a in articles
        ] + [
            timed(
                client,
                "brief",
                "GET",
                f"/v1/stories/{sid}/brief",
                params={"length": length, "refresh": "true"},
            )
            for sid, length in brief_calls
        ]
        t0 = time.perf_counter()
        try:
            report.samples = await asyncio.wait_for(asyncio.gather(*tasks), max_seconds)
        except TimeoutError:
            report.setup["stopped"] = f"stopped after {max_seconds:g} s"
        report.wall_s = time.perf_counter() - t0
    return report


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def summarize(report: Report) -> tuple[list[dict[str, Any]], int]:
    """Rows per kind, and the number of disallowed errors."""
    rows = []
    bad = 0
    for kind in ("ingest", "brief"):
        got = [s for s in report.samples if s.kind == kind]
        if not got:
            continue
        ok = [s.seconds for s in got if s.status < 400]
        busy = [s for s in got if s.status == 503 and s.retry_after]
        other = [
            s
            for s in got
            if (s.status >= 400 or s.status == 0) and not (s.status == 503 and s.retry_after)
        ]
        bad += len(other)
        span = max(s.seconds for s in got)
        rows.append(
            {
                "kind": kind,
                "requests": len(got),
                "ok": len(ok),
                "busy_503": len(busy),
                "retry_after_s": sorted({int(s.retry_after or 0) for s in busy}),
                "other_errors": dict(Counter(f"{s.status} {s.error}" for s in other)),
                "throughput_rps": round(len(ok) / span, 2) if span else 0.0,
                "p50_s": round(pct(ok, 0.5), 2),
                "p95_s": round(pct(ok, 0.95), 2),
                "max_s": round(max(ok), 2) if ok else float("nan"),
            }
        )
    return rows, bad


def markdown(rows: list[dict[str, Any]], report: Report, model: bool) -> str:
    lines = [
        "| kind | requests | ok | 503 + Retry-After | other errors | ok/s | p50 s | p95 s "
        "| max s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['requests']} | {r['ok']} | {r['busy_503']} | "
            f"{r['other_errors'] or 0} | {r['throughput_rps']} | {r['p50_s']} | {r['p95_s']} | "
            f"{r['max_s']} |"
        )
    lines.append("")
    lines.append(
        f"Wall time {report.wall_s:.1f} s; briefs by "
        f"{'the default generator' if model else 'the extractive path'}; setup {report.setup}."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="an already running server (loopback only)")
    p.add_argument("--model", action="store_true", help="briefs from the default generator")
    p.add_argument("--ingests", type=int, default=50)
    p.add_argument("--briefs", type=int, default=5)
    p.add_argument("--max-seconds", type=float, default=900)
    p.add_argument("--markdown", type=Path, help="write the report here as Markdown")
    args = p.parse_args(argv)
    if not 1 <= args.ingests <= 500 or not 0 <= args.briefs <= 50:
        p.error("--ingests must be 1..500 and --briefs 0..50")
    proc = None
    tmp = None
    url = args.url
    if url is not None:
        host = urlparse(url).hostname
        if host not in LOOPBACK:
            p.error(f"--url must be a loopback address, not {host!r}")
    else:
        tmp = Path(tempfile.mkdtemp(prefix="storybrief-load-"))
        log = (tmp / "server.log").open("wb")
        proc, url = start_server(tmp / "data", args.model, log)
    try:
        report = asyncio.run(run_load(url, args.ingests, args.briefs, args.max_seconds))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    rows, bad = summarize(report)
    text = markdown(rows, report, args.model)
    out.write(text)
    out.write(json.dumps(rows, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    if bad:
        out.write(f"FAIL: {bad} errors other than 503 with Retry-After\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
