"""Extractive baselines that ``storybrief eval`` scores next to our briefs.

* ``lead``: the first sentences of the articles, taken round robin (first sentence of
  every article, then every second sentence, ...);
* ``lexrank``: continuous LexRank over sentence embeddings: a cosine-weighted sentence
  graph, PageRank-style power iteration, the most central sentences first, near-repeats
  skipped.

Both are cut to a word budget (``cut_to_words``) so that ROUGE compares texts of the same
length. They are pure functions over strings and arrays; the caller supplies the
sentences (already cleaned and split by the pipeline) and their vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from summarizer.errors import InputError

T = TypeVar("T")


def word_count(text: str) -> int:
    """Words as ROUGE-length comparisons count them: whitespace-separated tokens."""
    return len(text.split())


def cut_to_words(sentences: Sequence[str], n_words: int) -> list[str]:
    """Keep sentences in order until ``n_words`` words; the last one is cut mid-sentence."""
    if n_words < 0:
        raise InputError(f"word budget must be >= 0, not {n_words}", "n_words")
    out: list[str] = []
    left = n_words
    for sentence in sentences:
        if left <= 0:
            break
        words = sentence.split()
        if not words:
            continue
        out.append(" ".join(words[:left]))
        left -= min(left, len(words))
    return out


def round_robin(groups: Sequence[Sequence[T]]) -> list[T]:
    """Items interleaved across groups: ``g0[0], g1[0], ..., g0[1], g1[1], ...``."""
    out: list[T] = []
    depth = max((len(g) for g in groups), default=0)
    for i in range(depth):
        out.extend(g[i] for g in groups if i < len(g))
    return out


def lead_baseline(articles: Sequence[Sequence[str]], n_words: int) -> list[str]:
    """First sentences round robin over articles (in the order given), cut to ``n_words``."""
    return cut_to_words(round_robin(articles), n_words)


def lexrank_scores(
    vectors: np.ndarray, *, damping: float = 0.85, tol: float = 1e-8, max_iter: int = 500
) -> np.ndarray:
    """Continuous LexRank centrality of each row of ``vectors`` (scores sum to 1).

    Edges are cosine similarities (negative ones dropped, no self-loops); each row of
    the graph is normalised into a transition distribution and the stationary
    distribution of the damped random walk is found by power iteration.
    """
    if vectors.ndim != 2:
        raise InputError(f"vectors must be a 2-d array, not {vectors.ndim}-d", "vectors")
    n = vectors.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    if not 0.0 < damping <= 1.0:
        raise InputError(f"damping must be in (0, 1], not {damping}", "damping")
    v = vectors.astype(np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    v = v / np.where(norms > 0, norms, 1.0)
    sim = np.clip(v @ v.T, 0.0, None)
    np.fill_diagonal(sim, 0.0)
    row_sums = sim.sum(axis=1, keepdims=True)
    # a sentence with no neighbour jumps uniformly (keeps the matrix stochastic)
    trans = np.where(row_sums > 0, sim / np.where(row_sums > 0, row_sums, 1.0), 1.0 / n)
    scores = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = (1.0 - damping) / n + damping * (trans.T @ scores)
        if np.abs(nxt - scores).sum() < tol:
            scores = nxt
            break
        scores = nxt
    result: np.ndarray = scores / scores.sum()
    return result


def lexrank_baseline(
    sentences: Sequence[str],
    vectors: np.ndarray,
    n_words: int,
    *,
    redundancy: float = 0.9,
    min_words: int = 6,
) -> list[str]:
    """The most central sentences first, cut to ``n_words``.

    A sentence whose cosine with one already chosen exceeds ``redundancy`` is skipped;
    sentences shorter than ``min_words`` (headlines, bylines) are not candidates unless
    nothing longer exists.
    """
    if len(sentences) != vectors.shape[0]:
        raise InputError(f"{len(sentences)} sentences but {vectors.shape[0]} vectors", "vectors")
    if not sentences:
        return []
    scores = lexrank_scores(vectors)
    long_enough = [i for i, s in enumerate(sentences) if word_count(s) >= min_words]
    candidates = long_enough or list(range(len(sentences)))
    order = sorted(candidates, key=lambda i: (-scores[i], i))
    v = vectors.astype(np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    v = v / np.where(norms > 0, norms, 1.0)
    chosen: list[int] = []
    words = 0
    for i in order:
        if words >= n_words:
            break
        if chosen and float(np.max(v[chosen] @ v[i])) > redundancy:
            continue
        chosen.append(i)
        words += word_count(sentences[i])
    return cut_to_words([sentences[i] for i in chosen], n_words)
