"""End-to-end tests of the pipeline on the seeds, with the real models."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from summarizer.backends.base import GenerationConfig, GenerationResult, Generator, Prompt
from summarizer.cluster import StoryIndex
from summarizer.errors import EmptyTextError, InputError
from summarizer.io import InputProblem, iter_inputs, render_markdown
from summarizer.pipeline import Pipeline
from summarizer.sentences import prepare_article
from summarizer.settings import Settings
from summarizer.types import Article, Brief, Story

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BOILERPLATE = re.compile(
    r"Full Screen|Recommended Videos|Source: CNA|\(Yonhap\)|via AP|ATTN|"
    r"Frequently Asked Questions|\b1 / 11\b|By Lee Minji|07:47 \| North Korea",
    re.I,
)


def seed_articles() -> list[Article]:
    items = list(iter_inputs([str(SEEDS)]))
    assert not [i for i in items if isinstance(i, InputProblem)]
    return [i for i in items if isinstance(i, Article)]


def check_brief(brief: Brief, articles: dict[str, Article]) -> None:
    assert brief.sentences, "a brief with no sentence"
    assert brief.headline.strip()
    for sent in brief.sentences:
        assert sent.supported and sent.citations, sent.text
        assert 0.0 <= sent.support <= 1.0
        assert not BOILERPLATE.search(sent.text), sent.text
        for cit in sent.citations:
            art = articles[cit.article_id]
            assert art.text[cit.start : cit.end] == cit.quote
            cleaned = prepare_article(art)[0].text
            assert cit.quote in cleaned, "quote not in the cleaned text"
            assert cit.outlet == art.outlet
            assert not BOILERPLATE.search(cit.quote), cit.quote
    texts = [s.text.strip().lower() for s in brief.sentences]
    assert len(set(texts)) == len(texts), "two brief sentences are the same"
    bags = [set(re.findall(r"[a-z0-9]+", t)) for t in texts]
    for i, a in enumerate(bags):
        for b in bags[i + 1 :]:
            overlap = len(a & b)
            assert overlap / len(a | b) < 0.75, "two brief sentences say the same thing"
            assert overlap / min(len(a), len(b)) < 0.9, "one brief sentence repeats another"
    assert [s.n for s in brief.sources] == list(range(1, len(brief.sources) + 1))
    assert sorted(brief.article_ids) == sorted(s.article_id for s in brief.sources)
    assert brief.stats.sentences_in >= brief.stats.groups > 0
    assert brief.stats.duplicates_removed == brief.stats.sentences_in - brief.stats.groups


@pytest.fixture(scope="module")
def extractive_briefs(embedder: object) -> list[Brief]:
    pipeline = Pipeline(Settings(), embedder, None)  # type: ignore[arg-type]
    return pipeline.summarize(seed_articles())


def test_seeds_group_into_four_plus_one(extractive_briefs: list[Brief]) -> None:
    sizes = sorted(len(b.article_ids) for b in extractive_briefs)
    assert sizes == [1, 4]
    big = next(b for b in extractive_briefs if len(b.article_ids) == 4)
    assert "004_27b7be31a2054198" not in big.article_ids


def test_story_ids_are_stable_across_runs_and_input_order(embedder: object) -> None:
    pipeline = Pipeline(Settings(), embedder, None)  # type: ignore[arg-type]
    arts = seed_articles()
    a = {b.story_id: sorted(b.article_ids) for b in pipeline.summarize(arts)}
    b = {b.story_id: sorted(b.article_ids) for b in pipeline.summarize(list(reversed(arts)))}
    assert a == b


def test_extractive_briefs_meet_the_contract(extractive_briefs: list[Brief]) -> None:
    arts = {a.id: a for a in seed_articles()}
    for brief in extractive_briefs:
        assert brief.extractive_fallback
        check_brief(brief, arts)
        md = render_markdown(brief)
        assert md.startswith("## ") and "Sources:" in md and "[1]" in md


def test_empty_article_set_is_refused(embedder: object) -> None:
    from summarizer.errors import InputError

    pipeline = Pipeline(Settings(), embedder, None)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        pipeline.summarize([])


@pytest.mark.model
def test_seed_briefs_with_the_default_model(embedder: object, default_generator: object) -> None:
    # This test checks what the model writes, not how fast (`storybrief bench` does that):
    # a generous time limit keeps it meaningful on a busy machine.
    settings = Settings(generation_timeout_s=900)
    pipeline = Pipeline(settings, embedder, default_generator)  # type: ignore[arg-type]
    arts = {a.id: a for a in seed_articles()}
    briefs = pipeline.summarize(list(arts.values()))
    assert sorted(len(b.article_ids) for b in briefs) == [1, 4]
    for brief in briefs:
        check_brief(brief, arts)
        assert brief.model.backend == "llama_cpp"
        assert len(brief.model.sha256) == 64
    big = next(b for b in briefs if len(b.article_ids) == 4)
    assert not big.extractive_fallback, big.fallback_reason
    cited_outlets = {c.outlet for s in big.sentences for c in s.citations}
    assert len(cited_outlets) >= 2, "the brief leans on one outlet"
    assert big.timings["generate"] > 0


def test_extractive_headline_is_an_outlets_own_title(extractive_briefs: list[Brief]) -> None:
    """An outlet's title when the story has one; a sentence of the story only when none has."""
    arts = {a.id: a for a in seed_articles()}
    titled = 0
    for brief in extractive_briefs:
        titles = {" ".join(t.split()) for a in brief.article_ids if (t := arts[a].title)}
        if titles:
            titled += 1
            assert brief.headline in titles
        else:
            words = brief.headline.rstrip("…").split()
            assert words and " ".join(words[:4]) in " ".join(
                arts[brief.article_ids[0]].text.split()
            )
    assert titled == 1  # the four-article story has titles, the Choe story none


class _ShortWriter(Generator):
    """Writes a headline, evidence line 1 copied, and one sentence the evidence never says."""

    name = "short-writer"
    backend = "test"
    sha256 = ""
    context_length = 4096

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        user = prompt if isinstance(prompt, str) else prompt[-1]["content"]
        first = re.search(r"^\([^)]*\) (.+?) \[1\]$", user, re.M)
        assert first, user
        text = (
            "Headline: Talks in Pyongyang\n"
            f"1. {first.group(1)} [1]\n"
            "2. The mayor of Lisbon opened a 14-kilometre tram line costing 900 million euros. [2]"
        )
        return GenerationResult(text, 300, 60, finish_reason="stop")

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def close(self) -> None:
        pass


