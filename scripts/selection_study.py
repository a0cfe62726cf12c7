"""What in a sentence group predicts the reference summary, and what selection could gain.

Runs the pipeline's own preparation, dedup and selection on an evaluation file (no
generator: the text model is loaded only for its tokenizer, to count evidence tokens as a
brief does) and prints three things:

1. for every sentence group, the share of its words found in the reference (ROUGE-1
   precision, stemmed) and how each relevance feature correlates with it: centrality,
   corroboration (outlets that carry the group), position (first sentence index);
2. ROUGE-1 of evidence chosen under other relevance weights (the evidence in reading
   order, and the top five groups by score), each cut to the word budget the official run
   gave the cluster, next to the lead baseline at the same budget; then the evidence in
   reading order under other MMR trade-offs;
3. a greedy oracle: the best ROUGE-1 reachable by copying whole sentences, from every
   sentence of the cluster and from the selected evidence only.

    python scripts/selection_study.py [--data PATH] [--eval-json docs/results/eval-dev.json]

Figures from it are quoted in docs/EVALUATION.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer import select as sel  # noqa: E402
from summarizer.backends import load_generator  # noqa: E402
from summarizer.baselines import cut_to_words, lead_baseline  # noqa: E402
from summarizer.embed import load_embedder  # noqa: E402
from summarizer.evaluate import read_eval_file, rouge, split_sentences  # noqa: E402
from summarizer.generate import evidence_text, extractive_drafts  # noqa: E402
from summarizer.pipeline import Pipeline, StoryMaterial  # noqa: E402
from summarizer.settings import get_settings  # noqa: E402
from summarizer.types import Story  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"
#: (centrality, corroboration, position, position decay); the first is the default
WEIGHTS = [
    (0.5, 0.3, 0.2, 0.25),
    (0.4, 0.3, 0.3, 0.25),
    (0.3, 0.3, 0.4, 0.25),
    (0.6, 0.1, 0.3, 0.1),
    (0.6, 0.0, 0.4, 0.1),
    (0.5, 0.1, 0.4, 0.1),
]
#: MMR's relevance/novelty trade-off, default weights (the default lambda is 0.7)
MMR_LAMBDAS = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9]


def unigram_precision(reference: str, text: str) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    return float(scorer.score(reference, text)["rouge1"].precision)


def greedy_oracle(candidates: Sequence[str], reference: list[str], budget: int) -> float:
    """ROUGE-1 F1 of sentences added greedily while each addition raises it."""
    chosen: list[str] = []
    best = 0.0
    while sum(len(t.split()) for t in chosen) < budget:
        pick = None
        for text in candidates:
            if text in chosen:
                continue
            score = rouge(cut_to_words([*chosen, text], budget), reference)["rouge1"]
            if score > best + 1e-9:
                best, pick = score, text
        if pick is None:
            break
        chosen.append(pick)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--eval-json", default=str(ROOT / "docs" / "results" / "eval-dev.json"))
    ap.add_argument("--oracle-sentences", type=int, default=150, help="first N of a cluster")
    args = ap.parse_args()
    for path in (args.data, args.eval_json):
        if not Path(path).is_file():
            ap.error(f"no such file: {path}")

    settings = get_settings()
    clusters = read_eval_file(args.data)
    official = json.loads(Path(args.eval_json).read_text())
    budgets = {c["id"]: c["word_budget"] for c in official["clusters"]}
    missing = [c.id for c in clusters if c.id not in budgets]
    if missing:
        ap.error(f"{args.eval_json} has no word budget for clusters {missing[:5]}")
    # the generator is there for its tokenizer: evidence is counted as a brief counts it
    pipeline = Pipeline(settings, load_embedder(settings), load_generator(settings))
    stories: list[tuple[Any, StoryMaterial]] = []
    for c in clusters:
        by_id = {p.article.id: p for p in pipeline.prepare(list(c.articles))}
        stories.append((c, pipeline.material(Story(id=c.id, article_ids=tuple(by_id)), by_id)))

    # 1. which feature predicts the reference's words
    feats: dict[str, list[float]] = {"centrality": [], "corroboration": [], "position": []}
    target: list[float] = []
    for c, m in stories:
        groups = m.groups
        v = sel._unit_rows(m.group_vectors)
        size = np.array([len(g.members) for g in groups], dtype=np.float32)
        centroid = (size[:, None] * v).sum(axis=0)
        centrality = v @ (centroid / np.linalg.norm(centroid))
        outlets = len({o for g in groups for o in g.outlets})
        for i, g in enumerate(groups):
            if sel.junk_reason(g.representative.text):
                continue
            target.append(unigram_precision(c.reference, g.representative.text))
            feats["centrality"].append(float(centrality[i]))
            feats["corroboration"].append(len(g.outlets) / max(1, outlets))
            feats["position"].append(1.0 / (1.0 + 0.1 * min(m.index for m in g.members)))
    y = np.array(target)
    print(f"{len(y)} sentence groups; correlation with the share of words in the reference:")
    for name, xs in feats.items():
        print(f"  {name:14s} {np.corrcoef(np.array(xs), y)[0, 1]:+.3f}")
    x = np.column_stack([*(np.array(v) for v in feats.values()), np.ones(len(y))])
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    fitted = {k: round(float(c), 3) for k, c in zip([*feats, "constant"], coef, strict=True)}
    print("  least squares:", fitted)

    # 2. other relevance weights
    print("ROUGE-1 (mean over clusters) at the official run's word budgets:")
    saved = (sel.W_CENTRALITY, sel.W_CORROBORATION, sel.W_POSITION, sel.POSITION_DECAY)
    for w in WEIGHTS:
        sel.W_CENTRALITY, sel.W_CORROBORATION, sel.W_POSITION, sel.POSITION_DECAY = w
        tot = {"evidence in reading order": 0.0, "top 5 by score": 0.0, "lead": 0.0}
        for c, m in stories:
            ev = pipeline.select(m)
            b, ref = budgets[c.id], split_sentences(c.reference)
            texts = [evidence_text(e.group) for e in ev]
            top = [d.text for d in extractive_drafts(ev, 5)]
            lead = lead_baseline([[s.text for s in p.sentences] for p in m.parts], b)
            tot["evidence in reading order"] += rouge(cut_to_words(texts, b), ref)["rouge1"]
            tot["top 5 by score"] += rouge(cut_to_words(top, b), ref)["rouge1"]
            tot["lead"] += rouge(lead, ref)["rouge1"]
        shown = ", ".join(f"{k} {100 * v / len(stories):.2f}" for k, v in tot.items())
        print(f"  weights {w}: {shown}")
    sel.W_CENTRALITY, sel.W_CORROBORATION, sel.W_POSITION, sel.POSITION_DECAY = saved
    for lam in MMR_LAMBDAS:
        total = 0.0
        for c, m in stories:
            ev = pipeline.select(m, mmr_lambda=lam)
            texts = [evidence_text(e.group) for e in ev]
            ref = split_sentences(c.reference)
            total += rouge(cut_to_words(texts, budgets[c.id]), ref)["rouge1"]
        print(f"  MMR lambda {lam}: evidence in reading order {100 * total / len(stories):.2f}")

    # 3. what copying whole sentences could reach
    every = chosen = 0.0
    for c, m in stories:
        ev = pipeline.select(m)
        b, ref = budgets[c.id], split_sentences(c.reference)
        every += greedy_oracle([s.text for s in m.sentences][: args.oracle_sentences], ref, b)
        chosen += greedy_oracle([evidence_text(e.group) for e in ev], ref, b)
    n = len(stories)
    print(
        f"greedy oracle ROUGE-1: every sentence {100 * every / n:.2f}, "
        f"selected evidence {100 * chosen / n:.2f}"
    )


if __name__ == "__main__":
    main()
