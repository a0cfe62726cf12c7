"""The extractive baselines on hand-built inputs."""

from __future__ import annotations

import numpy as np
import pytest

from summarizer.baselines import (
    cut_to_words,
    lead_baseline,
    lexrank_baseline,
    lexrank_scores,
    round_robin,
    word_count,
)
from summarizer.errors import InputError


def test_round_robin_interleaves_articles_in_order() -> None:
    assert round_robin([["a1", "a2", "a3"], ["b1"], ["c1", "c2"]]) == [
        "a1",
        "b1",
        "c1",
        "a2",
        "c2",
        "a3",
    ]
    assert round_robin([]) == []


def test_lead_takes_first_sentences_round_robin_and_cuts_words() -> None:
    arts = [
        ["One two three.", "Four five six."],
        ["Alpha beta.", "Gamma delta."],
    ]
    assert lead_baseline(arts, 100) == [
        "One two three.",
        "Alpha beta.",
        "Four five six.",
        "Gamma delta.",
    ]
    # 3 + 2 + 1 words: the third sentence is cut after its first word
    assert lead_baseline(arts, 6) == ["One two three.", "Alpha beta.", "Four"]


def test_cut_to_words_counts_whitespace_tokens() -> None:
    assert cut_to_words(["a b c", "d e"], 4) == ["a b c", "d"]
    assert cut_to_words(["a b c", "d e"], 3) == ["a b c"]
    assert cut_to_words(["a b c"], 0) == []
    assert cut_to_words(["  ", "a  b"], 5) == ["a b"]
    assert sum(word_count(s) for s in cut_to_words(["x " * 50], 7)) == 7
    with pytest.raises(InputError):
        cut_to_words(["a"], -1)


def _hub_vectors() -> np.ndarray:
    # sentence 2 points between the three others; they are far from each other
    return np.array(
        [
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 1.0],
            [0.0, 0.0, 1.0],
        ]
    )


def test_lexrank_scores_rank_the_central_sentence_first() -> None:
    scores = lexrank_scores(_hub_vectors())
    assert scores.shape == (4,)
    assert scores.sum() == pytest.approx(1.0)
    assert int(np.argmax(scores)) == 2
    # the three leaves are symmetric
    assert scores[0] == pytest.approx(scores[1]) == pytest.approx(scores[3])


def test_lexrank_scores_handle_isolated_and_empty_inputs() -> None:
    assert lexrank_scores(np.zeros((0, 3))).shape == (0,)
    iso = lexrank_scores(np.array([[1.0, 0.0], [-1.0, 0.0]]))  # no positive edge
    assert iso == pytest.approx([0.5, 0.5])
    with pytest.raises(InputError):
        lexrank_scores(np.zeros(3))


def test_lexrank_baseline_picks_the_central_sentence_and_skips_repeats() -> None:
    sents = [
        "Leaf sentence number one is here.",
        "Leaf sentence number two is here.",
        "The central sentence shares with all.",
        "Leaf sentence number three is here.",
        "The central sentence shares with all again.",
    ]
    vecs = np.vstack([_hub_vectors(), [[1.0, 1.0, 1.01]]])
    out = lexrank_baseline(sents, vecs, 6)
    assert out == ["The central sentence shares with all."]
    longer = lexrank_baseline(sents, vecs, 100)
    assert "The central sentence shares with all again." not in longer  # near-repeat
    assert len(longer) == 4


def test_lexrank_baseline_prefers_long_sentences_and_checks_shapes() -> None:
    vecs = np.array([[1.0, 1.0], [1.0, 0.9], [0.0, 1.0]])
    out = lexrank_baseline(["Short.", "A long enough sentence for the baseline.", "Tiny."], vecs, 3)
    assert out == ["A long enough"]
    with pytest.raises(InputError):
        lexrank_baseline(["a"], np.zeros((2, 3)), 5)
    assert lexrank_baseline([], np.zeros((0, 3)), 5) == []