class _CountingEmbedder:
    """The real embedder, counting how often each text is embedded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.seen.update(texts)
        return self.inner.encode(texts, batch_size)


def test_a_short_brief_is_topped_up_with_cited_evidence(embedder: object) -> None:
    """One supported sentence of five asked for: four evidence sentences follow, verbatim."""
    arts = {a.id: a for a in seed_articles()}
    writer = _ShortWriter()
    pipeline = Pipeline(Settings(), embedder, writer)  # type: ignore[arg-type]
    big = next(b for b in pipeline.summarize(list(arts.values())) if len(b.article_ids) == 4)
    check_brief(big, arts)
    assert not big.extractive_fallback
    assert [s.origin for s in big.sentences] == [
        "model",
        "extract",
        "extract",
        "extract",
        "extract",
    ]
    assert not any("Lisbon" in s.text for s in big.sentences), "an unsupported sentence served"
    for sent in big.sentences[1:]:
        # an extract is an evidence sentence as written (less any wire dateline)
        assert any(sent.text in " ".join(c.quote.split()) for c in sent.citations), sent.text

    # the top-up reuses the vectors the citer computed: no brief sentence is embedded twice
    counting = _CountingEmbedder(embedder)
    counted = Pipeline(Settings(), counting, writer)  # type: ignore[arg-type]
    prepared = counted.prepare(list(arts.values()))
    index = StoryIndex()
    counted.assign(prepared, index)
    story = next(s for s in index.stories() if len(s.article_ids) == 4)
    counting.seen.clear()  # count from the brief on, not the preparation
    again = counted.brief(story, {p.article.id: p for p in prepared})
    assert [s.text for s in again.sentences] == [s.text for s in big.sentences]
    assert counting.seen[big.sentences[0].text] == 1

    plain = Pipeline(Settings(top_up=False), embedder, writer)  # type: ignore[arg-type]
    big = next(b for b in plain.summarize(list(arts.values())) if len(b.article_ids) == 4)
    assert [s.origin for s in big.sentences] == ["model"]


def test_extractive_brief_sentences_are_marked_extracts(extractive_briefs: list[Brief]) -> None:
    assert all(s.origin == "extract" for b in extractive_briefs for s in b.sentences)


def _harbour(aid: str, outlet: str, *lines: str) -> Article:
    """A hand-built article of the harbour story, one sentence a line."""
    return Article(
        id=aid, outlet=outlet, published=date(2024, 3, 4), text="".join(f"{x}\n" for x in lines)
    )


def _as_story(pipeline: Pipeline, articles: Sequence[Article]) -> tuple[Story, dict[str, Any]]:
    """``articles`` prepared and made one story, ready for ``Pipeline.brief``."""
    by_id = {p.article.id: p for p in pipeline.prepare(articles)}
    return Story(id="harbour", article_ids=tuple(by_id)), by_id


def _brief_of(pipeline: Pipeline, articles: Sequence[Article]) -> Brief:
    """``articles`` prepared, made one story and briefed."""
    story, by_id = _as_story(pipeline, articles)
    return pipeline.brief(story, by_id)


def test_the_top_up_skips_quotations_that_do_not_name_their_speaker(embedder: object) -> None:
    """Pieces of somebody's quoted words are not served on their own as extracts."""
    articles = [
        _harbour(
            "harbour-1",
            "Harbour Post",
            "The island council approved a budget of 12,000 pounds for the harbour on Monday.",
            '"This is a disgrace for every family on the island.',
            "Two new ferries will be built at the Varna yard, the council said.",
        ),
        _harbour(
            "harbour-2",
            "Coast Radio",
            "The island council voted on Monday to spend 12,000 pounds on the harbour.",
            '"Nobody asked the fishermen what they need."',
            "Each of the new ferries will carry 300 passengers and 40 cars.",
        ),
    ]
    writer = _ShortWriter()
    pipeline = Pipeline(Settings(), embedder, writer)  # type: ignore[arg-type]
    story, by_id = _as_story(pipeline, articles)
    brief = pipeline.brief(story, by_id)
    texts = [s.text for s in brief.sentences]
    assert [s.origin for s in brief.sentences][0] == "model"
    assert "extract" in [s.origin for s in brief.sentences]  # the brief was topped up
    assert not any("disgrace" in t or "Nobody asked" in t for t in texts), texts
    assert any("Varna" in t for t in texts) and any("300 passengers" in t for t in texts)

    # an extractive brief (no generator) leaves them out too, even short of five sentences
    extractive = Pipeline(Settings(), embedder, None)  # type: ignore[arg-type]
    brief = extractive.brief(story, by_id)
    texts = [s.text for s in brief.sentences]
    assert brief.extractive_fallback and len(texts) == 3, texts  # of 5 groups
    assert not any("disgrace" in t or "Nobody asked" in t for t in texts), texts


class _ScriptWriter(Generator):
    """Writes a fixed headline and the given numbered sentences, whatever the prompt."""

    name = "script-writer"
    backend = "test"
    sha256 = ""
    context_length = 4096

    def __init__(self, sentences: Sequence[str]) -> None:
        self.sentences = list(sentences)

    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        lines = [f"{i}. {s}" for i, s in enumerate(self.sentences, start=1)]
        return GenerationResult("Headline: Harbour budget\n" + "\n".join(lines), 300, 60)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def close(self) -> None:
        pass


HARBOUR = [
    _harbour(
        "harbour-1",
        "Harbour Post",
        "The island council approved a budget of 12,000 pounds for the harbour on Monday.",
        "Two new ferries will be built at the Varna yard, the council said.",
        "I watched the vote from the back of a packed town hall.",
        "The harbour master, Ines Varga, will retire in June after 30 years.",
    ),
    _harbour(
        "harbour-2",
        "Coast Radio",
        "Each of the new ferries will carry 300 passengers and 40 cars.",
        "Our reporter says the mood among the fishermen was grim.",
        "Work on the quay is due to start in the autumn, officials said.",
    ),
]


def test_a_sentence_that_repeats_another_gives_way_to_new_material(embedder: Any) -> None:
    """The model restating a fact in other words: one stays, the top-up adds something new."""
    first = "The island council approved a budget of 12,000 pounds for the harbour on Monday."
    again = "On Monday the council of the island agreed to spend 12,000 pounds on its harbour."
    a, b = embedder.encode([first, again])
    assert float(a @ b) >= 0.75  # the premise: the two say the same thing

    writer = _ScriptWriter([first, again])
    pipeline = Pipeline(Settings(), embedder, writer)
    story, by_id = _as_story(pipeline, HARBOUR)
    brief = pipeline.brief(story, by_id)
    texts = [s.text for s in brief.sentences]
    assert sum("12,000 pounds" in t for t in texts) == 1, texts
    assert texts[0] in (first, again) and brief.sentences[0].origin == "model"
    assert all(s.origin == "extract" for s in brief.sentences[1:])
    assert any("300 passengers" in t for t in texts), texts

    # two model sentences that say different things are both served
    kept = Pipeline(
        Settings(top_up=False),
        embedder,
        _ScriptWriter([first, "Work on the quay is due to start in the autumn."]),
    )
    brief = kept.brief(story, by_id)
    assert len(brief.sentences) == 2


def test_the_writers_first_person_is_not_served(embedder: Any) -> None:
    """ "I watched ..." and "Our reporter says ..." are neither model sentences nor extracts."""
    watched = "I watched the vote from the back of a packed town hall."
    writer = _ScriptWriter(
        ["Two new ferries will be built at the Varna yard, the council said.", watched]
    )
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, writer)
    story, by_id = _as_story(pipeline, HARBOUR)
    brief = pipeline.brief(story, by_id)
    by_text = {s.text: s for s in brief.sentences}
    assert not by_text[watched].supported
    assert by_text[watched].support >= 0.9  # it is in the evidence, word for word
    served = [s.text for s in brief.sentences if s.supported]
    assert not any("I watched" in t or "Our reporter" in t for t in served), served
    assert any("300 passengers" in t for t in served), served

    extractive = Pipeline(Settings(), embedder, None)
    texts = [s.text for s in extractive.brief(story, by_id).sentences]
    assert len(texts) == 5, texts  # of 7 evidence sentences
    assert not any("I watched" in t or "Our reporter" in t for t in texts), texts


