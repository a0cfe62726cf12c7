"""Step 5: choose the evidence the model will see.

Each sentence group gets a relevance score from three signals:

* centrality: cosine of the group's vector to the story centroid (the centroid weights each
  group by its member count, so facts many articles repeat pull it towards them);
* corroboration: how many distinct outlets carry the group;
* position: how early the group's earliest member sits in its article (news leads first).

A sentence that leans on the one before it (``He said ...``, ``That same year ...``,
``It was unclear ...``) means less on its own in a brief: its relevance is multiplied by
``BACK_REFERENCE_FACTOR``. The caller may weight groups further (the pipeline lowers
quotation pieces with no speaker and the writer's first person, which a brief cannot
serve as they stand).

Selection is maximal marginal relevance (MMR) under a token budget, in two passes: first
every article contributes its best group (so the evidence draws on every outlet, not only
the first); then a line that says a death toll has risen takes a place (an updated figure,
which MMR would count as a repeat of the first report's), as does an outlet's correction
of its story, and MMR fills the rest of the budget. Junk (fragments, questions, short
quotes, link lines) is never selected unless nothing else is left.

The evidence is numbered in *reading order*, not score order: round-robin over articles by
the position of each group's representative (every article's first selected sentence, then
every article's second, ...). Leads come first, as in a news story, and the outlets
alternate, which counters a small model's habit of copying from whatever comes first.
Numbering the same lines in score order instead cost 1.7 ROUGE-1 points on the dev file
(docs/EVALUATION.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np

from summarizer.cite import correction_notice, toll_updates
from summarizer.errors import InputError
from summarizer.generate import evidence_line
from summarizer.types import Evidence, SentenceGroup

log = logging.getLogger(__name__)

W_CENTRALITY = 0.5
W_CORROBORATION = 0.3
W_POSITION = 0.2
POSITION_DECAY = 0.25  # position score = 1 / (1 + decay * index)
MIN_WORDS = 6
MIN_QUOTE_WORDS = 5
BACK_REFERENCE_FACTOR = 0.8
MMR_LAMBDA = 0.7  # relevance (1.0) against novelty (0.0)

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")
_QUOTED = re.compile(r"[\"“”]([^\"“”]*)[\"“”]")
_LINKISH = re.compile(r"https?://|www\.|\S+@\S+\.\w|\bclick here\b|\bsign up\b", re.IGNORECASE)
# a print edition's pointer to another page ("Full league table and fixtures on page 62.")
_PAGE_POINTER = re.compile(
    r"\b(?:on|see|turn to|continued on|more on)\s+(?:pages?|p\.)\s*\d+\b(?!\s+of\b)",
    re.IGNORECASE,
)
_TERMINAL = re.compile(r"[.!?][\"'”’)]*\s*$")
_BACK_REFERENCE = re.compile(
    r"^\W*(?:He|She|It|They|His|Her|Its|Their|Them|This|That|These|Those|Such)\b(?!['’])"
)


def back_reference(text: str) -> bool:
    """Whether a sentence opens with a pronoun or demonstrative that points back."""
    return _BACK_REFERENCE.match(text) is not None


# a line of a match report's or a results table's box ("Sent off: Moen (Kingsbridge) 80,
# second yellow card.", "Goals: Vela 19; Reyes 40, 71 pen"): a label, then names and
# numbers with hardly a word of prose; a correction or an update under its label is prose
_LABEL = re.compile(
    r"^(?!(?:Correction|Clarification|Update|Editor's note)\b)[A-Z][\w'’ ]{0,24}:\s"
)
_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")
MAX_LABEL_LOWER_WORDS = 3


def junk_reason(text: str) -> str | None:
    """Why a sentence is not worth showing the model, or None if it is fine."""
    text = " ".join(text.split())
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return "too short"
    if text.rstrip("\"'”’) ").endswith("?"):
        return "question"
    if not any(c.islower() for c in text):
        return "no lower-case letters"
    if _LINKISH.search(text):
        return "link or sign-up line"
    if _PAGE_POINTER.search(text):
        return "pointer to another page"
    label = _LABEL.match(text)
    if label and len(_LOWER_WORD.findall(text[label.end() :])) <= MAX_LABEL_LOWER_WORDS:
        return "a labelled list line"
    quoted = [len(_WORD.findall(q)) for q in _QUOTED.findall(text)]
    outside = len(_WORD.findall(_QUOTED.sub(" ", text)))
    if quoted and sum(quoted) < MIN_QUOTE_WORDS and outside <= 4:
        return "short quote"
    if text[0] in '"“' and quoted and quoted[0] < MIN_QUOTE_WORDS and outside <= 4:
        return "short quote"
    if not _TERMINAL.search(text) and len(words) < 12:
        return "fragment"
    return None


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.asarray(v / np.maximum(norms, 1e-12), dtype=np.float32)


def relevance_scores(
    groups: Sequence[SentenceGroup], vectors: np.ndarray, n_articles: int
) -> np.ndarray:
    """Relevance in 0..1 per group: centrality, corroboration and position, weighted."""
    v = _unit_rows(vectors)
    weights = np.array([len(g.members) for g in groups], dtype=np.float32)
    centroid = (weights[:, None] * v).sum(axis=0)
    norm = float(np.linalg.norm(centroid))
    centrality = np.clip(v @ (centroid / norm), 0.0, 1.0) if norm > 0 else np.zeros(len(groups))
    outlets_total = len({o for g in groups for o in g.outlets})
    span = min(n_articles, outlets_total) - 1
    corroboration = np.array(
        [min(1.0, (len(g.outlets) - 1) / span) if span > 0 else 0.0 for g in groups]
    )
    position = np.array(
        [1.0 / (1.0 + POSITION_DECAY * min(m.index for m in g.members)) for g in groups]
    )
    out = W_CENTRALITY * centrality + W_CORROBORATION * corroboration + W_POSITION * position
    return np.asarray(out, dtype=np.float64)


def _check_inputs(
    groups: Sequence[SentenceGroup],
    group_vectors: np.ndarray,
    budget_tokens: int,
    n_articles: int,
    lambda_: float,
    max_items: int | None,
) -> None:
    if group_vectors.ndim != 2 or group_vectors.shape[0] != len(groups):
        raise InputError(
            f"group_vectors must have one row per group: {len(groups)} groups, "
            f"array of shape {group_vectors.shape}"
        )
    if budget_tokens < 1:
        raise InputError(f"budget_tokens must be positive, not {budget_tokens}", "budget_tokens")
    if n_articles < 1:
        raise InputError(f"n_articles must be at least 1, not {n_articles}", "n_articles")
    if not 0.0 <= lambda_ <= 1.0:
        raise InputError(f"lambda_ must lie in 0..1, not {lambda_}", "lambda_")
    if max_items is not None and max_items < 1:
        raise InputError(f"max_items must be at least 1, not {max_items}", "max_items")


def select_evidence(
    groups: Sequence[SentenceGroup],
    group_vectors: np.ndarray,
    *,
    count_tokens: Callable[[str], int],
    budget_tokens: int,
    n_articles: int,
    lambda_: float = MMR_LAMBDA,
    max_items: int | None = None,
    weights: Sequence[float] | None = None,
    days: Mapping[str, date] | None = None,
) -> list[Evidence]:
    """Relevant, diverse groups that fit ``budget_tokens``, numbered 1..k in reading order.

    ``group_vectors`` holds one vector per group (the representative's); ``count_tokens``
    measures each group's prompt line exactly as ``generate.evidence_line`` renders it.
    ``lambda_`` trades relevance (1.0) against novelty (0.0) in MMR. ``weights`` (one per
    group, 0..1) multiply the relevance. ``days`` (article id -> publication date) dates
    the lines as ``generate.evidence_line`` does for a story reported over several days.
    """
    _check_inputs(groups, group_vectors, budget_tokens, n_articles, lambda_, max_items)
    if weights is not None and (
        len(weights) != len(groups) or not all(0.0 <= w <= 1.0 for w in weights)
    ):
        raise InputError("weights must hold one value in 0..1 per group", "weights")
    if not groups:
        return []
    vectors = _unit_rows(group_vectors)
    rel = relevance_scores(groups, vectors, n_articles)
    rel *= np.array(
        [BACK_REFERENCE_FACTOR if back_reference(g.representative.text) else 1.0 for g in groups]
    )
    if weights is not None:
        rel *= np.asarray(weights, dtype=np.float64)
    sim = np.clip(vectors @ vectors.T, 0.0, 1.0)

    candidates = [i for i, g in enumerate(groups) if junk_reason(g.representative.text) is None]
    if not candidates:
        log.warning("every sentence group looks like junk; selecting among all of them")
        candidates = list(range(len(groups)))
    width = max(10, len(groups))  # numbers are rendered with as many digits as the final ones
    cost = {i: count_tokens(evidence_line(width, groups[i], days)) + 1 for i in candidates}
    limit = max_items if max_items is not None else len(candidates)

    chosen: list[int] = []
    spent = 0

    def mmr(i: int) -> float:
        redundancy = float(sim[i, chosen].max()) if chosen else 0.0
        return lambda_ * float(rel[i]) - (1.0 - lambda_) * redundancy

    def fits(i: int) -> bool:
        return i not in chosen and spent + cost[i] <= budget_tokens

    # pass 1: every article's best group, strongest articles first
    best_of: dict[str, float] = {}
    for i in candidates:
        for a in groups[i].article_ids:
            best_of[a] = max(best_of.get(a, -1.0), float(rel[i]))
    for article in sorted(best_of, key=lambda a: -best_of[a]):
        if len(chosen) >= limit:
            break
        if any(article in groups[j].article_ids for j in chosen):
            continue
        options = [i for i in candidates if article in groups[i].article_ids and fits(i)]
        if options:
            pick = max(options, key=lambda i: (mmr(i), -i))
            chosen.append(pick)
            spent += cost[pick]

    # a line that says a toll has risen ("the death toll ... rose to 15") is the latest
    # figure, not a repeat of the first one that MMR would count it as: it takes a place
    updates = [
        i
        for i in candidates
        if toll_updates(groups[i].representative.text)
        or correction_notice(groups[i].representative.text)
    ]
    for i in sorted(updates, key=lambda i: (-float(rel[i]), i)):
        if len(chosen) < limit and fits(i):
            chosen.append(i)
            spent += cost[i]

    # pass 2: MMR over the rest while the budget lasts
    while len(chosen) < limit:
        options = [i for i in candidates if fits(i)]
        if not options:
            break
        pick = max(options, key=lambda i: (mmr(i), -i))
        chosen.append(pick)
        spent += cost[pick]

    if not chosen:
        log.warning("no evidence fits a budget of %d tokens", budget_tokens)
        return []
    ordered = reading_order([groups[i] for i in chosen], [float(rel[i]) for i in chosen])
    return [
        Evidence(n=k, group=groups[chosen[j]], score=round(float(rel[chosen[j]]), 6))
        for k, j in enumerate(ordered, start=1)
    ]


def reading_order(groups: Sequence[SentenceGroup], scores: Sequence[float]) -> list[int]:
    """Indices of ``groups`` round-robin over articles, each article's sentences in order.

    Articles take turns in the order of their best-scored group; a group belongs to its
    representative's article.
    """
    by_article: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_article.setdefault(g.representative.article_id, []).append(i)
    article_rank = {
        a: r
        for r, a in enumerate(
            sorted(by_article, key=lambda a: (-max(scores[i] for i in by_article[a]), a))
        )
    }
    key: dict[int, tuple[int, int, int]] = {}
    for a, idx in by_article.items():
        for turn, i in enumerate(sorted(idx, key=lambda i: groups[i].representative.index)):
            key[i] = (turn, article_rank[a], groups[i].representative.index)
    return sorted(range(len(groups)), key=lambda i: key[i])


__all__ = ["junk_reason", "reading_order", "relevance_scores", "select_evidence"]
