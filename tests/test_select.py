"""Evidence selection over hand-built groups and vectors."""

from __future__ import annotations

import numpy as np
import pytest

from summarizer.errors import InputError
from summarizer.generate import evidence_line
from summarizer.select import (
    back_reference,
    junk_reason,
    reading_order,
    relevance_scores,
    select_evidence,
)
from summarizer.types import Sentence, SentenceGroup


def words(text: str) -> int:
    return len(text.split())


def sent(article: str, outlet: str, index: int, text: str) -> Sentence:
    return Sentence(article, outlet, index, 0, len(text), text)


def group(gid: int, *members: Sentence) -> SentenceGroup:
    return SentenceGroup(id=gid, representative=members[0], members=tuple(members))


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


S = [
    "The council approved the new harbour budget on Monday evening.",
    "The harbour budget sets aside money for two new ferries.",
    "Work on the ferry terminal is due to begin next spring.",
    "Residents of the island welcomed the plan at a public meeting.",
    "Opposition members said the ferries would cost too much to run.",
]


def test_second_outlet_gets_in_even_when_the_first_is_more_central() -> None:
    # three central sentences from outlet A, one less central sentence from outlet B
    groups = [
        group(0, sent("a", "A", 0, S[0])),
        group(1, sent("a", "A", 1, S[1])),
        group(2, sent("a", "A", 2, S[2])),
        group(3, sent("b", "B", 5, S[3])),
    ]
    vecs = np.stack([unit(1, 0.1, 0), unit(1, 0.15, 0), unit(1, 0.2, 0), unit(0.6, 0, 0.8)])
    # room for two lines: A's lead and B's line (A's second line would fit as well)
    budget = sum(words(evidence_line(10, groups[i])) + 1 for i in (0, 3))
    assert words(evidence_line(10, groups[1])) <= words(evidence_line(10, groups[3]))
    ev = select_evidence(groups, vecs, count_tokens=words, budget_tokens=budget, n_articles=2)
    assert len(ev) == 2
    assert {e.group.representative.article_id for e in ev} == {"a", "b"}
    assert [e.n for e in ev] == [1, 2]


def test_mmr_prefers_a_novel_sentence_over_a_near_copy() -> None:
    groups = [
        group(0, sent("a", "A", 0, S[0])),
        group(1, sent("a", "A", 1, S[1])),  # almost the same vector as group 0
        group(2, sent("a", "A", 2, S[2])),
    ]
    vecs = np.stack([unit(1, 0, 0), unit(1, 0.01, 0), unit(0.7, 0.7, 0)])
    ev = select_evidence(
        groups, vecs, count_tokens=words, budget_tokens=10_000, n_articles=1, max_items=2
    )
    assert {e.group.id for e in ev} == {0, 2}


def test_budget_is_respected_and_counts_rendered_lines() -> None:
    groups = [group(i, sent("a", "A", i, S[i])) for i in range(5)]
    vecs = np.stack([unit(1, 0.1 * i, 0) for i in range(5)])
    seen: list[str] = []

    def counting(text: str) -> int:
        seen.append(text)
        return words(text)

    budget = 30
    ev = select_evidence(groups, vecs, count_tokens=counting, budget_tokens=budget, n_articles=1)
    assert 0 < len(ev) < 5
    assert sum(words(evidence_line(10, e.group)) + 1 for e in ev) <= budget
    assert all(t.startswith("(A) ") and t.endswith(" [10]") for t in seen)  # as in the prompt