def test_a_brief_with_nothing_servable_gets_no_headline_in_the_writers_voice(
    embedder: Any,
) -> None:
    """No title and every sentence the writer's "I" or "we": the brief serves nothing, and
    its headline is not cut from a sentence it refused."""
    diary = Article(
        id="fp1",
        outlet="Blog",
        text="I watched the harvest parade in Lyon on Saturday. We loved the floats, and I "
        "think it was the best one in years. Our group counted 40 floats.",
    )
    pipeline = Pipeline(Settings(), embedder, None)
    (brief,) = pipeline.summarize([diary])
    assert not any(s.supported for s in brief.sentences)
    assert brief.headline == "Story from Blog"
    # a story with a sentence a brief can serve is headed by it
    plain = Article(
        id="fp2", outlet="Blog", text=diary.text + " The parade drew 20,000 people to the city."
    )
    (brief,) = pipeline.summarize([plain])
    assert "20,000" in brief.headline


def test_chatter_the_parser_lets_through_does_not_take_a_sentences_place(embedder: Any) -> None:
    """The model writes two lines of talk before its sentences: the cite step drops them
    and the brief keeps the model's sentences (not an extractive fallback); a sentence
    beyond the length asked for is not served."""
    facts = [
        "The island council approved a budget of 12,000 pounds for the harbour on Monday.",
        "Two new ferries will be built at the Varna yard, the council said.",
        "Each of the new ferries will carry 300 passengers and 40 cars.",
        "Work on the quay is due to start in the autumn, officials said.",
    ]
    writer = _ScriptWriter(
        [
            "This brief draws only on the numbered evidence given above.",
            "Every sentence below cites the lines that it is based upon.",
            *facts,
        ]
    )
    pipeline = Pipeline(Settings(top_up=False), embedder, writer)
    story, by_id = _as_story(pipeline, HARBOUR)
    brief = pipeline.brief(story, by_id, length="short")  # three sentences
    assert not brief.extractive_fallback
    assert [s.text for s in brief.sentences] == facts[:3]
    assert all(s.origin == "model" for s in brief.sentences)
    assert brief.headline == "Harbour budget"  # the model's, and the evidence bears it out


def test_a_model_headline_of_its_own_gives_way_to_an_outlets_title(embedder: Any) -> None:
    class _Inventor(_ScriptWriter):
        def generate(
            self, prompt: Prompt, config: GenerationConfig | None = None
        ) -> GenerationResult:
            out = super().generate(prompt, config)
            text = out.text.replace("Harbour budget", "Council approves 40 million bridge")
            return GenerationResult(text, 300, 60)

    titled = [dataclasses.replace(HARBOUR[0], title="Island council backs harbour plan")]
    pipeline = Pipeline(Settings(), embedder, _Inventor([HARBOUR[0].text.split("\n")[0]]))
    story, by_id = _as_story(pipeline, [*titled, HARBOUR[1]])
    brief = pipeline.brief(story, by_id)
    assert brief.sentences[0].origin == "model"
    assert brief.headline == "Island council backs harbour plan"


@pytest.mark.parametrize(
    ("headline", "kept"),
    [
        ("Island council approves harbour budget", True),
        # every word is somewhere in the evidence, but the brief served says none of this
        ("Harbour budget sparks fury among island fishermen", False),
    ],
)
def test_a_model_headline_says_no_more_than_the_brief_it_heads(
    embedder: Any, headline: str, kept: bool
) -> None:
    class _Headliner(_ScriptWriter):
        def generate(
            self, prompt: Prompt, config: GenerationConfig | None = None
        ) -> GenerationResult:
            out = super().generate(prompt, config)
            return GenerationResult(out.text.replace("Harbour budget", headline), 300, 60)

    titled = [dataclasses.replace(HARBOUR[0], title="Island council backs harbour plan")]
    writer = _Headliner([HARBOUR[0].text.split("\n")[0]])
    pipeline = Pipeline(Settings(top_up=False), embedder, writer)
    story, by_id = _as_story(pipeline, [*titled, HARBOUR[1]])
    brief = pipeline.brief(story, by_id)
    assert [s.origin for s in brief.sentences] == ["model"]
    assert brief.headline == (headline if kept else "Island council backs harbour plan")


def test_a_story_whose_sentences_all_exceed_the_budget_gets_an_extract(embedder: Any) -> None:
    """No sentence fits the model's evidence budget: no error and no model call, but an
    extractive brief that says why."""
    calls: list[Prompt] = []

    class _Counting(_ScriptWriter):
        def generate(
            self, prompt: Prompt, config: GenerationConfig | None = None
        ) -> GenerationResult:
            calls.append(prompt)
            return super().generate(prompt, config)

    writer = _Counting(["Anything at all, written by the model."])
    pipeline = Pipeline(Settings(evidence_token_budget=64), embedder, writer)
    long = " ".join(["The council heard from residents about the harbour plan"] * 6) + "."
    article = Article(id="long", outlet="Harbour Post", text=long + "\n" + long.lower())
    story, by_id = _as_story(pipeline, [article])
    brief = pipeline.brief(story, by_id)
    assert not calls and brief.extractive_fallback
    assert brief.fallback_reason is not None and "budget (64 tokens)" in brief.fallback_reason
    assert brief.sentences and all(s.origin == "extract" for s in brief.sentences)


def test_drop_repeats_keeps_the_sentence_with_the_facts() -> None:
    """Of two sentences that say the same thing, the one whose numbers add nothing goes."""
    from summarizer.pipeline import _drop_repeats
    from summarizer.types import BriefSentence

    def sent(text: str, supported: bool = True) -> BriefSentence:
        return BriefSentence(text=text, support=0.9, citations=[], supported=supported)

    base = np.array([1.0, 0.0, 0.0], np.float32)
    close = np.array([0.8, 0.6, 0.0], np.float32)  # cosine 0.8 to base
    other = np.array([0.0, 0.0, 1.0], np.float32)
    a = "The council approved 12,000 pounds for the harbour."
    b = "Councillors agreed to put 12,000 pounds into the harbour."  # no new number
    c = "The council approved 12,000 pounds for the harbour, up from 9,000 in 2022."
    d = "Ferries will carry 300 passengers."
    u = "An unsupported line."
    vectors = {a: base, b: close, c: close, d: other, u: close}

    kept, dropped = _drop_repeats([sent(a), sent(d), sent(b)], vectors)
    assert [s.text for s in kept] == [a, d] and [s.text for s in dropped] == [b]
    # a later sentence with every number of the earlier one and more takes its place
    kept, dropped = _drop_repeats([sent(a), sent(d), sent(c)], vectors)
    assert [s.text for s in kept] == [c, d] and [s.text for s in dropped] == [a]
    # each adds a number: both stay
    e = "The council approved 15,000 pounds for the quay."
    kept, _ = _drop_repeats([sent(a), sent(e)], {a: base, e: close})
    assert [s.text for s in kept] == [a, e]
    # unsupported sentences are neither compared nor dropped
    kept, dropped = _drop_repeats([sent(a), sent(u, supported=False)], vectors)
    assert [s.text for s in kept] == [a, u] and not dropped
    # below the cosine, different words: no repeat
    kept, _ = _drop_repeats([sent(a), sent(d)], {a: base, d: other})
    assert len(kept) == 2


def _seed_story(pipeline: Pipeline) -> tuple[Story, dict[str, Any]]:
    """The seeds prepared and grouped: the four-article story, and every prepared seed."""
    prepared = pipeline.prepare(seed_articles())
    index = StoryIndex()
    pipeline.assign(prepared, index)
    by_id = {p.article.id: p for p in prepared}
    return max(index.stories(), key=lambda s: len(s.article_ids)), by_id


