"""Build a large synthetic article set (JSONL) from the evaluation clusters, for benchmarks.

Each output article is a variant of one evaluation article: a fresh id and outlet, a
subset of its sentences (a few neighbours swapped), and a publication date. Copies of a
cluster are spread over time ("replicas" ``PERIOD_DAYS`` apart), so the set holds many
stories of a few articles each rather than a few huge ones. The output is for local
measurement only: it is derived from research data and must not be committed.

    python scripts/make_synthetic.py OUT.jsonl [--count 1000] [--seed 0] [--dev PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEV = ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"
KINDS = ("Wire", "Daily", "Herald", "Times", "Post")
OUTLETS = [f"{kind} {n}" for kind in KINDS for n in range(1, 9)]
PERIOD_DAYS = 30
START = date(2024, 1, 1)


def split_sentences(doc: dict[str, Any]) -> list[str]:
    """The article's sentences, from the character offsets the data set gives."""
    text: str = doc["rawDocumentText"]
    starts = sorted(set(doc.get("docSentCharIdxToSentIdx") or [0]))
    bounds = [*starts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b].strip()]


def variant(sentences: list[str], rng: random.Random) -> str:
    """A subset of the sentences (order kept, a few neighbours swapped)."""
    if len(sentences) <= 4:
        kept = list(sentences)
    else:
        kept = [s for s in sentences if rng.random() < 0.85] or sentences[:4]
    for _ in range(len(kept) // 8):
        i = rng.randrange(1, max(2, len(kept) - 1))
        if i + 1 < len(kept):
            kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return "".join(kept).strip()


def build(dev: Path, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    clusters = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line]
    docs = [(c["unique_id"], d) for c in clusters for d in c["documents"]]
    out: list[dict[str, Any]] = []
    replica = 0
    while len(out) < count:
        base = START + timedelta(days=PERIOD_DAYS * replica)
        for cid, doc in docs:
            if len(out) >= count:
                break
            text = variant(split_sentences(doc), rng)
            if not text:
                continue
            published = base + timedelta(days=rng.randrange(0, 3))
            out.append(
                {
                    "id": f"syn-{replica:03d}-{cid}-{Path(doc['documentFile']).stem}",
                    "outlet": rng.choice(OUTLETS),
                    "title": None,
                    "url": None,
                    "published": published.isoformat(),
                    "text": text,
                }
            )
        replica += 1
    rng.shuffle(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    args = parser.parse_args(argv)
    if not args.dev.is_file():
        sys.stderr.write(f"make_synthetic: {args.dev} not found\n")
        return 2
    rows = build(args.dev, args.count, args.seed)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stderr.write(f"make_synthetic: wrote {len(rows)} articles to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
