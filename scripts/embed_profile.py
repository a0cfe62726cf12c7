"""Where the embedder's time goes, next to what the CPU can do (docs/BENCHMARKS.md).

Embeds the distinct cleaned sentences of an evaluation file the way the pipeline does and
prints:

1. the sentences and tokens (with the padding of length-sorted batches), and the GFLOP of
   MiniLM's linear layers for them;
2. the rate of a plain matrix product of the model's own shapes in float32 and in the
   embedder's precision: the ceiling for the linear layers;
3. the seconds of tokenising, of the forward passes and of ``Embedder.encode``, and a
   torch profile of the forward passes split by operator.

    python scripts/embed_profile.py [--data PATH] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.embed import BATCH_SIZE, Embedder  # noqa: E402
from summarizer.evaluate import read_eval_file  # noqa: E402
from summarizer.sentences import prepare_article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"


def linear_flops_per_token(hidden: int, intermediate: int, layers: int) -> int:
    """Multiply-adds x 2 of one token through the encoder's linear layers (Q, K, V, output
    projection and the two feed-forward layers); attention scores are left out."""
    return 2 * layers * (4 * hidden * hidden + 2 * hidden * intermediate)


def matmul_rate(dtype: object, m: int, k: int, n: int, reps: int = 200) -> float:
    """GFLOP/s of ``(m, k) @ (k, n)`` in ``dtype``."""
    import torch

    a = torch.randn(m, k, dtype=dtype)
    b = torch.randn(k, n, dtype=dtype)
    for _ in range(5):
        a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no evaluation file at {args.data}")

    import torch
    from torch.profiler import ProfilerActivity, profile

    clusters = read_eval_file(args.data)
    texts = list(
        dict.fromkeys(s.text for c in clusters for a in c.articles for s in prepare_article(a)[1])
    )
    embedder = Embedder(threads=args.threads)
    model = embedder.load()
    config = model[0].auto_model.config
    lengths = np.array([len(model.tokenizer(t)["input_ids"]) for t in texts])
    ordered = np.sort(lengths)
    padded = sum(
        int(ordered[i : i + BATCH_SIZE].max()) * len(ordered[i : i + BATCH_SIZE])
        for i in range(0, len(ordered), BATCH_SIZE)
    )
    per_token = linear_flops_per_token(
        config.hidden_size, config.intermediate_size, config.num_hidden_layers
    )
    print(
        f"{len(clusters)} clusters, {sum(len(c.articles) for c in clusters)} articles, "
        f"{len(texts)} distinct sentences, {int(lengths.sum())} tokens "
        f"(median {int(np.median(lengths))}, {int((lengths > 128).sum())} over 128), "
        f"{padded} with padding"
    )
    print(
        f"linear layers: {per_token / 1e6:.1f} MFLOP a token, "
        f"{padded * per_token / 1e9:.0f} GFLOP in all; embedder in {embedder.precision}, "
        f"{torch.get_num_threads()} threads"
    )
    dtype = torch.bfloat16 if embedder.precision == "bfloat16" else torch.float32
    hidden, inter = config.hidden_size, config.intermediate_size
    for dt in dict.fromkeys([torch.float32, dtype]):
        rates = [
            matmul_rate(dt, BATCH_SIZE * 40, k, n) for k, n in ((hidden, inter), (inter, hidden))
        ]
        print(
            f"matrix product {BATCH_SIZE * 40}x{hidden}x{inter} and back, {dt}: "
            f"{min(rates):.0f}-{max(rates):.0f} GFLOP/s"
        )

    embedder.encode(texts[:64])  # warm up
    order = np.argsort([-len(t) for t in texts])
    batches = [
        [texts[i] for i in order[j : j + BATCH_SIZE]] for j in range(0, len(texts), BATCH_SIZE)
    ]
    t0 = time.perf_counter()
    features = [
        model.preprocess(b) if hasattr(model, "preprocess") else model.tokenize(b) for b in batches
    ]
    t_tok = time.perf_counter() - t0
    with torch.inference_mode():
        t0 = time.perf_counter()
        for f in features:
            model.forward(f)
        t_fwd = time.perf_counter() - t0
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for f in features:
                model.forward(f)
    t0 = time.perf_counter()
    embedder.encode(texts)
    t_enc = time.perf_counter() - t0
    print(f"tokenise {t_tok:.3f} s, forward {t_fwd:.3f} s, encode {t_enc:.3f} s")
    total = sum(e.self_cpu_time_total for e in prof.key_averages())
    rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:8]
    for e in rows:
        print(f"  {e.key:<55} {100 * e.self_cpu_time_total / total:5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