def test_story_material_and_selection(embedder: object) -> None:
    """``material`` deduplicates a story's articles once; ``select`` reads it within budget."""
    pipeline = Pipeline(Settings(evidence_token_budget=200), embedder, None)  # type: ignore[arg-type]
    story, by_id = _seed_story(pipeline)
    m = pipeline.material(story, by_id)
    assert sorted(p.article.id for p in m.parts) == sorted(story.article_ids)
    assert len(m.sentences) == m.vectors.shape[0] == m.stats.sentences_in
    assert len(m.groups) == m.group_vectors.shape[0] == m.stats.groups
    assert m.stats.groups < m.stats.sentences_in  # the outlets repeat each other
    assert set(m.reusable) == {g.id for g in m.groups}
    evidence = pipeline.select(m)
    assert evidence and [e.n for e in evidence] == list(range(1, len(evidence) + 1))
    assert {e.group.id for e in evidence} <= set(m.reusable)
    spent = sum(len(f"{e.group.representative.text}".split()) for e in evidence)
    assert spent < 200  # the budget counts tokens, which are more than words
    with pytest.raises(InputError, match="unknown articles"):
        pipeline.material(Story(id="st_x", article_ids=("nope",)), by_id)


def test_leading_sentences_keep_every_articles_lead_within_the_cap() -> None:
    from summarizer.pipeline import _leading_sentences

    assert _leading_sentences([5, 3, 8], 20) == [5, 3, 8]  # all fit
    assert _leading_sentences([10, 3, 10], 12) == [4, 3, 4]  # four each where they have them
    assert sum(_leading_sentences([40, 1, 17, 90], 50)) <= 50
    assert _leading_sentences([4, 4, 4], 2) == [0, 1, 1]  # more articles than the cap: the latest
    assert _leading_sentences([], 5) == []


def test_a_huge_story_is_deduplicated_from_its_articles_leading_sentences(embedder: object) -> None:
    """Dedup needs memory in the square of a story's sentences: past the cap, every article
    keeps its first sentences, and the brief says how many were left out."""
    pipeline = Pipeline(Settings(max_story_sentences=50), embedder, None)  # type: ignore[arg-type]
    story, by_id = _seed_story(pipeline)
    total = sum(len(by_id[a].sentences) for a in story.article_ids)
    assert total > 50
    m = pipeline.material(story, by_id)
    assert len(m.sentences) <= 50 and m.left_out == total - len(m.sentences)
    assert len(m.sentences) == m.vectors.shape[0] == m.stats.sentences_in
    kept = {s.key for s in m.sentences}
    for p in m.parts:  # each article's lead, and only leading sentences
        idx = sorted(s.index for s in p.sentences if s.key in kept)
        assert idx and idx == [s.index for s in p.sentences[: len(idx)]]
    row = {s.key: p.vectors[i] for p in m.parts for i, s in enumerate(p.sentences)}
    assert np.array_equal(m.vectors, np.vstack([row[s.key] for s in m.sentences]))
    brief = pipeline.brief(story, by_id)
    assert brief.stats.sentences_left_out == m.left_out
    assert all(c.quote for s in brief.sentences for c in s.citations)


def test_lines_shared_across_a_set_are_dropped_and_dropped_again_on_restore(
    embedder: Any,
) -> None:
    """Cleaning that depended on the other articles of a set is repeated from the spans."""
    pipeline = Pipeline(Settings(), embedder, None)
    promo = "Check back for updates."  # kept by an article alone, dropped as a set's
    articles = [
        _harbour(
            f"h{i}",
            outlet,
            f"The harbour at Kestrel Bay was closed on Monday after a storm hit ({outlet}).",
            promo,
            f"Officials said {i + 2} fishing boats sank in the harbour overnight.",
        )
        for i, outlet in enumerate(["Wire", "Daily", "Courier"])
    ]
    prepared = pipeline.prepare(articles)
    for p in prepared:
        assert all(promo not in s.text for s in p.sentences)  # shared by three: furniture
        alone = prepare_article(p.article)[1]
        assert any(promo in s.text for s in alone)  # the article alone keeps the line
        spans = [[s.start, s.end] for s in p.sentences]
        restored = pipeline.restore(p.article, p.vectors, spans)
        assert restored is not None
        assert [(s.start, s.end) for s in restored.sentences] == [
            (s.start, s.end) for s in p.sentences
        ]
        assert restored.vectors is p.vectors
    # spans that cut words, overlap or leave the text are not trusted: prepared anew
    for bad in ([[0, 5]], [[0, 20], [10, 30]], [[0, 10**6]]):
        assert pipeline.restore(articles[0], prepared[0].vectors[:1], bad) is None, bad
    assert pipeline.restore(articles[0], prepared[0].vectors, [[0], "x"]) is None  # damaged


