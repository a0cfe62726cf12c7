"""The prompt, the parser and the fallback, with a fake generator (the real one: marker)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from summarizer.backends.base import GenerationConfig, GenerationResult, Generator, Prompt
from summarizer.errors import GenerationError, InputError
from summarizer.generate import (
    DEFAULT_STOP,
    SYSTEM_PROMPT,
    build_messages,
    dedupe_drafts,
    estimate_brief_seconds,
    evidence_line,
    extractive_drafts,
    generate_brief_drafts,
    headline_from_sentence,
    make_headline,
    parse_output,
    strip_dateline,
    strip_outlet_attribution,
)
from summarizer.types import Draft, Evidence, Sentence, SentenceGroup

TEXTS = [
    ("a", "Harbour Post", "PORT ELLIS, May 3 (Harbour Post) -- The island council approved "
     "a budget of 12 million for the harbour on Monday."),
    ("b", "Coast Radio", "The budget pays for two new ferries and a passenger terminal."),
    ("a", "Harbour Post", "Work on the terminal is due to begin next spring, the council said."),
    ("b", "Coast Radio", "Opposition members said the ferries would cost too much to run."),
]  # fmt: skip


def make_evidence(scores: Sequence[float] = (0.9, 0.7, 0.5, 0.3)) -> list[Evidence]:
    out = []
    for n, ((article, outlet, text), score) in enumerate(zip(TEXTS, scores, strict=True), 1):
        s = Sentence(article, outlet, n, 0, len(text), text)
        members: tuple[Sentence, ...] = (s,)
        if n == 1:
            members = (s, Sentence("b", "Coast Radio", 0, 0, len(text), text))
        out.append(Evidence(n=n, group=SentenceGroup(n, s, members), score=score))
    return out


class FakeGenerator(Generator):
    """Returns canned text (or raises) and records what it was asked."""

    name = "fake"
    backend = "fake"
    sha256 = ""
    context_length = 4096

    def __init__(
        self, text: str = "", *, error: Exception | None = None, finish: str = "stop"
    ) -> None:
        self.text = text
        self.error = error
        self.finish = finish
        self.calls: list[tuple[Prompt, GenerationConfig | None]] = []

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        self.calls.append((prompt, config))
        if self.error is not None:
            raise self.error
        return GenerationResult(self.text, 100, 40, finish_reason=self.finish)  # type: ignore[arg-type]

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- prompt


def test_messages_number_and_label_the_evidence() -> None:
    ev = make_evidence()
    msgs = build_messages(ev, n_sentences=5, headline_hint="Council backs harbour plan")
    assert [m["role"] for m in msgs] == ["system", "user"]
    user = msgs[1]["content"]
    assert (
        "(Harbour Post, Coast Radio) The island council approved a budget of 12 million for "
        "the harbour on Monday. [1]\n(Coast Radio) The budget pays for" in user
    )
    assert "PORT ELLIS" not in user  # the dateline is not shown
    assert "5-sentence" in user and "5. <sentence>" in user and "6. <sentence>" not in user
    assert "Headline:" in user
    assert "Council backs harbour plan" in user
    assert user.index("[1]") < user.index("[4]")


def test_evidence_of_a_story_reported_over_days_is_dated() -> None:
    """A story whose articles came out on different days gets the day each line was first
    reported, and the request to write the later state (a review's transfer set served a
    rumoured fee next to the signing)."""
    from datetime import date

    from summarizer.generate import LATEST_REQUEST

    ev = make_evidence()
    days = {"a": date(2026, 1, 19), "b": date(2026, 1, 24)}
    user = build_messages(ev, n_sentences=3, days=days)[1]["content"]
    # a line both outlets carry was first reported on the earlier day
    assert "(Harbour Post, Coast Radio; Jan 19) The island council approved" in user
    assert "(Coast Radio; Jan 24) The budget pays for" in user
    assert LATEST_REQUEST in user
    plain = build_messages(ev, n_sentences=3)[1]["content"]
    assert "Jan 19" not in plain and LATEST_REQUEST not in plain
    assert evidence_line(2, ev[1].group, days) == (
        "(Coast Radio; Jan 24) The budget pays for two new ferries and a passenger terminal. [2]"
    )


def test_story_days_only_for_a_story_of_several_days() -> None:
    from datetime import date

    import numpy as np

    from summarizer.pipeline import PreparedArticle, story_days
    from summarizer.sentences import prepare_article
    from summarizer.types import Article

    def part(aid: str, day: date | None) -> PreparedArticle:
        art = Article(aid, "Outlet", "The council met on Monday.", published=day)
        clean, sentences = prepare_article(art)
        return PreparedArticle(art, clean, tuple(sentences), np.zeros((len(sentences), 4)))

    one_day = [part("a", date(2023, 10, 19)), part("b", date(2023, 10, 19)), part("c", None)]
    assert story_days(one_day) is None
    # a day apart (the seeds: one visit, dated in two time zones) is one day's news
    assert story_days([*one_day, part("d", date(2023, 10, 20))]) is None
    days = story_days([*one_day, part("d", date(2023, 10, 21))])
    assert days == {"a": date(2023, 10, 19), "b": date(2023, 10, 19), "d": date(2023, 10, 21)}


def test_prompt_is_compact() -> None:
    ev = make_evidence()
    msgs = build_messages(ev, n_sentences=5)
    overhead = sum(len(m["content"].split()) for m in msgs) - sum(
        len(evidence_line(e.n, e.group).split()) for e in ev
    )
    assert overhead < 90  # instructions cost a few dozen words, not hundreds


def test_prompt_refuses_bad_input() -> None:
    with pytest.raises(InputError):
        build_messages([], n_sentences=3)
    with pytest.raises(InputError):
        build_messages(make_evidence(), n_sentences=0)


def test_strip_dateline() -> None:
    assert strip_dateline("SEOUL, Oct. 20 (Yonhap) -- Kim met Lavrov.") == "Kim met Lavrov."
    assert strip_dateline("MOSCOW — The talks began.") == "The talks began."
    assert strip_dateline("The talks began in Moscow.") == "The talks began in Moscow."


# ---------------------------------------------------------------- parsing


def test_parse_plain_answer() -> None:
    headline, drafts = parse_output(
        "Headline: Council approves harbour budget\n"
        "The council approved a budget of 12 million. [1][2]\n"
        "It pays for two new ferries. [2, 3]\n"
    )
    assert headline == "Council approves harbour budget"
    assert drafts == [
        Draft("The council approved a budget of 12 million.", (1, 2)),
        Draft("It pays for two new ferries.", (2, 3)),
    ]


def test_parse_tolerates_markdown_numbering_and_bullets() -> None:
    headline, drafts = parse_output(
        '**Headline:** "Council approves harbour budget"\n\n'
        "Here is the brief:\n"
        "1. The council approved the budget on Monday [1].\n"
        "- Work on the terminal begins next spring. [3]\n"
        "* Opposition members criticised the cost (4).\n"
    )
    assert headline == "Council approves harbour budget"
    assert [d.text for d in drafts] == [
        "The council approved the budget on Monday.",
        "Work on the terminal begins next spring.",
        "Opposition members criticised the cost.",
    ]
    assert [d.hints for d in drafts] == [(1,), (3,), (4,)]


def test_parse_splits_several_sentences_on_one_line() -> None:
    _, drafts = parse_output(
        "The council approved the budget. [1] It pays for two ferries [2]. Work starts in "
        "spring, said Mr. Holm. [3]"
    )
    assert [d.text for d in drafts] == [
        "The council approved the budget.",
        "It pays for two ferries.",
        "Work starts in spring, said Mr. Holm.",
    ]
    assert [d.hints for d in drafts] == [(1,), (2,), (3,)]


def test_parse_joins_a_sentence_cited_in_the_middle_and_ranges() -> None:
    _, drafts = parse_output(
        "The council approved the budget [1] and work starts in spring [3].\n"
        "Critics said the ferries cost too much. [2-4]"
    )
    assert drafts[0] == Draft("The council approved the budget and work starts in spring.", (1, 3))
    assert drafts[1].hints == (2, 3, 4)


def test_parse_sentence_without_brackets_is_kept_without_hints() -> None:
    _, drafts = parse_output("The council approved the budget on Monday.\nIt pays for ferries. [2]")
    assert drafts == [
        Draft("The council approved the budget on Monday.", ()),
        Draft("It pays for ferries.", (2,)),
    ]


def test_parse_drops_a_sentence_cut_by_the_token_cap() -> None:
    _, drafts = parse_output(
        "The council approved the budget. [1]\nWork on the terminal is due to begin next"
    )
    assert [d.text for d in drafts] == ["The council approved the budget."]
    _, drafts = parse_output("The council approved the budget. [1]\nThe ferries cost [2")
    assert [d.text for d in drafts] == ["The council approved the budget."]


def test_parse_drops_repeated_sentences() -> None:
    _, drafts = parse_output(
        "The council approved the budget on Monday. [1]\n"
        "The council approved the budget on Monday. [2]\n"
        "The council approved the budget on Monday. [1]\n"
    )
    assert drafts == [Draft("The council approved the budget on Monday.", (1, 2))]


def test_parse_bare_number_line_and_echoed_evidence_line() -> None:
    _, drafts = parse_output(
        "The council approved the budget on Monday.\n[1][2]\n"
        "[3] (Harbour Post) Work on the terminal is due to begin next spring."
    )
    assert drafts == [
        Draft("The council approved the budget on Monday.", (1, 2)),
        Draft("Work on the terminal is due to begin next spring.", (3,)),
    ]


def test_parse_lines_in_the_prompt_layout_and_sentence_labels() -> None:
    _, drafts = parse_output(
        "[1] Harbour Post - The council approved the budget on Monday. [2][4] (Coast Radio) "
        "Two new ferries will be built. Work starts in spring.\n"
        "Sentence 4: Critics said the ferries cost too much. [4]\n"
        "5. (Harbour Post, Coast Radio) The terminal opens in 2026. [3]"
    )
    assert drafts == [
        Draft("The council approved the budget on Monday.", (1,)),
        Draft("Two new ferries will be built.", (2, 4)),
        Draft("Work starts in spring.", ()),
        Draft("Critics said the ferries cost too much.", (4,)),
        Draft("The terminal opens in 2026.", (3,)),
    ]


def test_parse_ignores_copied_placeholders() -> None:
    headline, drafts = parse_output(
        "Headline: <headline>\n1. [N] The council approved the budget. [..]\n2. <sentence> [n]"
    )
    assert headline is None
    assert drafts == [Draft("The council approved the budget.", ())]


def test_parse_without_headline_and_empty() -> None:
    assert parse_output("") == (None, [])
    headline, drafts = parse_output("The council approved the budget. [1]")
    assert headline is None and len(drafts) == 1


def test_parse_reads_other_citation_forms() -> None:
    """Full-width brackets, lettered numbers, "(evidence n)", "(1)(3)" and "(2), (3)"."""
    _, drafts = parse_output(
        "1. The council approved the budget on Monday.【1】\n"
        "2. It pays for two new ferries. [E2]\n"
        "3. Work on the terminal begins next spring. (evidence 3)\n"
        "4. Critics said the ferries cost too much (2)(4).\n"
        "5. The terminal would open in two years (1), (3).\n"
    )
    assert [d.text for d in drafts] == [
        "The council approved the budget on Monday.",
        "It pays for two new ferries.",
        "Work on the terminal begins next spring.",
        "Critics said the ferries cost too much.",
        "The terminal would open in two years.",
    ]
    assert [d.hints for d in drafts] == [(1,), (2,), (3,), (2, 4), (1, 3)]


def test_a_parenthesised_number_past_the_evidence_is_text() -> None:
    """With the evidence count known, "(52)" names no evidence line: it stays in the
    sentence. "(3)" within the count is still a citation, and so is the same text when
    the count is not given (the parser alone cannot tell)."""
    answer = (
        "The driver, a retired teacher, was named as Ann Lee (52). [1]\n"
        "She died at the scene (3).\n"
    )
    _, drafts = parse_output(answer, n_evidence=4)
    assert drafts == [
        Draft("The driver, a retired teacher, was named as Ann Lee (52).", (1,)),
        Draft("She died at the scene.", (3,)),
    ]
    _, drafts = parse_output(answer)
    assert drafts[0] == Draft("The driver, a retired teacher, was named as Ann Lee.", (52, 1))


@pytest.mark.parametrize("marker", ["1 -", "1:", "#1.", "1)", "> 1.", "(1)"])
def test_parse_strips_list_markers_of_every_kind(marker: str) -> None:
    _, drafts = parse_output(f"{marker} The council approved the budget on Monday. [1]")
    assert drafts == [Draft("The council approved the budget on Monday.", (1,))]


@pytest.mark.parametrize(
    "sentence",
    [
        "10 - 15 people were hurt in the crash on Monday.",
        "2 : 1 was the vote on the harbour budget.",
        "#1 seed Novak Djokovic won the final on Sunday.",
    ],
)
def test_parse_keeps_a_number_that_opens_a_sentence(sentence: str) -> None:
    _, drafts = parse_output(f"{sentence} [1]")
    assert drafts == [Draft(sentence, (1,))]


def test_parse_does_not_join_a_heading_or_chatter_to_the_next_line() -> None:
    _, drafts = parse_output(
        "1. Background\n"
        "The council met on Monday and approved the budget. [1]\n"
        "2. Key facts:\n"
        "Two new ferries will be built. [2]"
    )
    assert [d.text for d in drafts] == [
        "The council met on Monday and approved the budget.",
        "Two new ferries will be built.",
    ]


def test_parse_joins_a_numbered_sentence_that_runs_onto_the_next_line() -> None:
    headline, drafts = parse_output(
        "Headline: Council approves budget\n"
        "1. The island council approved a budget of 12 million\n"
        "for the harbour on Monday. [1]\n"
        "2. It pays for two new ferries. [2]"
    )
    assert headline == "Council approves budget"
    assert drafts == [
        Draft(
            "The island council approved a budget of 12 million for the harbour on Monday.", (1,)
        ),
        Draft("It pays for two new ferries.", (2,)),
    ]


def test_parse_leaves_out_an_echoed_evidence_list_and_reasoning() -> None:
    headline, drafts = parse_output(
        "<think>\nI should copy names exactly.\n</think>\n"
        "Evidence, one numbered fact per line:\n"
        "(Harbour Post, Coast Radio) The island council approved a budget. [1]\n"
        "(Coast Radio) The budget pays for two new ferries. [2]\n\n"
        "Headline: Council approves budget\n"
        "1. The council approved a budget for two new ferries. [1, 2]"
    )
    assert headline == "Council approves budget"
    assert drafts == [Draft("The council approved a budget for two new ferries.", (1, 2))]


def test_parse_keeps_news_that_opens_like_chatter_and_ends_one_full_stop() -> None:
    _, drafts = parse_output(
        "1. The following day, police arrested two men. [3]\n"
        "2. Note: this brief uses the evidence only.\n"
        "3. The talks ended. — [2]\n"
        "4. Work starts in spring. - [1]"
    )
    assert [d.text for d in drafts] == [
        "The following day, police arrested two men.",
        "The talks ended.",
        "Work starts in spring.",
    ]


def test_dedupe_keeps_the_first_and_merges_hints() -> None:
    out = dedupe_drafts(
        [Draft("The council approved the budget on Monday.", (1,)),
         Draft("Critics said the ferries cost too much.", (4,)),
         Draft("Reports said the council approved the budget on Monday.", (2,))]
    )  # fmt: skip
    assert out == [
        Draft("The council approved the budget on Monday.", (1, 2)),
        Draft("Critics said the ferries cost too much.", (4,)),
    ]


def test_strip_outlet_attribution() -> None:
    outlets = ["Coast Radio", "AP"]
    assert strip_outlet_attribution("AP reported that the ferries were late.", outlets) == (
        "The ferries were late."
    )
    assert strip_outlet_attribution("According to Coast Radio, two ferries sank.", outlets) == (
        "Two ferries sank."
    )
    keep = "APEC leaders said the ferries were late."
    assert strip_outlet_attribution(keep, outlets) == keep
    assert strip_outlet_attribution("The mayor said so.", []) == "The mayor said so."
    # an outlet the evidence names as the source of a claim is part of the story: its
    # name stays, or the claim would be served as fact
    claim = "The Daily Sentinel reported that Health Minister Clara Vos offered to resign."
    evidence = ["The Daily Sentinel reported on Tuesday that Vos had offered to step down."]
    assert strip_outlet_attribution(claim, ["The Daily Sentinel"], evidence) == claim
    # a name inside another word is no mention ("AP" in "apartment")
    assert strip_outlet_attribution(
        "AP reported that the ferries were late.", outlets, ["The apartment was empty."]
    ) == ("The ferries were late.")
    # nor is a label dropped when the rest of its clause would open the sentence
    clause = "AP reported on Tuesday, citing two officials, that the ferries were late."
    assert strip_outlet_attribution(clause, outlets) == clause
    # ... which "that" ends, and "according to X," is a whole clause (a review's cases)
    for text in (
        "AP reported that at least 12 people died in the floods.",
        "According to AP, at least 12 people died in the floods.",
    ):
        assert strip_outlet_attribution(text, outlets) == "At least 12 people died in the floods."
    # a dateline's label, or the name inside another phrase, is no mention as a source
    assert (
        strip_outlet_attribution(
            "Yonhap reported that Kim vowed to deepen the ties.",
            ["Yonhap"],
            ["SEOUL, Oct. 20 (Yonhap) -- Kim vowed to deepen the ties."],
        )
        == "Kim vowed to deepen the ties."
    )
    assert (
        strip_outlet_attribution(
            "Time reported that the magazine was sold.", ["Time"], ["It was the first time."]
        )
        == "The magazine was sold."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(AP) Two ferries sank near the harbour.", "Two ferries sank near the harbour."),
        ("AP: Two ferries sank near the harbour.", "Two ferries sank near the harbour."),
        (  # a label no sentence opens with, echoed bare (the seeds' Yonhap article)
            "Harbour Daily (via a wire service) Two ferries sank near the harbour.",
            "Two ferries sank near the harbour.",
        ),
        # an outlet that opens a sentence as its subject stays
        ("AP Chief Executive Ann Lee said two ferries sank.", None),
        ("Coast Radio Two ferries sank near the harbour.", None),
        ("(AP) Ferries sank.", None),  # too short without the label
    ],
)
def test_strip_outlet_label(text: str, expected: str | None) -> None:
    outlets = ["Coast Radio", "AP", "Harbour Daily (via a wire service)"]
    assert strip_outlet_attribution(text, outlets) == (expected or text)


# ---------------------------------------------------------------- fallback and headline


def test_extractive_drafts_take_top_scores_in_reading_order() -> None:
    ev = make_evidence(scores=(0.2, 0.9, 0.1, 0.8))
    drafts = extractive_drafts(ev, 2)
    assert [d.hints for d in drafts] == [(2,), (4,)]
    assert drafts[0].text == TEXTS[1][2]  # verbatim


def test_make_headline_trims_the_top_evidence() -> None:
    headline = make_headline(make_evidence())
    assert headline.startswith("The island council approved a budget")
    assert len(headline.split()) <= 15
    assert not headline.endswith(".")
    assert make_headline([]) == ""


def test_make_headline_passes_over_a_line_that_opens_a_quotation() -> None:
    from summarizer.types import Evidence, Sentence, SentenceGroup

    def ev(n: int, text: str, score: float) -> Evidence:
        s = Sentence(f"a{n}", "Outlet", 0, 0, len(text), text)
        return Evidence(n=n, group=SentenceGroup(n, s, (s,)), score=score)

    quote = '"If Mitt Romney is the nominee, then this really is going to be the plan," he said.'
    plain = "White House senior adviser David Plouffe did not mince words on Sunday."
    assert make_headline([ev(1, quote, 0.9), ev(2, plain, 0.5)]).startswith("White House")
    assert make_headline([ev(1, quote, 0.9)]).startswith('"If Mitt Romney')  # nothing else


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The council  approved the\nbudget.", "The council approved the budget"),
        (
            "The island council approved a harbour budget of 12 million on Monday, "
            "officials said after a long debate.",
            "The island council approved a harbour budget of 12 million on Monday, officials said",
        ),
        (
            "North Korean Foreign Minister Choe Son-hui arrived in Russia on Monday for an "
            "official visit, state media reported.",
            "North Korean Foreign Minister Choe Son-hui arrived in Russia on Monday for an "
            "official…",
        ),
        # an article's label is no part of a headline, nor the comma before "but"
        (
            "Summary: Microsoft's acquisition of Nokia is aimed at building a devices and "
            "services strategy, but the joint company won't take the same form as Apple.",
            "Microsoft's acquisition of Nokia is aimed at building a devices and services strategy",
        ),
        # a speaker before a colon stays: the claim is the speaker's
        (
            "Trump: Biden is to blame for soaring inflation.",
            "Trump: Biden is to blame for soaring inflation",
        ),
    ],
)
def test_headline_from_sentence_cuts_at_a_clause_or_a_word(sentence: str, expected: str) -> None:
    assert headline_from_sentence(sentence) == expected


def test_headline_from_sentence_is_bounded_in_characters() -> None:
    long_words = " ".join(["Extraordinarily"] * 12) + "."
    headline = headline_from_sentence(long_words)
    assert len(headline) <= 160 and headline.endswith("Extraordinarily…")
    link = "https://example.com/" + "a" * 400
    assert headline_from_sentence(link) == link[:159] + "…"
    assert headline_from_sentence("?!") == ""


# ---------------------------------------------------------------- the call


def test_generate_uses_the_model_answer() -> None:
    gen = FakeGenerator(
        "Headline: Council approves ferries\n"
        "The council approved a budget of 12 million. [1][9]\n"
        "The budget pays for two new ferries. [2]\n"
        "Coast Radio reported that critics said the ferries cost too much. [4]\n"
    )
    config = GenerationConfig(max_new_tokens=200, repeat_penalty=1.1, timeout_s=30)
    out = generate_brief_drafts(gen, make_evidence(), n_sentences=2, config=config)
    assert not out.fallback and out.fallback_reason is None
    assert out.headline == "Council approves ferries"
    # [9] does not exist; up to twice the sentences asked for go to the cite step
    assert [d.hints for d in out.drafts] == [(1,), (2,), (4,)]
    out = generate_brief_drafts(gen, make_evidence(), n_sentences=5, config=config)
    assert out.drafts[-1].text == "Critics said the ferries cost too much."
    prompt, used = gen.calls[0]
    assert used is not None and used.repeat_penalty == 1.1 and used.temperature == 0.0
    assert set(DEFAULT_STOP) <= set(used.stop) and used.timeout_s == 30


def test_generate_falls_back_when_the_model_fails() -> None:
    gen = FakeGenerator(error=GenerationError("backend crashed"))
    out = generate_brief_drafts(gen, make_evidence(), n_sentences=3, config=GenerationConfig())
    assert out.fallback and out.result is None
    assert out.fallback_reason is not None and "backend crashed" in out.fallback_reason
    assert [d.hints for d in out.drafts] == [(1,), (2,), (3,)]
    assert out.headline is None  # the pipeline picks one (an outlet's title first)


@pytest.mark.parametrize(
    ("text", "finish", "reason"),
    [
        ("", "stop", "no usable sentence"),
        ("Sure! Here is the brief:\n", "stop", "no usable sentence"),
        ("The council approved the", "timeout", "timed out"),
    ],
)
def test_generate_falls_back_without_a_usable_sentence(text: str, finish: str, reason: str) -> None:
    gen = FakeGenerator(text, finish=finish)
    out = generate_brief_drafts(gen, make_evidence(), n_sentences=3, config=GenerationConfig())
    assert out.fallback and out.result is not None
    assert out.fallback_reason is not None and reason in out.fallback_reason
    assert len(out.drafts) == 3


def test_generate_keeps_what_arrived_before_a_timeout() -> None:
    gen = FakeGenerator("The council approved the budget. [1]\nThe ferries", finish="timeout")
    out = generate_brief_drafts(gen, make_evidence(), n_sentences=3, config=GenerationConfig())
    assert not out.fallback
    assert out.drafts == [Draft("The council approved the budget.", (1,))]
    assert out.headline is None  # the model wrote none: the pipeline picks one


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that\n1. The council approved a budget. [1]",
        "标题：议会批准预算\n1. The council approved a budget. [1]",
        "Headline: Council approves 40 million for new bridge\n"
        "1. The council approved a budget. [1]",
        "<think>\nThe user wants a brief.\n</think>\n1. The council approved a budget. [1]",
    ],
)
def test_a_model_headline_the_evidence_does_not_bear_out_is_not_kept(text: str) -> None:
    """A refusal, another script, a number or name of its own, a reasoning block: the
    headline is left to the pipeline (an outlet's title) and the sentence is kept."""
    out = generate_brief_drafts(
        FakeGenerator(text), make_evidence(), n_sentences=3, config=GenerationConfig()
    )
    assert not out.fallback and out.headline is None
    assert [d.text for d in out.drafts] == ["The council approved a budget."]


def test_a_model_headline_is_kept_when_borne_out_and_cut_to_size() -> None:
    text = "1. Headline: Island Council Approves Harbour Budget\n2. The council approved it. [1]"
    out = generate_brief_drafts(
        FakeGenerator(text), make_evidence(), n_sentences=3, config=GenerationConfig()
    )
    assert out.headline == "Island Council Approves Harbour Budget"  # title case, numbered
    long = "Headline: " + " ".join(["council budget harbour ferries"] * 30)
    out = generate_brief_drafts(
        FakeGenerator(long + "\n1. The council approved it. [1]"),
        make_evidence(),
        n_sentences=3,
        config=GenerationConfig(),
    )
    assert out.headline is not None and len(out.headline) <= 160


@pytest.mark.parametrize(
    ("headline", "kept"),
    [
        ("Island Council Backs Harbour Budget", True),  # title case: verbs of its own
        ("Island council backs harbour budget", True),  # a verb of its own, in lower case
        ("Island council backs Varna harbour budget", False),  # sentence case: a name
        ("Island council approves harbour budget", True),
        ("Mayor Resigns Amid Ferry Scandal", False),  # title case, mostly its own words
        ("Council Approves 40 Million Budget", False),  # a number of its own
        ("Varna council approves harbour budget", False),  # a subject of its own
        ("Harbour Post Approves Harbour Budget", False),  # an outlet as the actor
    ],
)
def test_a_title_case_headline_is_judged_by_its_words_not_its_capitals(
    headline: str, kept: bool
) -> None:
    text = f"Headline: {headline}\n1. The council approved a budget. [1]"
    out = generate_brief_drafts(
        FakeGenerator(text), make_evidence(), n_sentences=3, config=GenerationConfig()
    )
    assert (out.headline == headline) is kept


def test_no_evidence_is_a_fallback_with_its_reason_not_an_error() -> None:
    gen = FakeGenerator("1. Anything. [1]")
    out = generate_brief_drafts(gen, [], n_sentences=3, config=GenerationConfig())
    assert out.fallback and out.drafts == [] and not gen.calls
    assert out.fallback_reason is not None and "budget" in out.fallback_reason


# ---------------------------------------------------------------- the real model


@pytest.mark.model
def test_small_model_output_parses(small_generator: Generator) -> None:
    """The real model's answer to the real prompt parses into a brief (hints are optional:
    neither model writes evidence numbers reliably, and citing does not depend on them)."""
    config = GenerationConfig(max_new_tokens=220, repeat_penalty=1.1, timeout_s=600)
    out = generate_brief_drafts(small_generator, make_evidence(), n_sentences=3, config=config)
    assert out.result is not None
    assert not out.fallback, out.result.text
    assert 2 <= len(out.drafts) <= 6, out.result.text  # up to twice the length asked for
    # The model's headline is served only when the evidence bears it out: the 0.5B model
    # tends to make the outlets the actors ("Harbour Post and Coast Radio Approves
    # Budget"), and such a headline gives way to the pipeline's (None here).
    if out.headline is not None:
        assert "<" not in out.headline and len(out.headline) <= 160
        assert "Harbour Post" not in out.headline and "Coast Radio" not in out.headline
    assert all(1 <= h <= 4 for d in out.drafts for h in d.hints)
    assert all(len(d.text.split()) >= 3 and "<" not in d.text for d in out.drafts)


def test_prompts_of_different_stories_share_their_opening() -> None:
    """The story-independent instructions come first, so llama.cpp can reuse their KV cache."""
    ev = make_evidence()
    a = build_messages(ev, n_sentences=5)
    b = build_messages(ev[1:], n_sentences=3, headline_hint="Another story")
    assert a[0] == b[0]
    assert "evidence" in a[0]["content"] and "numbers" in a[0]["content"]
    head = "Evidence, one numbered fact per line:\n"
    assert a[1]["content"].startswith(head) and b[1]["content"].startswith(head)
    assert a[1]["content"] != b[1]["content"]


class _TimedGenerator(FakeGenerator):
    """Reports fixed phase times: 100 prompt tokens in 2 s, 16 new tokens in 1.5 s after the
    first; ``cached`` of the prompt tokens came from the prompt cache."""

    def __init__(self, prefill_s: float = 2.0, completion_tokens: int = 16, cached: int = 0):
        super().__init__("text")
        self.prefill_s = prefill_s
        self.completion_tokens = completion_tokens
        self.cached = cached

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        self.calls.append((prompt, config))
        extra = {"prompt_cached_tokens": float(self.cached)} if self.cached else {}
        return GenerationResult(
            "text",
            100,
            self.completion_tokens,
            prefill_s=self.prefill_s,
            decode_s=1.5,
            extra=extra,
        )


def test_estimate_brief_seconds_scales_the_measured_speeds() -> None:
    gen = _TimedGenerator()
    # prefill 100 / 2 s = 50 tokens/s, decode 15 / 1.5 s = 10 tokens/s
    assert estimate_brief_seconds(gen, prompt_tokens=500, new_tokens=200) == pytest.approx(30.0)
    (warm, warm_config), (probe, config) = gen.calls
    assert warm_config is not None and warm_config.max_new_tokens == 1
    # the probe is a brief prompt: system instructions, numbered outlet-labelled evidence
    assert not isinstance(probe, str) and probe[0]["content"] == SYSTEM_PROMPT
    assert "(Coast Radio) The city council met" in probe[-1]["content"]
    assert probe[-1]["content"] != warm[-1]["content"]  # nothing to reuse beyond the system
    assert config is not None and config.max_new_tokens == 48 and config.temperature == 0.0
    # 50 of the 100 probe tokens came from the cache: 25 tokens/s over the rest, and a
    # brief's prompt is assumed to reuse as many
    cached = _TimedGenerator(cached=50)
    assert estimate_brief_seconds(cached, prompt_tokens=500, new_tokens=200) == pytest.approx(
        450 / 25 + 20
    )
    # a backend that does not split prefill from decode, or a probe that stopped at once
    assert (
        estimate_brief_seconds(_TimedGenerator(prefill_s=0.0), prompt_tokens=1, new_tokens=1)
        is None
    )
    assert (
        estimate_brief_seconds(_TimedGenerator(completion_tokens=2), prompt_tokens=1, new_tokens=1)
        is None
    )


def test_the_models_framing_of_its_input_is_dropped() -> None:
    """ "The article states that ..." narrates the prompt, not the news."""
    for text, expected in (
        (
            "The article states that a mayor in Leeds resigned on Monday [1].",
            "A mayor in Leeds resigned on Monday.",
        ),
        (
            "According to the evidence, the council approved the budget [2].",
            "The council approved the budget.",
        ),
        (
            "The articles report that 12 people died in the floods [1][3].",
            "12 people died in the floods.",
        ),
    ):
        (draft,) = parse_output(text, 5)[1]
        assert draft.text == expected
    for kept in (
        "According to the report, the council approved the budget [2].",  # a real report
        "The evidence suggests that turnout was low [1].",  # a hedge, not framing
        "The source says that the talks failed [1].",  # an outlet's unnamed source
    ):
        (draft,) = parse_output(kept, 5)[1]
        assert draft.text == kept.replace(" [2]", "").replace(" [1]", "")


@pytest.mark.parametrize(
    ("sentence", "mended"),
    [
        ('People were screaming," said Manalo.', '"People were screaming," said Manalo.'),
        ('"We heard a loud noise.', '"We heard a loud noise."'),
        ("People were screaming,” said Manalo.", "“People were screaming,” said Manalo."),
        ("“We heard a noise.", "“We heard a noise.”"),
        ('It was, he said, "the worst day.', 'It was, he said, "the worst day."'),
        # marks that pair up, or that are not quotation marks, stay as they are
        ('He said "no" twice.', 'He said "no" twice.'),
        ('A 6" pipe burst on Monday.', 'A 6" pipe burst on Monday.'),
        ('He called it "a disgrace." Then he left.', 'He called it "a disgrace." Then he left.'),
        ("No quotation here.", "No quotation here."),
    ],
)
def test_a_sentence_cut_from_a_quotation_gets_the_marks_it_lacks(
    sentence: str, mended: str
) -> None:
    from summarizer.generate import mend_quotes

    assert mend_quotes(sentence) == mended


def test_the_models_prose_is_not_split_inside_a_time_that_goes_on() -> None:
    """From a review's story set: the model wrote "The signal arrived at 10:12 a.m. Norvik
    time on Wednesday, ..." and the brief served "The signal arrived at 10:12 a.m." and
    "Norvik time on Wednesday, ..." as two sentences."""
    from summarizer.generate import _split_sentences

    time = "The signal arrived at 10:12 a.m. Norvik time on Wednesday, station staff said."
    assert _split_sentences(time + " It was late.") == [time, "It was late."]
    assert _split_sentences("It began at 9 a.m. ET on Monday. Done.") == [
        "It began at 9 a.m. ET on Monday.",
        "Done.",
    ]
    # where the next sentence does begin, it still splits (a review's cases too)
    assert _split_sentences("The attack began at 3 a.m. Police said it ended.") == [
        "The attack began at 3 a.m.",
        "Police said it ended.",
    ]
    for text in (
        "It ended at 8 p.m. US officials said so.",
        "It began at 9 A.M. Police said so.",
        'It began at 9 a.m. "We ran," she said.',
    ):
        assert len(_split_sentences(text)) == 2, text