def test_nothing_fits_a_tiny_budget() -> None:
    groups = [group(0, sent("a", "A", 0, S[0]))]
    ev = select_evidence(
        groups, unit(1, 0)[None, :], count_tokens=words, budget_tokens=3, n_articles=1
    )
    assert ev == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Read more.", "too short"),
        ("Will the council approve the harbour budget this year?", "question"),
        ('"We are delighted," the mayor said.', "short quote"),
        ("FERRY BUDGET APPROVED BY THE ISLAND COUNCIL TODAY.", "no lower-case letters"),
        ("Follow our coverage at https://example.org/harbour for updates.", "link or sign-up line"),
        ("Harbour budget approved by island council", "fragment"),
        ("Full league table and fixtures on page 62.", "pointer to another page"),
        ("Sent off: Moen (Kingsbridge) 80, second yellow card.", "a labelled list line"),
        (
            "Goals: Vela 19 (Kingsbridge); Reyes 40, Reyes 71 pen, Okafor 88.",
            "a labelled list line",
        ),
        ("The council's budget vote, continued on page 4, was close.", "pointer to another page"),
    ],
)
def test_junk_is_recognised(text: str, reason: str) -> None:
    assert junk_reason(text) == reason


def test_ordinary_sentences_are_not_junk() -> None:
    for text in S:
        assert junk_reason(text) is None
    # a label before prose is no list line
    assert junk_reason("Correction: An earlier version said three workers were killed.") is None
    assert junk_reason("Update: The death toll rose to 15 on Tuesday, officials said.") is None
    assert junk_reason("Referee: Andrew Kilby showed six yellow cards in the second half.") is None
    # a page of a document is not a pointer to another page of the paper
    assert junk_reason("The apology was printed on page 2 of Thursday's edition.") is None
    assert junk_reason("On page 47 of the report, investigators say the valve failed.") is None
    assert (
        junk_reason('"We are delighted with the vote and the new ferries," the mayor said.') is None
    )


def test_junk_is_not_selected() -> None:
    groups = [
        group(0, sent("a", "A", 0, "Why did the council wait so long to vote?")),
        group(1, sent("a", "A", 1, S[0])),
        group(2, sent("b", "B", 0, "Read more.")),
        group(3, sent("b", "B", 1, S[1])),
    ]
    vecs = np.stack([unit(1, 0), unit(1, 0.1), unit(1, 0), unit(1, 0.2)])
    ev = select_evidence(groups, vecs, count_tokens=words, budget_tokens=10_000, n_articles=2)
    assert {e.group.id for e in ev} == {1, 3}


def test_all_junk_still_gives_evidence() -> None:
    groups = [group(0, sent("a", "A", 0, "Read more.")), group(1, sent("a", "A", 1, "Share."))]
    ev = select_evidence(
        groups,
        np.stack([unit(1, 0), unit(0, 1)]),
        count_tokens=words,
        budget_tokens=100,
        n_articles=1,
    )
    assert len(ev) == 2


def test_corroboration_and_position_raise_relevance() -> None:
    one = group(0, sent("a", "A", 3, S[0]))
    three = group(1, sent("a", "A", 3, S[0]), sent("b", "B", 3, S[0]), sent("c", "C", 3, S[0]))
    early = group(2, sent("a", "A", 0, S[1]))
    late = group(3, sent("a", "A", 9, S[1]))
    v = np.stack([unit(1, 0)] * 4)
    rel = relevance_scores([one, three, early, late], v, n_articles=3)
    assert rel[1] > rel[0]
    assert rel[2] > rel[3]
    assert np.all((rel >= 0) & (rel <= 1))


def test_reading_order_is_round_robin_by_position() -> None:
    groups = [
        group(0, sent("a", "A", 7, S[0])),
        group(1, sent("b", "B", 2, S[1])),
        group(2, sent("a", "A", 1, S[2])),
        group(3, sent("b", "B", 9, S[3])),
        group(4, sent("a", "A", 3, S[4])),
    ]
    scores = [0.9, 0.5, 0.4, 0.3, 0.2]  # article a holds the best group, so it goes first
    order = reading_order(groups, scores)
    assert [groups[i].representative.key for i in order] == [
        ("a", 1),
        ("b", 2),
        ("a", 3),
        ("b", 9),
        ("a", 7),
    ]