def test_an_article_stored_under_another_splitter_keeps_its_stored_sentences(
    embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sentences stored at ingest are taken as they are when today's cleaner or splitter
    would cut the text otherwise, or drop all of it: stored data is never an input error."""
    import summarizer.pipeline as pipeline_module

    pipeline = Pipeline(Settings(), embedder, None)
    art = _harbour(
        "h0",
        "Wire",
        "The harbour at Kestrel Bay was closed on Monday after a storm hit.",
        "Officials said 2 fishing boats sank in the harbour overnight.",
        "The coast guard rescued the crews of both boats before dawn.",
        "A ferry service to the islands will resume on Thursday, the port authority said.",
    )
    (prepared,) = pipeline.prepare([art])
    assert len(prepared.sentences) == 4
    first, second = prepared.sentences[:2]
    merged = [[first.start, second.end]] + [[x.start, x.end] for x in prepared.sentences[2:]]
    vectors = np.vstack(
        [embedder.encode([art.text[first.start : second.end]]), prepared.vectors[2:]]
    )
    restored = pipeline.restore(art, vectors, merged)
    assert restored is not None and restored.vectors is vectors
    assert [[x.start, x.end] for x in restored.sentences] == merged
    assert restored.sentences[0].text == art.text[first.start : second.end]
    # spans taken as stored must fit their vectors: another sentence's vector does not
    assert pipeline.restore(art, prepared.vectors[1:], merged) is None
    # nor does a record whose middle row belongs to another text
    damaged = vectors.copy()
    damaged[len(merged) // 2] = embedder.encode(["The football final ended in a draw."])[0]
    assert pipeline.restore(art, damaged, merged) is None

    def empties(*_a: Any, **_k: Any) -> Any:
        raise EmptyTextError("nothing is left", field="text")

    monkeypatch.setattr(pipeline_module, "prepare_article", empties)
    spans = [[x.start, x.end] for x in prepared.sentences]
    again = pipeline.restore(art, prepared.vectors, spans)
    assert again is not None and [x.text for x in again.sentences] == [
        x.text for x in prepared.sentences
    ]


def test_copies_of_one_short_article_are_not_emptied_as_boilerplate(embedder: Any) -> None:
    """A line in three copies of the same text is that text, not furniture of three sites."""
    pipeline = Pipeline(Settings(), embedder, None)
    text = "Officials met in Geneva on Monday to discuss the ceasefire."
    copies = [Article(id=f"c{i}", outlet=o, text=text) for i, o in enumerate("ABC")]
    prepared = pipeline.prepare(copies)
    assert [[s.text for s in p.sentences] for p in prepared] == [[text]] * 3
    # Different articles whose only sentence is a shared short line keep it: dropping it
    # would empty them.
    varied = [
        Article(id=f"v{i}", outlet="X", text=f"Check back for updates.\nPage {i}") for i in range(3)
    ]
    assert [[s.text for s in p.sentences] for p in pipeline.prepare(varied)] == [
        ["Check back for updates."]
    ] * 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", None, "article text must be a string, not NoneType"),
        ("text", b"bytes", "article text must be a string, not bytes"),
        ("outlet", None, "article outlet must be a string"),
        ("title", 5, "article title must be a string or None, not int"),
        ("published", "2024-01-01", "article published must be a datetime.date or None"),
    ],
)
def test_an_article_of_wrong_field_types_is_refused_where_it_is_made(
    field: str, value: object, message: str
) -> None:
    fields: dict[str, object] = {"id": "a", "outlet": "AP", "text": "Text."}
    fields[field] = value
    with pytest.raises(InputError, match=message) as info:
        Article(**fields)  # type: ignore[arg-type]
    assert info.value.field == field


def test_a_story_with_nothing_servable_says_why_and_the_cli_reports_it(
    embedder: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A column in the writer's own voice: no sentence of it may be served as fact, so the
    brief is empty, says why, and the command line reports it (exit 1)."""
    import json

    from summarizer.cli import main
    from summarizer.pipeline import NOTHING_SERVABLE

    text = (
        "I went to the harbour market on Saturday morning with my neighbours.\n"
        "We talked for an hour about the new ferry timetable and the fares.\n"
        "I think the council should listen to the people who use the port every day.\n"
    )
    article = Article(id="col", outlet="Gazette", text=text, title="A " * 200 + "column")
    pipeline = Pipeline(Settings(), embedder, None)  # type: ignore[arg-type]
    (brief,) = pipeline.summarize([article])
    assert not [s for s in brief.sentences if s.supported]
    assert brief.fallback_reason == NOTHING_SERVABLE
    assert len(brief.headline) <= 160 and brief.headline.endswith("…")  # a long title, cut

    path = tmp_path / "column.jsonl"
    path.write_text(json.dumps({"id": "col", "outlet": "Gazette", "text": text}) + "\n")
    code = main(["summarize", str(path), "--extractive", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"story {brief.story_id}: empty brief: {NOTHING_SERVABLE}" in err
    assert json.loads(out)["briefs"][0]["sentences"] == []


def test_a_bad_length_is_refused_before_any_article_is_prepared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipeline = Pipeline(Settings(), None, None)  # type: ignore[arg-type]

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("articles were prepared")

    monkeypatch.setattr(pipeline, "prepare", no_work)
    with pytest.raises(InputError, match="length must be one of") as info:
        pipeline.summarize(seed_articles(), length="huge")  # type: ignore[arg-type]
    assert info.value.field == "length"


def test_extracts_chosen_together_say_different_things() -> None:
    """The top-up and the extractive brief drop a line that repeats a better one, by
    meaning or by words; each line is checked against those already chosen."""
    from summarizer.pipeline import _distinct
    from summarizer.types import Evidence, Sentence, SentenceGroup

    texts = [
        "Lisbon's metro was shut down on Wednesday by a 24-hour strike over pay.",
        "Metro workers in Lisbon walked out for 24 hours on Wednesday over pay.",
        "The city council added extra buses on the busiest routes.",
        "Lisbon's metro was shut down on Wednesday by a 24-hour strike over pay, unions said.",
    ]
    rng = np.random.default_rng(3)
    base = rng.normal(size=(3, 8))
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    strike = base[0] + 0.2 * base[1]
    vecs = [strike, strike + 0.1 * base[2], base[2], base[1]]  # the last: other by meaning
    vecs = [v / np.linalg.norm(v) for v in vecs]
    evidence = [
        Evidence(
            n=i + 1,
            group=SentenceGroup(i, s := Sentence(f"a{i}", f"O{i}", 0, 0, len(t), t), (s,)),
            score=score,
        )
        for i, (t, score) in enumerate(zip(texts, (0.9, 0.8, 0.7, 0.6), strict=True))
    ]
    by_n = {e.n: v for e, v in zip(evidence, vecs, strict=True)}
    kept = _distinct(evidence, lambda e: by_n[e.n])
    # the second repeats the first in meaning, the fourth in words
    assert [e.n for e in kept] == [1, 3]
    # pieces of a sentence cut for length give way to whole sentences, while there are some
    piece = "and which burned through sector 8 of the hills above the port,"
    cut = Evidence(
        n=5, group=SentenceGroup(5, Sentence("a5", "O5", 0, 0, 60, piece), ()), score=1.0
    )
    by_n[5] = base[2] * -1
    assert [e.n for e in _distinct([*evidence, cut], lambda e: by_n[e.n])] == [1, 3]
    assert [e.n for e in _distinct([cut], lambda e: by_n[e.n])] == [5]


def test_a_headline_cut_from_the_evidence_does_not_open_by_pointing_back() -> None:
    """With no title, the headline is cut from the top line that stands on its own:
    "However, people ..." (test23 of the dev file) and "She had ..." lean on the line
    before them."""
    from summarizer.pipeline import _headline
    from summarizer.types import Evidence, Sentence, SentenceGroup

    def line(n: int, text: str, score: float) -> Evidence:
        sent = Sentence(article_id="a", outlet="AP", index=n, start=0, end=len(text), text=text)
        return Evidence(
            n=n, group=SentenceGroup(id=n, representative=sent, members=(sent,)), score=score
        )

    lines = [
        line(1, "However, people with a new interest in gold mining may be spending more.", 0.9),
        line(2, "She had panned for gold in the same creek for twenty years.", 0.8),
        line(3, "Weeks of rain across Northern California have washed gold into the creeks.", 0.7),
    ]
    assert _headline(lines, []) == (
        "Weeks of rain across Northern California have washed gold into the creeks"
    )
    # when every line leans back, the top one still heads the brief
    assert _headline(lines[:2], []).startswith("However, people with")
    # "Butte County" opens with a name, not with "But"
    names = [line(4, "Butte County officials said the river rose 3 feet overnight.", 0.9), lines[2]]
    assert _headline(names, []).startswith("Butte County officials")
    # a demonstrative early in the line points back too ("that number": test15 of the dev
    # file); "that" as a conjunction and "this week" do not
    number = line(5, "Census said that number is up dramatically from 2007 in the survey.", 0.9)
    assert _headline([number, lines[2]], []).startswith("Weeks of rain")
    said = line(6, "Officials said that prices rose again this week across the region.", 0.9)
    assert _headline([said, lines[2]], []).startswith("Officials said that prices rose")
    claims = line(7, "So far, these claims have generally failed in the courts of the state.", 0.9)
    assert _headline([claims, lines[2]], []).startswith("Weeks of rain")
    # "that" before a plural noun is the conjunction
    pupils = line(8, "The ministry said that students would return to class on Monday.", 0.9)
    assert _headline([pupils, lines[2]], []).startswith("The ministry said that students")


_FERRY = [
    Article(
        id="wire",
        outlet="Coastal Wire",
        title="Ferry capsizes off Taliso Island, at least 12 dead",
        published=date(2026, 3, 4),
        text="At least 12 people were killed when a passenger ferry capsized in rough seas off "
        "Taliso Island early on Wednesday, the regional coast guard said.\n\n"
        "The MV Santa Ines was carrying 87 passengers and 9 crew members when it overturned "
        "about two nautical miles from the port of Bayan.\n\n"
        "Rescuers had pulled 64 survivors from the water by mid-morning, the coast guard said.\n",
    ),
    Article(
        id="herald",
        outlet="National Herald",
        title="Taliso ferry: search goes on through the night",
        published=date(2026, 3, 4),
        text="Seventeen people remain missing, said the head of the provincial disaster "
        "office, as two navy vessels and a helicopter searched through the night.\n\n"
        "The death toll from the capsizing of a passenger ferry off Taliso Island rose to 15 "
        "on Wednesday evening as divers recovered three more bodies from the hull.\n\n"
        "The coast guard has opened an inquiry into why the ferry left Bayan port despite a "
        "gale warning.\n",
    ),
]


def test_a_risen_death_toll_is_in_the_evidence_and_an_outdated_one_heads_no_brief(
    embedder: Any,
) -> None:
    """From a review's story set: three outlets gave 12 dead, then "rose to 15"; selection
    counted the update as a repeat of the first report, and the brief and its headline
    said 12."""
    pipeline = Pipeline(Settings(), embedder, None)
    by_id = {p.article.id: p for p in pipeline.prepare(_FERRY)}
    story = Story(id="ferry", article_ids=tuple(by_id))
    material = pipeline.material(story, by_id)
    evidence = pipeline.select(material)
    assert any("rose to 15" in e.group.representative.text for e in evidence)
    brief = pipeline.brief(story, by_id)
    # the lead's title says 12 dead: the brief takes the other outlet's
    assert brief.headline == "Taliso ferry: search goes on through the night"
    # with no title left that is current, the outdated one is still better than none
    stale = [dataclasses.replace(a, title=_FERRY[0].title) for a in _FERRY]
    by_id = {p.article.id: p for p in pipeline.prepare(stale)}
    assert pipeline.brief(story, by_id).headline == _FERRY[0].title


def test_a_served_line_cut_from_a_longer_quotation_gets_its_quotation_marks(
    embedder: Any,
) -> None:
    """From a review's story set: the splitter cuts '"We heard a loud noise ... left.
    People were screaming," said Josefina Manalo ...' in two, and the brief served
    'People were screaming," said Josefina Manalo, ...' with no opening mark."""
    text = (
        "Survivors of the ferry disaster described scenes of panic as the vessel tipped "
        "over in darkness.\n\n"
        '"We heard a loud noise and then the ferry leaned to the left. People were '
        'screaming," said Josefina Manalo, 42, who was travelling with her two children.\n'
    )
    survivors = Article(id="daily", outlet="Island Daily", published=date(2026, 3, 5), text=text)
    tail = (
        'People were screaming," said Josefina Manalo, 42, who was travelling with her two '
        "children."
    )
    pipeline = Pipeline(Settings(top_up=False), embedder, _ScriptWriter([tail]))
    by_id = {p.article.id: p for p in pipeline.prepare([survivors])}
    assert any(s.text == tail for s in by_id["daily"].sentences)  # the split this is about
    brief = pipeline.brief(Story(id="ferry", article_ids=("daily",)), by_id)
    (served,) = [s for s in brief.sentences if "screaming" in s.text]
    assert served.text == '"' + tail
    assert served.citations and served.citations[0].quote == tail  # the quote stays exact


def test_relative_days_from_articles_of_different_days_are_dated_in_the_brief(
    embedder: Any,
) -> None:
    """From a review's story set: "collapsed ... on Monday" (published on a Tuesday) and
    "the inspections would begin on Monday" (published on the Thursday) were served side
    by side as if one Monday."""
    fell = "A section of the Old Mill footbridge collapsed into the River Wend on Monday afternoon."
    begin = "Council leader Fiona Grant said the inspections would begin on Monday."
    courier = Article(
        id="courier",
        outlet="Eastern Courier",
        published=date(2026, 9, 15),
        text=f"{fell}\n\nTwo pedestrians were injured, the county fire service said.\n",
    )
    valley = Article(
        id="valley",
        outlet="Wend Valley News",
        published=date(2026, 9, 17),
        text=f"The council ordered checks of 23 old footbridges.\n\n{begin}\n",
    )
    pipeline = Pipeline(Settings(top_up=False), embedder, _ScriptWriter([fell, begin]))
    brief = _brief_of(pipeline, [courier, valley])
    assert [s.text for s in brief.sentences] == [
        fell.replace("Monday afternoon", "Monday afternoon (September 14)"),
        begin.replace("on Monday", "on Monday (September 21)"),
    ]
    assert [s.citations[0].quote for s in brief.sentences] == [fell, begin]  # quotes exact


def test_an_opinion_pieces_views_are_not_served_as_the_briefs_own(embedder: Any) -> None:
    """From a review's story set: a column ("Opinion: This congestion charge is a tax on
    the people who can least afford it ... The views expressed are his own.") grouped with
    the news, and its lines were served as plain fact."""
    from summarizer.cite import opinion_article

    column = Article(
        id="column",
        outlet="Lindholm Daily",
        title="Opinion: This congestion charge is a tax on the people who can least afford it",
        published=date(2026, 11, 6),
        text="By Karl Eng. The views expressed are his own.\n\n"
        "The people who will pay are not the consultants who cycle in from the suburbs.\n\n"
        "The council should scrap this congestion charge before it does real damage.\n",
    )
    news = Article(
        id="news",
        outlet="Radio Lindholm",
        published=date(2026, 11, 6),
        text="Lindholm city council approved a congestion charge for cars entering the city "
        "centre on Wednesday.\n\nDrivers will pay 6 crowns per entry on weekdays.\n",
    )
    assert opinion_article(column) and not opinion_article(news)
    view = "The council should scrap this congestion charge before it does real damage."
    given = "A column argued that the council should scrap this congestion charge."
    fact = "Drivers will pay 6 crowns per entry on weekdays."
    pipeline = Pipeline(
        Settings(top_up=False, keep_unsupported=True), embedder, _ScriptWriter([view, given, fact])
    )
    brief = _brief_of(pipeline, [column, news])
    served = {s.text: s.supported for s in brief.sentences}
    assert served[view] is False  # the column's view in the brief's voice
    assert served[given] is True and served[fact] is True
    # a label or the disclaimer alone marks a piece of opinion
    assert opinion_article(dataclasses.replace(news, title="Editorial: Keep the charge"))
    assert opinion_article(dataclasses.replace(news, text="Comment: " + news.text))
    assert not opinion_article(dataclasses.replace(news, title="Council opinion split on charge"))


def test_a_figure_a_correction_withdrew_is_not_served_nor_headlined(embedder: Any) -> None:
    """From a review's story set: a union official's "three workers were killed" was served
    and headlined after the outlet's correction ("An earlier version of this story ... said
    three workers had been killed. ... one worker died"), which the cleaner takes out of
    the text as an editor's note."""
    first = Article(
        id="leak-a",
        outlet="Carrow Courier",
        title="Three workers killed in chlorine leak at Carrow plant",
        published=date(2026, 5, 12),
        text="Three workers were killed after a chlorine leak at the Vessent Chemicals plant "
        "on Tuesday morning, a union organiser said.\n\nFire crews sealed the leaking "
        "storage unit shortly before 10 a.m., the fire service said.\n",
    )
    later = Article(
        id="leak-b",
        outlet="Carrow Courier",
        title="One worker dead, two in hospital after Vessent leak",
        published=date(2026, 5, 13),
        text="One worker died and two others are in a serious condition in hospital after "
        "Tuesday's chlorine leak at the Vessent Chemicals plant, the company said.\n\n"
        "Correction: An earlier version of this story, based on a union official's account, "
        "said three workers had been killed. The company and the fire service say one "
        "worker died.\n",
    )
    killed = "A chlorine leak at the Vessent Chemicals plant killed three workers on Tuesday."
    died = "One worker died and two others are in hospital after the chlorine leak."
    pipeline = Pipeline(Settings(top_up=False), embedder, _ScriptWriter([killed, died]))
    brief = _brief_of(pipeline, [first, later])
    assert [s.text for s in brief.sentences] == [died]
    # the scripted headline ("Harbour budget") says nothing here; the first outlet's title
    # gives the withdrawn count, so the later one heads the brief
    assert brief.headline == "One worker dead, two in hospital after Vessent leak"


def test_a_claim_only_a_withdrawn_report_supports_is_not_served(embedder: Any) -> None:
    """From a review's story set: the short brief served "The people said she would
    announce her departure on Thursday", from The Ledger's report, which The Ledger had
    withdrawn ("The Ledger has withdrawn that report")."""
    from summarizer.cite import withdrawn_reports

    report = Article(
        id="min-a",
        outlet="The Ledger",
        published=date(2026, 1, 19),
        text="Finance minister Petra Holm will resign this week, two people familiar with her "
        "plans told The Ledger on Monday.\n\nThe people said she would announce her "
        "departure on Thursday.\n",
    )
    note = Article(
        id="min-b",
        outlet="The Ledger",
        published=date(2026, 1, 20),
        text="On Monday The Ledger reported that finance minister Petra Holm intended to "
        "resign this week. The Ledger has withdrawn that report.\n\nSpeaking in parliament "
        'on Tuesday, Holm said: "I am not going anywhere."\n',
    )
    radio = Article(
        id="min-c",
        outlet="Public Radio News",
        published=date(2026, 1, 20),
        text="Finance minister Petra Holm told parliament on Tuesday that she would not "
        "resign.\n\nThe Ledger, which published the resignation report on Monday, withdrew "
        "it on Tuesday.\n",
    )
    assert withdrawn_reports([report, note, radio]) == {"min-a"}
    assert withdrawn_reports([report, radio]) == {"min-a"}
    assert withdrawn_reports([report]) == frozenset()
    # something else withdrawn is no withdrawn report (a review's case)
    troops = Article(
        id="b",
        outlet="BBC",
        text="As The Ledger reported on Monday, Russia withdrew its troops from the border.",
    )
    assert withdrawn_reports([report, troops]) == frozenset()
    claim = "The people said she would announce her departure on Thursday."
    denial = "Finance minister Petra Holm told parliament on Tuesday that she would not resign."
    pipeline = Pipeline(Settings(top_up=False), embedder, _ScriptWriter([claim, denial]))
    brief = _brief_of(pipeline, [report, note, radio])
    assert [s.text for s in brief.sentences] == [denial]


def test_an_outlet_title_that_says_nobody_was_hurt_gives_way_where_the_brief_says_otherwise() -> (
    None
):
    from types import SimpleNamespace

    from summarizer.pipeline import _headline
    from summarizer.types import Evidence, Sentence, SentenceGroup

    factory = Article(id="b", outlet="Elm", title="No injuries in Elmfield factory fire", text="x")
    docks = Article(id="a", outlet="Port", title="Warehouse fire at the docks", text="x")
    line = "All 40 staff were evacuated and no one was hurt."
    sent = Sentence(article_id="b", outlet="Elm", index=0, start=0, end=len(line), text=line)
    top = Evidence(n=1, group=SentenceGroup(id=1, representative=sent, members=(sent,)), score=1.0)
    parts: Any = [SimpleNamespace(article=factory), SimpleNamespace(article=docks)]
    burns = "One firefighter was taken to hospital with burns."
    assert _headline([top], parts, served=[line]) == factory.title
    assert _headline([top], parts, served=[line, burns]) == docks.title


def test_a_line_that_says_he_or_she_of_nobody_named_is_not_served(embedder: Any) -> None:
    """From a review's election set: "By Monday lunchtime the arithmetic had turned against
    him." was served where no line of the brief named him; the top-up must not bring the
    line back as an extract either."""
    articles = [
        _harbour(
            "vote-1",
            "Harbour Post",
            "The island council approved a budget of 12,000 pounds for the harbour on Monday.",
            "For most of the evening, harbour master Ines Varga looked set to win the vote.",
            "By midnight the arithmetic had turned against her.",
            "Two new ferries will be built at the Varna yard, the council said.",
        ),
        _harbour(
            "vote-2",
            "Coast Radio",
            "Each of the new ferries will carry 300 passengers and 40 cars.",
            "Work on the quay is due to start in the autumn, officials said.",
        ),
    ]
    budget = "The island council approved a budget of 12,000 pounds for the harbour on Monday."
    against = "By midnight the arithmetic had turned against her."
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([budget, against]))
    story, by_id = _as_story(pipeline, articles)
    brief = pipeline.brief(story, by_id)
    by_text = {s.text: s for s in brief.sentences}
    assert not by_text[against].supported
    served = [s.text for s in brief.sentences if s.supported]
    assert against not in served and served[0] == budget, served
    assert len(served) >= 3, served  # the top-up filled its place with other lines

    # named first, she is someone: the line is served
    named = "Harbour master Ines Varga had looked set to win the vote for most of the evening."
    pipeline = Pipeline(Settings(top_up=False), embedder, _ScriptWriter([named, against]))
    brief = pipeline.brief(story, by_id)
    assert [s.text for s in brief.sentences] == [named, against]


def test_a_cause_the_story_says_is_not_shown_is_not_served(embedder: Any) -> None:
    """From a review's medical set: a tabloid's "cuts the risk" served beside the
    authors' "cannot show that coffee causes the lower risk"; nor does it head the brief,
    and the top-up does not bring it back."""
    cuts = (
        "A huge Scandinavian study has found that drinking three cups of coffee a day cuts "
        "the risk of atrial fibrillation by 12 per cent."
    )
    articles = [
        _harbour(
            "coffee-1",
            "Daily Courier",
            cuts,
            "The researchers followed 48,612 adults in Sweden and Norway for 11 years.",
        ),
        _harbour(
            "coffee-2",
            "Medical Wire",
            "Moderate coffee consumption is associated with a modestly lower incidence of "
            "atrial fibrillation, according to a cohort analysis of 48,612 adults.",
            "The study was observational and cannot show that coffee causes the lower risk, "
            "the authors wrote.",
            "The findings appear in the European Journal of Preventive Cardiology.",
        ),
    ]
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([cuts]))
    story, by_id = _as_story(pipeline, articles)
    brief = pipeline.brief(story, by_id)
    by_text = {s.text: s for s in brief.sentences}
    assert not by_text[cuts].supported
    served = [s.text for s in brief.sentences if s.supported]
    assert cuts not in served and len(served) >= 3, served
    assert not any("cuts the risk" in t for t in served), served
    assert "cuts" not in brief.headline.lower() or "risk" not in brief.headline.lower()

    # without the authors' caveat the line is the outlet's report, and served
    plain = [articles[0], _harbour("coffee-3", "Medical Wire", articles[1].text.split("\n")[0])]
    story, by_id = _as_story(pipeline, plain)
    brief = pipeline.brief(story, by_id)
    assert any(s.text == cuts and s.supported for s in brief.sentences)


def test_an_early_count_is_not_served_beside_a_later_one(embedder: Any) -> None:
    """From a review's election set: the count at 62 percent of polling stations, and an
    outlet's "early count" headline, beside the count at 98 percent."""
    early = (
        "With 62 percent of polling stations reporting, the National Alliance had 30.1 "
        "percent of the vote and the Social Democrats had 29.5 percent."
    )
    later = (
        "With 98 percent of votes counted, the Social Democrats had 31.4 percent, ahead of "
        "the National Alliance on 27.9 percent."
    )
    articles = [
        Article(
            id="count-1",
            outlet="Press Wire",
            title="Opposition leads early count in Estravia election",
            published=date(2026, 10, 12),
            text=f"{early}\nTurnout was 71.3 percent, the highest since 2008.\n",
        ),
        Article(
            id="count-2",
            outlet="Baltic News",
            title="Social Democrats win Estravia election",
            published=date(2026, 10, 12),
            text=f"{later}\nThe Greens gained six seats, their best ever result.\n",
        ),
    ]
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([early, later]))
    brief = _brief_of(pipeline, articles)
    by_text = {s.text: s for s in brief.sentences}
    assert not by_text[early].supported and by_text[later].supported
    served = [s.text for s in brief.sentences if s.supported]
    assert early not in served and len(served) >= 2, served
    # the scripted headline says nothing here, and the early count's title gives way
    assert brief.headline == "Social Democrats win Estravia election"


def test_a_forecast_from_earlier_days_is_not_served_where_later_days_tell_what_came(
    embedder: Any,
) -> None:
    """From a review's storm set: the forecast landfall and winds were served beside the
    landfall they foretold; a forecast of the latest day, and any forecast in a story of
    one day, are served."""
    told = "The storm was forecast to make landfall near Carrow Bay late Thursday."
    came = (
        "Hurricane Delia came ashore near Carrow Bay early on Friday as a Category 1 storm "
        "and killed four people."
    )
    later = "Forecasters said the remnants could bring heavy rain to Oklahoma on Saturday."

    def storm(first: date) -> list[Article]:
        return [
            Article(
                id="storm-1",
                outlet="Lone Star Daily",
                title="Delia strengthens as Texans flee coast",
                published=first,
                text=f"{told}\nLong lines of cars clogged Interstate 37 heading north.\n",
            ),
            Article(
                id="storm-2",
                outlet="Gulf Wire",
                title="Delia makes landfall in Texas, four dead",
                published=date(2026, 10, 9),
                text=f"{came}\n{later}\nAbout 210,000 homes were without power.\n",
            ),
        ]

    pipeline = Pipeline(
        Settings(keep_unsupported=True), embedder, _ScriptWriter([came, told, later])
    )
    brief = _brief_of(pipeline, storm(date(2026, 10, 7)))
    by_text = {s.text: s for s in brief.sentences}
    assert not by_text[told].supported
    assert by_text[came].supported and by_text[later].supported
    # one day's story: nothing has come yet that the forecast foretold
    brief = _brief_of(pipeline, storm(date(2026, 10, 9)))
    assert all(s.supported for s in brief.sentences)