def test_bad_input_is_refused() -> None:
    groups = [group(0, sent("a", "A", 0, S[0]))]
    with pytest.raises(InputError, match="one row per group"):
        select_evidence(
            groups, np.zeros((2, 4)), count_tokens=words, budget_tokens=10, n_articles=1
        )
    with pytest.raises(InputError, match="lambda_"):
        select_evidence(
            groups, np.ones((1, 4)), count_tokens=words, budget_tokens=10, n_articles=1, lambda_=1.5
        )
    with pytest.raises(InputError, match="budget_tokens"):
        select_evidence(groups, np.ones((1, 4)), count_tokens=words, budget_tokens=0, n_articles=1)
    assert (
        select_evidence([], np.zeros((0, 4)), count_tokens=words, budget_tokens=10, n_articles=1)
        == []
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He said the ferries would run from next spring.", True),
        ("That same year, its ferry business posted a profit.", True),
        ("It was unclear who called the police.", True),
        ("“They will pay for it,” the mayor said.", True),
        ("The council approved the budget.", False),
        ("Helen Murphy opened the library.", False),
        ("Thatcher's government sold the ferries.", False),
        ("It's a long way to the island.", False),  # a contraction: not counted
        ("Its acquisition of Nokia is the latest step.", True),
    ],
)
def test_back_reference(text: str, expected: bool) -> None:
    assert back_reference(text) is expected


def _one_slot(texts: list[str], weights: list[float] | None = None) -> str:
    """The sentence chosen when the budget holds one line and the vectors tie."""
    groups = [group(i, sent("a", "A", 0, t)) for i, t in enumerate(texts)]
    vecs = np.stack([unit(1, 0, 0)] * len(texts))
    budget = max(words(evidence_line(10, g)) + 1 for g in groups)
    ev = select_evidence(
        groups, vecs, count_tokens=words, budget_tokens=budget, n_articles=1, weights=weights
    )
    assert len(ev) == 1
    return ev[0].group.representative.text


def test_a_sentence_that_points_back_gives_way_to_one_that_stands_alone() -> None:
    alone = "The council approved the new harbour budget on Monday."
    leaning = "He said the council approved the harbour budget on Monday."
    assert _one_slot([leaning, alone]) == alone
    assert _one_slot([alone, leaning]) == alone
    # the caller's weights lower a group the same way
    assert _one_slot([S[0], S[2]]) == S[0]
    assert _one_slot([S[0], S[2]], weights=[0.6, 1.0]) == S[2]
    with pytest.raises(InputError):
        _one_slot([S[0], S[2]], weights=[0.6])
    with pytest.raises(InputError):
        _one_slot([S[0], S[2]], weights=[1.5, 1.0])


def test_a_line_that_says_a_toll_has_risen_takes_a_place() -> None:
    """ "The death toll ... rose to 15" is close to the first report's "At least 12 people
    were killed" in meaning, so MMR counted it as a repeat; it is the latest figure."""
    first = "At least 12 people were killed when a passenger ferry capsized off the island."
    update = "The death toll from the capsizing of the ferry rose to 15 on Wednesday evening."
    other = "The coast guard has opened an inquiry into why the ferry left port in a gale."
    groups = [
        group(0, sent("a", "A", 0, first)),
        group(1, sent("a", "A", 1, update)),
        group(2, sent("a", "A", 2, other)),
    ]
    vecs = np.stack([unit(1, 0, 0), unit(1, 0.05, 0), unit(0.7, 0.7, 0)])
    pick = dict(count_tokens=words, budget_tokens=10_000, n_articles=1, max_items=2)
    ev = select_evidence(groups, vecs, **pick)  # type: ignore[arg-type]
    assert {e.group.id for e in ev} == {0, 1}
    # without the update's words, the near copy gives way to a line that says more
    groups[1] = group(1, sent("a", "A", 1, "At least 12 people died when a ferry capsized."))
    ev = select_evidence(groups, vecs, **pick)  # type: ignore[arg-type]
    assert {e.group.id for e in ev} == {0, 2}