def test_rumour_stage_lines_give_way_once_a_later_day_tells_the_deal_was_done(
    embedder: Any,
) -> None:
    """From a review's transfer set: "Northfield Rovers have not made a formal bid." and
    the like were served beside the signing, from articles days older; nor are they left
    to the top-up. Without a later day that settles the matter they are served."""
    talks = "Northfield Rovers have not made a formal bid for Mateo Linares, the people said."
    signed = (
        "Northfield Rovers have signed Mateo Linares from Sporting Aravel for 72 million euros."
    )
    older = Article(
        id="deal-1",
        outlet="Press Wire",
        title="Rovers in talks for Linares",
        published=date(2026, 1, 20),
        text=f"{talks}\nKingsport Albion remain interested in the player, one person said.\n"
        "Linares, 22, joined Aravel from Rosario Central in 2023 for 9 million euros.\n",
    )
    later = Article(
        id="deal-2",
        outlet="Sports Agency",
        title="Rovers sign Linares in club-record deal",
        published=date(2026, 1, 24),
        text=f"{signed}\nLinares has signed a contract until June 2031, the club said.\n",
    )
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([signed, talks]))
    brief = _brief_of(pipeline, [older, later])
    by_text = {s.text: s for s in brief.sentences}
    assert by_text[signed].supported and not by_text[talks].supported
    served = [s.text for s in brief.sentences if s.supported]
    assert not any("remain interested" in t for t in served), served
    assert any("Rosario Central" in t for t in served), served  # background stays

    # the talks alone, over days: nothing has settled them
    undone = Article(
        id="deal-3",
        outlet="Sports Agency",
        title="Rovers and Aravel still apart",
        published=date(2026, 1, 24),
        text="Talks between Rovers and Aravel resumed on Saturday, the clubs said.\n",
    )
    by_id = {p.article.id: p for p in pipeline.prepare([older, undone])}
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([talks]))
    brief = pipeline.brief(Story(id="deal", article_ids=tuple(by_id)), by_id)
    assert brief.sentences[0].text == talks and brief.sentences[0].supported


def test_proof_is_not_served_nor_headlined_where_most_reports_doubt_it(embedder: Any) -> None:
    """From a review's science set: the tabloid's title and its "have proved" line."""
    proved = (
        "Scientists have proved that animals with legs were walking on land 12 million years "
        "earlier than anyone thought."
    )
    articles = [
        Article(
            id="sci-1",
            outlet="Daily Flash",
            title="Scientists PROVE life walked on land 12 million years earlier",
            published=date(2026, 9, 16),
            text=f"{proved}\nThe footprints were found in a quarry at Vellum Ridge.\n",
        ),
        Article(
            id="sci-2",
            outlet="Press Wire",
            title="Fossil footprints may push back first steps on land",
            published=date(2026, 9, 16),
            text="Footprints in a quarry at Vellum Ridge may be the oldest known traces of "
            "four-limbed animals walking on land, researchers said.\n",
        ),
        Article(
            id="sci-3",
            outlet="Science Weekly",
            title="Are these the first footprints on land?",
            published=date(2026, 9, 16),
            text="The claim about the Vellum Ridge footprints is drawing pointed scepticism "
            "from researchers who were not involved in the study.\n",
        ),
    ]
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([proved]))
    brief = _brief_of(pipeline, articles)
    assert not any(s.supported and "proved" in s.text for s in brief.sentences)
    assert "PROVE" not in brief.headline


def test_a_running_measure_of_an_earlier_day_gives_way_to_the_latest(embedder: Any) -> None:
    """From a review's wildfire set: day one's "0 percent contained" was served beside day
    three's "11 percent contained"; the latest figure stays."""
    early = "The Carver Creek Fire was 0 percent contained, the Alder County Fire Authority said."
    late = "The Carver Creek Fire was 11 percent contained on Wednesday evening, officials said."
    articles = [
        Article(
            id="fire-1",
            outlet="Press Wire",
            title="Carver Creek Fire forces 1,200 to flee",
            published=date(2026, 8, 10),
            text=f"{early}\nAn evacuation center has opened at Dunmore Flats High School.\n",
        ),
        Article(
            id="fire-3",
            outlet="Press Wire",
            title="Carver Creek Fire nearly doubles to 14,000 acres",
            published=date(2026, 8, 12),
            text=f"{late}\nAbout 6,300 residents are under evacuation orders.\n",
        ),
    ]
    pipeline = Pipeline(Settings(keep_unsupported=True), embedder, _ScriptWriter([early, late]))
    brief = _brief_of(pipeline, articles)
    by_text = {s.text: s for s in brief.sentences}
    assert not by_text[early].supported and by_text[late].supported
    served = [s.text for s in brief.sentences if s.supported]
    assert any("evacuation center" in t for t in served), served  # no measure: it stays
