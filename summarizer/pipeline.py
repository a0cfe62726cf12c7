"""Articles in, cited briefs out: the only place that composes the steps.

``Pipeline`` owns no models: the caller (the CLI's main, the service's lifespan) creates
the embedder and the generator once and passes them in. Two ways in:

* ``summarize(articles)``: stateless, every story of an article set gets a brief;
* ``prepare`` + ``assign`` + ``brief``: incremental, for callers that keep a
  ``StoryIndex`` between calls (the service), so new articles join existing stories.
"""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from summarizer.backends.base import Generator
from summarizer.cite import (
    causation_denied,
    cause_as_fact,
    cite_drafts,
    claims_proof,
    conflicting_age,
    correction_notice,
    count_progress,
    dangling_pronoun,
    denies_the_brief,
    first_person_at,
    forecast,
    gives_up_money,
    headline_grounded,
    measures,
    opinion_article,
    pending,
    proof_contested,
    quoted_speech,
    revised_figures,
    settled,
    stale_count,
    stale_toll,
    states_revised_figure,
    states_withdrawn,
    states_withdrawn_claim,
    story_name_words,
    story_surnames,
    superseded_measure,
    text_facts,
    withdrawn_claims,
    withdrawn_counts,
    withdrawn_reports,
)
from summarizer.clean import find_repeated_lines, lines_outside
from summarizer.cluster import ArticleProfile, StoryIndex, profile_article
from summarizer.days import date_relative_days
from summarizer.dedup import dedup_sentences
from summarizer.embed import Embedder
from summarizer.errors import EmptyTextError, InputError
from summarizer.generate import (
    GenerationOutcome,
    clip_headline,
    evidence_text,
    extractive_drafts,
    generate_brief_drafts,
    generation_config,
    headline_from_sentence,
    make_headline,
    mend_quotes,
    near_duplicate,
)
from summarizer.select import MMR_LAMBDA, back_reference, select_evidence
from summarizer.sentences import prepare_article
from summarizer.settings import Settings
from summarizer.types import (
    LENGTH_SENTENCES,
    Article,
    Brief,
    BriefSentence,
    BriefStats,
    CleanText,
    DedupStats,
    Evidence,
    Length,
    ModelInfo,
    Segment,
    Sentence,
    SentenceGroup,
    Source,
    Story,
    same_article,
    same_words,
)

log = logging.getLogger(__name__)

EXTRACTIVE_MODEL = ModelInfo(name="extractive", backend="none", sha256="")
# Two served sentences at or above this cosine say the same thing: the one that carries
# less is dropped (the top-up then fills its place), and a top-up sentence must stay below
# it against every served sentence.
REPEAT_SIMILARITY = 0.75
# Why a brief has no sentence: every candidate was refused as fact.
#: An evidence budget that every story fits (for an extractive brief, which has no model).
UNBOUNDED_TOKENS = 10**9
# sentences embedded at once when ``prepare`` is given a ``check`` (about 2 s on two cores):
# a request's deadline is looked at between them
PREPARE_CHUNK = 1024
NOTHING_SERVABLE = (
    "no sentence of this story can be served as fact: its text is in the writer's own "
    "voice (I, we) or is quoted words without a speaker"
)
# Selection weight of a group no article states in a voice a brief can serve (a quotation
# piece with no speaker, the writer's first person): the model would copy it in vain.
UNSPEAKABLE_WEIGHT = 0.6


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article cleaned, split and embedded: the unit every later step reads."""

    article: Article
    clean: CleanText
    sentences: tuple[Sentence, ...]
    vectors: np.ndarray  # one L2-normalised row per sentence


@dataclass(frozen=True, slots=True)
class CleanedSet:
    """Articles cleaned and split, not yet embedded (``Pipeline.clean_set``)."""

    articles: tuple[Article, ...]
    cleaned: tuple[tuple[CleanText, list[Sentence]], ...]

    def part(self, start: int, stop: int) -> CleanedSet:
        return CleanedSet(self.articles[start:stop], self.cleaned[start:stop])

    def __len__(self) -> int:
        return len(self.articles)


# a test of a line (its text, the ids of the articles that carry it) against what its story
# says later or elsewhere (``overtaken_lines``)
Overtaken = Callable[[str, Sequence[str]], bool]


@dataclass(frozen=True, slots=True)
class StoryMaterial:
    """What selection reads for one story: its articles deduplicated into sentence groups."""

    parts: list[PreparedArticle]  # reading order
    articles: dict[str, Article]
    sentences: list[Sentence]
    vectors: np.ndarray  # one row per sentence
    row_of: dict[tuple[str, int], int]  # sentence key -> row of ``vectors``
    groups: list[SentenceGroup]
    group_vectors: np.ndarray  # one row per group (its representative's vector)
    stats: DedupStats
    reusable: dict[int, bool]  # group id -> some article states it in a voice a brief can serve
    left_out: int = 0  # sentences past ``Settings.max_story_sentences`` (``_leading_sentences``)
    overtaken: Overtaken | None = None  # lines the story overtakes or denies (``overtaken_lines``)


# Top-ups of a short brief: a top-up line refused in turn (it says "he" of nobody named, or
# gives what the story has overtaken) leaves its place to another round, up to this many
TOP_UP_ROUNDS = 3

# A story whose dated articles span this many days or more gets dated evidence: reports of
# one event on two dates a day apart (time zones, a late edition) are one day's news.
DATED_STORY_DAYS = 2


def story_days(parts: Sequence[PreparedArticle]) -> dict[str, date] | None:
    """Article id -> publication date when a story's articles were published at least
    ``DATED_STORY_DAYS`` apart (the evidence is then dated, ``generate.evidence_line``),
    else None.

    Measured on four story sets that change over days: a storm brief then led with the
    landfall and its toll instead of the forecast, and a launch headline said the rocket
    lifted off instead of that it failed (an earlier abort); the seed story (two dates,
    one day apart) came out vaguer when dated, so it is not."""
    days = {p.article.id: p.article.published for p in parts if p.article.published}
    if not days or (max(days.values()) - min(days.values())).days < DATED_STORY_DAYS:
        return None
    return days


class _Timer:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round(self.steps.get(name, 0.0) + time.perf_counter() - t0, 4)


def _distinct(
    evidence: Sequence[Evidence], vector: Callable[[Evidence], np.ndarray]
) -> list[Evidence]:
    """``evidence`` less each line that repeats a better-scored one (cosine of at least
    ``REPEAT_SIMILARITY``, or a near-duplicate by words), so that extracts chosen together
    say different things ("Lisbon's metro was shut down ..." and "Metro workers in Lisbon
    walked out ..." are one fact), and less pieces of cut sentences (``_fragment``) while
    there are whole ones."""
    kept: list[Evidence] = []
    vectors: list[np.ndarray] = []
    whole = [e for e in evidence if not _fragment(evidence_text(e.group))]
    for e in sorted(whole or evidence, key=lambda e: (-e.score, e.n)):
        v = vector(e)
        text = evidence_text(e.group)
        if any(float(u @ v) >= REPEAT_SIMILARITY for u in vectors) or any(
            near_duplicate(evidence_text(k.group), text) for k in kept
        ):
            continue
        kept.append(e)
        vectors.append(v)
    return sorted(kept, key=lambda e: e.n)


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def _fragment(text: str) -> bool:
    """Whether an evidence line is a piece of a sentence the splitter had to cut (one too
    long to keep whole): it starts in lower case or does not end as a sentence does.
    Served verbatim, "and which burned through sector 8 ...," reads as nothing."""
    t = text.strip()
    return not t or t[0].islower() or not _SENTENCE_END.search(t)


def _leading_sentences(counts: Sequence[int], cap: int) -> list[int]:
    """How many leading sentences of each article (sentence counts ``counts``, in reading
    order) a story keeps within ``cap`` in all: the same number of each, as many as fit, so
    that every article keeps its lead, where news puts the gist. With more articles than
    ``cap``, the latest ``cap`` keep their first sentence."""
    if sum(counts) <= cap:
        return list(counts)
    if len(counts) > cap:
        return [0] * (len(counts) - cap) + [min(c, 1) for c in counts[-cap:]]
    lo, hi = 1, max(counts)  # the most sentences per article that fit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(c, mid) for c in counts) <= cap:
            lo = mid
        else:
            hi = mid - 1
    return [min(c, lo) for c in counts]


def _order_key(article: Article) -> tuple[str, str]:
    return (article.published.isoformat() if article.published else "9999", article.id)


class Pipeline:
    """The summarisation pipeline over models created by the caller."""

    def __init__(
        self, settings: Settings, embedder: Embedder, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generator = generator

    # ------------------------------------------------------------------ ingest side

    def prepare(
        self, articles: Sequence[Article], *, check: Callable[[], None] | None = None
    ) -> list[PreparedArticle]:
        """Clean, split and embed articles (one batched embedding call for all of them).

        A copy of an article already in the set (``same_article``) is prepared once; another
        article under the same id is refused. ``check`` (a deadline's) is called after each
        article is split and before each ``PREPARE_CHUNK`` sentences are embedded, so a
        caller can stop a long preparation by raising from it."""
        return self.embed_cleaned(self.clean_set(articles, check=check), check=check)

    def clean_set(
        self, articles: Sequence[Article], *, check: Callable[[], None] | None = None
    ) -> CleanedSet:
        """The first half of ``prepare``: the distinct articles of a set, cleaned and split
        (lines repeated across the set's articles are site furniture). ``embed_cleaned``
        of its parts (``CleanedSet.part``) gives what ``prepare`` gives, in pieces that a
        caller can run one at a time between other work."""
        kept, cleaned = self._clean_all(articles, check)
        return CleanedSet(tuple(kept), tuple(cleaned))

    def embed_cleaned(
        self, cleaned: CleanedSet, *, check: Callable[[], None] | None = None
    ) -> list[PreparedArticle]:
        """The second half of ``prepare``: the sentences of ``cleaned`` embedded."""
        texts = [s.text for _, sents in cleaned.cleaned for s in sents]
        if not texts:
            vectors = np.zeros((0, 384), np.float32)
        elif check is None or len(texts) <= PREPARE_CHUNK:
            vectors = self.embedder.encode(texts)
        else:
            parts = []
            for k in range(0, len(texts), PREPARE_CHUNK):
                check()
                parts.append(self.embedder.encode(texts[k : k + PREPARE_CHUNK]))
            vectors = np.vstack(parts)
        out: list[PreparedArticle] = []
        pos = 0
        for article, (clean, sents) in zip(cleaned.articles, cleaned.cleaned, strict=True):
            out.append(
                PreparedArticle(article, clean, tuple(sents), vectors[pos : pos + len(sents)])
            )
            pos += len(sents)
        return out

    def check_texts(self, articles: Sequence[Article]) -> None:
        """The input errors ``prepare`` would raise (a text that cleans to nothing, one id
        for two texts), without embedding: a fraction of its cost."""
        self._clean_all(articles, None)

    def _clean_all(
        self, articles: Sequence[Article], check: Callable[[], None] | None
    ) -> tuple[list[Article], list[tuple[CleanText, list[Sentence]]]]:
        """The distinct articles of a set, each cleaned and split."""
        unique: dict[str, Article] = {}
        for a in articles:
            first = unique.setdefault(a.id, a)
            if first is not a and not same_article(first, a):
                raise InputError(f"duplicate article id {a.id!r} in one request", field="id")
        kept = list(unique.values())
        # Lines repeated verbatim across several articles of the set (site furniture
        # shared by outlets) are boilerplate too. Copies of one text count once, and an
        # article those lines would empty keeps them (they were its text, not furniture).
        distinct = list({same_words(a.text): a.text for a in kept}.values())
        common = find_repeated_lines(distinct) if len(distinct) >= 3 else None
        cleaned = []
        for a in kept:
            cleaned.append(self._prepare_one(a, common))
            if check is not None:
                check()
        return kept, cleaned

    @staticmethod
    def _prepare_one(article: Article, common: set[str] | None) -> tuple[CleanText, list[Sentence]]:
        if not common:
            return prepare_article(article)
        try:
            return prepare_article(article, common_lines=common)
        except EmptyTextError:
            return prepare_article(article)

    def restore(
        self, article: Article, vectors: np.ndarray, spans: Sequence[Sequence[int]]
    ) -> PreparedArticle | None:
        """Rebuild a prepared article from stored sentence vectors without re-embedding.

        The text is cleaned and split again; the vectors are reused when the sentences
        come out at the same ``spans`` they were stored with. Lines dropped at ingest
        because other articles of the set repeated them are dropped again: they are the
        lines no stored sentence touches. Where today's cleaner or splitter gives other
        sentences, the stored ones are taken as stored if the vectors fit them
        (``_vectors_fit``); else None: prepare it anew.
        """
        found = _resplit(article, spans)
        if found is None or vectors.shape[0] != len(found[1]):
            return None
        clean, sents, exact = found
        if not exact and not self._vectors_fit(sents, vectors):
            return None  # spans taken as stored must be the sentences the vectors are of
        return PreparedArticle(article, clean, tuple(sents), vectors)

    def _vectors_fit(self, sents: Sequence[Sentence], vectors: np.ndarray) -> bool:
        """Whether stored vectors are those of ``sents``: the first, middle and last
        sentence embedded again come out within ``VECTOR_FIT`` cosine of their stored rows.
        Spans or a text that changed under them (another text under the same id) fail, and
        so do rows shifted by a sentence more or less anywhere before the middle or the end.
        Costs one small embedding call per article restored this way (about 10 ms)."""
        if not sents:
            return False
        picks = sorted({0, len(sents) // 2, len(sents) - 1})
        fresh = self.embedder.encode([sents[i].text for i in picks])
        return all(float(fresh[j] @ vectors[i]) >= VECTOR_FIT for j, i in enumerate(picks))

    @staticmethod
    def resplit(
        article: Article, spans: Sequence[Sequence[int]]
    ) -> tuple[CleanText, list[Sentence]] | None:
        """The article cleaned and split again into the sentences stored at ``spans``.

        Lines dropped at ingest because other articles of the set repeated them are dropped
        again: they are the lines no stored sentence touches. Where the cleaner or the
        splitter has changed since the article was stored, the stored sentences are taken
        as they are (``_from_spans``): the article stays what it was at ingest, and a rule
        that would now drop its text (or all of it) does not turn stored data into an
        input error. None for a damaged record.
        """
        found = _resplit(article, spans)
        return None if found is None else (found[0], found[1])

    def assign(self, prepared: Sequence[PreparedArticle], index: StoryIndex) -> dict[str, str]:
        """Add articles to the story index together (order-independent); article -> story id."""
        return index.extend(self.profile(p) for p in prepared)

    @staticmethod
    def profile(prepared: PreparedArticle) -> ArticleProfile:
        """What grouping needs of a prepared article."""
        return profile_article(prepared.article, prepared.sentences, prepared.vectors)

    # ------------------------------------------------------------------ brief side

    def brief(
        self,
        story: Story,
        prepared: Mapping[str, PreparedArticle],
        *,
        length: Length | None = None,
        timings: Mapping[str, float] | None = None,
    ) -> Brief:
        """Write one cited brief for ``story`` from its prepared articles."""
        length = length or self.settings.length
        _check_length(length)
        timer = _Timer()
        timer.steps.update(timings or {})
        with timer.step("dedup"):
            material = self.material(story, prepared)
        parts, articles = material.parts, material.articles
        vectors, row_of, stats = material.vectors, material.row_of, material.stats
        n_sentences = LENGTH_SENTENCES[length]
        with timer.step("select"):
            evidence = self.select(material)
            over_budget = not evidence and bool(material.groups)
            if over_budget:  # no sentence fits the model's budget; an extract needs none
                evidence = self.select(material, budget_tokens=UNBOUNDED_TOKENS)
        reusable = material.reusable
        speakable = [e for e in evidence if reusable[e.group.id]]
        # an extractive brief leaves out stray pieces of quotations, unless nothing else is left
        extractable = speakable or list(evidence)

        def distinct_extracts() -> list[Evidence]:
            return _distinct(extractable, lambda e: vectors[row_of[e.group.representative.key]])

        with timer.step("generate"):
            if over_budget and self.generator is not None:
                budget = self.settings.evidence_token_budget
                outcome = GenerationOutcome(
                    headline=None,
                    drafts=[],
                    result=None,
                    fallback=True,
                    fallback_reason=f"no sentence of this story fits the model's evidence "
                    f"budget ({budget} tokens)",
                )
            else:
                outcome = self._drafts(evidence, n_sentences, story_days(material.parts))
            if outcome.fallback:
                outcome = replace(
                    outcome, drafts=extractive_drafts(distinct_extracts(), n_sentences)
                )
        member_vectors = {
            m.key: vectors[row_of[m.key]] for ev in evidence for m in ev.group.members
        }
        # an early count where the story has a later one, a forecast where later days tell
        # what came, and "cuts the risk" where a line of the story says its study shows no
        # cause are not served (nor shown to the model as a line it may serve)
        story_text = [s.text for p in parts for s in p.sentences]
        outdates = material.overtaken
        overtaken = (
            None
            if outdates is None
            else lambda s: outdates(s.text, [c.article_id for c in s.citations])
        )
        keep = self.settings.keep_unsupported
        with timer.step("cite"):
            read_in_order = _reading_in_order(parts)
            draft_vectors: dict[str, np.ndarray] = {}
            cited = self._cite(outcome, evidence, member_vectors, articles, draft_vectors)
            if not any(s.supported for s in cited) and not outcome.fallback:
                log.warning("story %s: no generated sentence was supported; extractive", story.id)
                outcome = GenerationOutcome(
                    headline=None,  # an outlet's title, as for every extractive brief
                    drafts=extractive_drafts(distinct_extracts(), n_sentences),
                    result=outcome.result,
                    fallback=True,
                    fallback_reason="no generated sentence was supported by the evidence",
                )
                cited = self._cite(outcome, evidence, member_vectors, articles)
            if outcome.fallback:
                cited = [s.model_copy(update={"origin": "extract"}) for s in cited]
            else:
                cited, repeats = _drop_repeats(cited, draft_vectors)
                cited = _first_served(cited, n_sentences)
                said = list(repeats)
                # before each top-up, so that it fills the place of a line refused here
                # (a top-up line refused in turn leaves its place to the next round)
                for round_ in range(TOP_UP_ROUNDS):
                    cited, dangling = read_in_order(cited, keep)
                    cited, outdated = _refuse(cited, overtaken, keep, "overtaken or denied")
                    said += [*dangling, *outdated]
                    if not self.settings.top_up or (round_ and not (dangling or outdated)):
                        break
                    cited = self._top_up(
                        cited,
                        evidence,
                        speakable,
                        member_vectors,
                        articles,
                        n_sentences,
                        draft_vectors,
                        said=said,
                    )

            # an extract, or a top-up line, may say "he" of a person no line has named, or
            # give another age
            cited, _ = read_in_order(cited, keep)
            cited, _ = _refuse(cited, overtaken, keep, "overtaken or denied")

        # a count a correction withdrew ("said three workers had been killed") is not
        # served, unless from the correction itself
        withdrawn = withdrawn_counts([p.article.text for p in parts])
        if withdrawn:
            cited = _without_withdrawn(cited, withdrawn, keep)
        # a line cut from a quotation that runs across sentences gets the marks it lacks
        cited = [s.model_copy(update={"text": mend_quotes(s.text)}) for s in cited]
        # "on Monday" from articles of different days: each gets its date
        cited = date_relative_days(cited, {p.article.id: p.article.published for p in parts})
        sources = [
            Source(
                n=i,
                article_id=p.article.id,
                outlet=p.article.outlet,
                title=p.article.title,
                url=p.article.url,
                published=p.article.published.isoformat() if p.article.published else None,
            )
            for i, p in enumerate(parts, start=1)
        ]
        reason = outcome.fallback_reason
        if not any(s.supported for s in cited):
            # why the model's brief was not used, when there was a model to use
            reason = (
                f"{reason}; {NOTHING_SERVABLE}" if reason and self.generator else NOTHING_SERVABLE
            )
        model = self.model_info()
        result = outcome.result
        if result is not None:
            timer.steps["prefill"] = round(result.prefill_s, 4)
            timer.steps["decode"] = round(result.decode_s, 4)
            timer.steps["prompt_tokens"] = float(result.prompt_tokens)
            timer.steps["completion_tokens"] = float(result.completion_tokens)
            if "prompt_cached_tokens" in result.extra:
                timer.steps["prompt_cached_tokens"] = float(result.extra["prompt_cached_tokens"])
        headline = outcome.headline
        if headline is not None and not headline_grounded(headline, cited):
            log.info("model headline says more than the served brief: %r", headline)
            headline = None
        if headline is not None and (
            stale_toll(headline, story_text)
            or states_withdrawn(headline, withdrawn)
            or (outdates is not None and outdates(headline, ()))
        ):
            log.info("model headline gives what the story has changed or denied: %r", headline)
            headline = None
        return Brief(
            story_id=story.id,
            article_ids=[p.article.id for p in parts],
            headline=headline
            or _headline(
                evidence,
                parts,
                material.reusable,
                story_text,
                served=[s.text for s in cited if s.supported],
                withdrawn=withdrawn,
                outdated=outdates,
            ),
            sentences=cited,
            sources=sources,
            stats=BriefStats(
                articles=len(parts),
                sentences_in=stats.sentences_in,
                groups=stats.groups,
                duplicates_removed=stats.duplicates_removed,
                sentences_left_out=material.left_out,
            ),
            model=model,
            extractive_fallback=outcome.fallback,
            fallback_reason=reason,
            timings=timer.steps,
            length=length,
        )

    def material(self, story: Story, prepared: Mapping[str, PreparedArticle]) -> StoryMaterial:
        """A story's articles in reading order, deduplicated, with the weights selection uses."""
        missing = [a for a in story.article_ids if a not in prepared]
        if missing:
            raise InputError(f"story {story.id} refers to unknown articles {missing}")
        parts = sorted(
            (prepared[a] for a in story.article_ids), key=lambda p: _order_key(p.article)
        )
        keep = _leading_sentences(
            [len(p.sentences) for p in parts], self.settings.max_story_sentences
        )
        sentences = [s for p, k in zip(parts, keep, strict=True) for s in p.sentences[:k]]
        vectors = (
            np.vstack([p.vectors[:k] for p, k in zip(parts, keep, strict=True)])
            if sentences
            else np.zeros((0, 384), np.float32)
        )
        left_out = sum(len(p.sentences) for p in parts) - len(sentences)
        if left_out:
            log.info(
                "story %s: %d sentences, %d of them left out (max_story_sentences %d)",
                story.id, len(sentences) + left_out, left_out, self.settings.max_story_sentences,
            )  # fmt: skip
        row_of = {s.key: i for i, s in enumerate(sentences)}
        articles = {p.article.id: p.article for p in parts}
        groups, stats = dedup_sentences(sentences, vectors)
        group_vectors = (
            np.vstack([vectors[row_of[g.representative.key]] for g in groups])
            if groups
            else np.zeros((0, vectors.shape[1] if vectors.ndim == 2 else 384), np.float32)
        )
        # lines a brief cannot serve in its own voice: a withdrawn report's, an opinion's
        aside = withdrawn_reports(list(articles.values())) | {
            aid for aid, a in articles.items() if opinion_article(a)
        }
        # and lines the story has overtaken or denies: an early count, an old forecast
        overtaken = overtaken_lines(parts)
        return StoryMaterial(
            parts=parts,
            articles=articles,
            sentences=sentences,
            vectors=vectors,
            row_of=row_of,
            groups=groups,
            group_vectors=group_vectors,
            stats=stats,
            reusable={
                g.id: _reusable(g, articles, aside)
                and not (
                    overtaken is not None
                    and overtaken(g.representative.text, [m.article_id for m in g.members])
                )
                for g in groups
            },
            left_out=left_out,
            overtaken=overtaken,
        )

    def select(
        self,
        material: StoryMaterial,
        *,
        mmr_lambda: float | None = None,
        budget_tokens: int | None = None,
    ) -> list[Evidence]:
        """The evidence shown to the model, within the settings' token budget.

        ``mmr_lambda`` overrides selection's relevance/novelty trade-off (for studies);
        ``budget_tokens`` the budget.
        """
        count_tokens = self.generator.count_tokens if self.generator else _approx_tokens
        return select_evidence(
            material.groups,
            material.group_vectors,
            count_tokens=count_tokens,
            budget_tokens=budget_tokens or self.settings.evidence_token_budget,
            n_articles=len(material.parts),
            weights=[
                1.0 if material.reusable[g.id] else UNSPEAKABLE_WEIGHT for g in material.groups
            ],
            lambda_=MMR_LAMBDA if mmr_lambda is None else mmr_lambda,
            days=story_days(material.parts),
        )

    def model_info(self) -> ModelInfo:
        """The model a brief from this pipeline names (no model is loaded to say so)."""
        gen = self.generator
        if gen is None:
            return EXTRACTIVE_MODEL
        return ModelInfo(name=gen.name, backend=gen.backend, sha256=gen.sha256)

    def _drafts(
        self,
        evidence: Sequence[object],
        n_sentences: int,
        days: Mapping[str, date] | None = None,
    ) -> GenerationOutcome:
        from summarizer.types import Evidence

        ev = [e for e in evidence if isinstance(e, Evidence)]
        if self.generator is None:
            return GenerationOutcome(
                headline=None,
                drafts=extractive_drafts(ev, n_sentences),
                result=None,
                fallback=True,
                fallback_reason="no generator configured",
            )
        config = generation_config(
            self.settings.max_new_tokens,
            self.settings.repeat_penalty,
            self.settings.generation_timeout_s,
            n_sentences,
        )
        return generate_brief_drafts(
            self.generator, ev, n_sentences=n_sentences, config=config, days=days
        )

    def _cite(
        self,
        outcome: GenerationOutcome,
        evidence: Sequence[object],
        member_vectors: Mapping[tuple[str, int], np.ndarray],
        articles: Mapping[str, Article],
        vectors_out: dict[str, np.ndarray] | None = None,
    ) -> list[BriefSentence]:
        """Cite ``outcome``'s drafts; their vectors go into ``vectors_out`` (by text)."""
        from summarizer.types import Evidence

        ev = [e for e in evidence if isinstance(e, Evidence)]
        drafts = outcome.drafts
        draft_vectors = (
            self.embedder.encode([d.text for d in drafts])
            if drafts
            else np.zeros((0, 384), np.float32)
        )
        if vectors_out is not None:
            vectors_out.update(zip((d.text for d in drafts), draft_vectors, strict=True))
        return cite_drafts(
            drafts,
            ev,
            draft_vectors,
            member_vectors,
            articles,
            threshold=self.settings.support_threshold,
            keep_unsupported=self.settings.keep_unsupported,
        )

    def _top_up(
        self,
        cited: list[BriefSentence],
        evidence: Sequence[Evidence],
        candidates: Sequence[Evidence],
        member_vectors: Mapping[tuple[str, int], np.ndarray],
        articles: Mapping[str, Article],
        n_sentences: int,
        draft_vectors: dict[str, np.ndarray],
        *,
        said: Sequence[BriefSentence] = (),
    ) -> list[BriefSentence]:
        """Fill a brief that came out short with evidence sentences, verbatim and cited.

        A brief is short when the model wrote fewer sentences than asked or some were
        dropped as unsupported. The extra sentences come from ``candidates`` (the evidence
        less the pieces of quotations whose speaker they do not name) that no served
        sentence already cites and that say nothing a served sentence says (cosine below
        ``REPEAT_SIMILARITY``, and not a near-duplicate by words), best-scored first,
        and go after the model's sentences with ``origin="extract"``. ``draft_vectors``
        holds the vectors the citer computed for the drafts (by text), so the served
        sentences are not embedded twice; the top-up lines' are added to it. ``said``
        (sentences dropped as repeats of served ones, or refused) counts as served here:
        neither their evidence nor its like comes back.
        """
        served = [s for s in cited if s.supported]
        missing = n_sentences - len(served)
        if missing <= 0 or not evidence:
            return cited
        told = [*served, *said]  # what the brief says, and the repeats dropped from it
        quoted = {(c.article_id, c.start, c.end) for s in told for c in s.citations}
        told_vectors = (
            np.stack([draft_vectors[s.text] for s in told])
            if told
            else np.zeros((0, 384), np.float32)
        )
        spare: list[Evidence] = []
        for e in candidates:
            if any((m.article_id, m.start, m.end) in quoted for m in e.group.members):
                continue
            text = evidence_text(e.group)
            if told:
                rep = member_vectors[e.group.representative.key]
                if float(np.max(told_vectors @ rep)) >= REPEAT_SIMILARITY:
                    continue
                if any(near_duplicate(s.text, text) for s in told):
                    continue
            spare.append(e)
        spare = _distinct(spare, lambda e: member_vectors[e.group.representative.key])
        if not spare:
            return cited
        outcome = GenerationOutcome(
            headline=None,
            drafts=extractive_drafts(spare, min(missing, len(spare))),
            result=None,
            fallback=True,
        )
        extra = [
            s.model_copy(update={"origin": "extract"})
            for s in self._cite(outcome, evidence, member_vectors, articles, draft_vectors)
            if s.supported
        ]
        log.info("brief topped up with %d evidence sentence(s)", len(extra))
        return [*cited, *extra]

    # ------------------------------------------------------------------ stateless

    def summarize(
        self, articles: Iterable[Article], *, length: Length | None = None
    ) -> list[Brief]:
        """Group an article set into stories and brief every story (newest story last)."""
        return list(self.iter_briefs(articles, length=length))

    def iter_briefs(
        self,
        articles: Iterable[Article],
        *,
        length: Length | None = None,
        check: Callable[[], None] | None = None,
    ) -> Iterator[Brief]:
        """Like ``summarize`` but yields each brief as soon as it is written; ``check`` as
        for ``prepare``."""
        _check_length(length)  # before any work: preparing may take minutes
        timer = _Timer()
        items = list(articles)
        if not items:
            raise InputError("no articles given")
        with timer.step("prepare"):
            prepared = self.prepare(items, check=check)
        index = StoryIndex()
        with timer.step("group"):
            self.assign(prepared, index)
        by_id = {p.article.id: p for p in prepared}
        shared = {k: round(v / max(1, len(index.stories())), 4) for k, v in timer.steps.items()}
        for story in index.stories():
            if check is not None:
                check()  # before each story: one past the deadline is not begun
            yield self.brief(story, by_id, length=length, timings=shared)


def _check_length(length: object) -> None:
    if length is not None and length not in LENGTH_SENTENCES:
        raise InputError(
            f"length must be one of {sorted(LENGTH_SENTENCES)}, not {length!r}", "length"
        )


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


_CONNECTIVE = re.compile(
    r"^\W*(?:however|but|and|yet|still|meanwhile|instead|also|nevertheless|moreover|besides"
    r"|thus|therefore|in\s+addition|even\s+so)\b(?!['’])",
    re.IGNORECASE,
)


# "these claims", "such incidents", "that number" early in a sentence: a thing named in a
# line before it. "That" is also a conjunction and a relative pronoun ("said that prices
# rose", "a company that owns"), so it counts only before a singular noun that stands for
# something already told ("said that students would" is a conjunction); "this week" and
# the like point at the calendar, not back.
_DEMONSTRATIVE = re.compile(
    r"\b(?:(?:this|these|those|such)\s+(?!(?:week|weekend|year|month|morning|afternoon"
    r"|evening|night|spring|summer|fall|autumn|winter|season|time|days?|quarter|term|past"
    r"|is|was|are|were"
    r"|has|had|have|will|would|could|can|may|might|should|must|the|a|an|and|or|as|of"
    r"|to|in|on|at|for|with|by|from|that|who|which)\b)[a-z]"
    r"|that\s+(?:number|figure|total|amount|count|peak|rate|level|share|decision|move|plan"
    r"|deal|claim|case|incident|issue|report|statement|change|event|attack|effort|sum"
    r"|practice|policy|law|bill|idea|approach|man|woman|person|boy|girl|child|student"
    r"|company|group|city|country)\b)"
)
_DEMONSTRATIVE_WORDS = 10  # how far into a sentence a demonstrative still points back


def _leans_back(text: str) -> bool:
    """Whether a sentence opens by pointing back: a pronoun or demonstrative (``He``,
    ``This``: ``select.back_reference``), a connective (``However``, ``But``), or a
    demonstrative noun phrase in its first words ("Census said that number is up")."""
    if back_reference(text) or _CONNECTIVE.match(text) is not None:
        return True
    head = " ".join(text.split()[:_DEMONSTRATIVE_WORDS])
    return _DEMONSTRATIVE.search(head) is not None


def _headline(
    evidence: Sequence[Evidence],
    parts: Sequence[PreparedArticle],
    reusable: Mapping[int, bool] | None = None,
    story_text: Sequence[str] = (),
    served: Sequence[str] = (),
    withdrawn: Sequence[tuple[str, list[str]]] = (),
    outdated: Overtaken | None = None,
) -> str:
    """The headline of a brief the model gave none for: an outlet's own headline first.

    That of the top evidence's article, else any article's title, passing over a title
    whose death toll ``story_text`` says has since risen ("at least 12 dead" where "the
    toll rose to 15"), whose count a correction of the story withdrew (``withdrawn``,
    ``withdrawn_counts``), or that says
    nobody was hurt where a ``served`` line says somebody was, or that the story
    outdates or denies (``outdated``, ``overtaken_lines``: an early count, a forecast),
    while another title is left; a cut-down evidence
    sentence only when no article of the story has a title, and only one a brief could
    serve (``reusable``: not the writer's "I" or "we", nor a quotation that does not say
    who speaks); else "Story from <outlet>".
    """
    ranked = sorted(evidence, key=lambda e: (-e.score, e.n))
    by_id = {p.article.id: p.article for p in parts}
    ordered = [
        by_id[m.article_id] for e in ranked for m in e.group.members if m.article_id in by_id
    ]
    titled = [a for a in [*ordered, *by_id.values()] if a.title and a.title.strip()]
    current = [
        a
        for a in titled
        if not stale_toll(a.title or "", story_text)
        and not states_withdrawn(a.title or "", withdrawn)
        and not denies_the_brief(a.title or "", served)
        and not (outdated is not None and outdated(a.title or "", [a.id]))
    ]
    for article in current or titled:
        return clip_headline(article.title or "")
    if reusable is not None:
        ranked = [e for e in ranked if reusable.get(e.group.id, False)]
    # "However, people with ...", "She had ...": a line that leans on the one before it
    # says less on its own than a headline must
    standalone = [e for e in ranked if not _leans_back(evidence_text(e.group))]
    cut = make_headline(standalone or ranked)
    if cut:
        return cut
    if reusable is None and parts and parts[0].sentences:
        first = headline_from_sentence(parts[0].sentences[0].text)
        if first:
            return first
    return f"Story from {parts[0].article.outlet}" if parts else "Untitled story"


VECTOR_FIT = 0.95  # cosine of a sentence embedded again to its stored vector (bf16 ~0.99)


def _resplit(
    article: Article, spans: Sequence[Sequence[int]]
) -> tuple[CleanText, list[Sentence], bool] | None:
    """``Pipeline.resplit``, and whether today's cleaner gave the stored spans (True) or
    they were taken as stored (False)."""
    try:
        stored = [[int(a), int(b)] for a, b in spans]
    except (TypeError, ValueError):  # a damaged record: prepare the article anew
        return None

    def as_stored() -> tuple[CleanText, list[Sentence], bool] | None:
        found = _from_spans(article, stored)
        return None if found is None else (found[0], found[1], False)

    try:
        clean, sents = prepare_article(article)
    except EmptyTextError:  # a later cleaner empties what an earlier one kept
        return as_stored()
    if [[x.start, x.end] for x in sents] != stored:
        dropped = lines_outside(article.text, stored)
        if not dropped:
            return as_stored()
        try:
            clean, sents = prepare_article(article, common_lines=dropped)
        except EmptyTextError:
            return as_stored()
        if [[x.start, x.end] for x in sents] != stored:
            return as_stored()
    return clean, sents, True


def _from_spans(
    article: Article, spans: Sequence[Sequence[int]]
) -> tuple[CleanText, list[Sentence]] | None:
    """The sentences stored at ``spans`` of ``article.text``, each a segment of its own;
    None when a span does not fit the text (a damaged record, or another text)."""
    text = article.text
    segments: list[Segment] = []
    sentences: list[Sentence] = []
    parts: list[str] = []
    pos = 0
    last = 0
    for a, b in spans:
        piece = text[a:b] if 0 <= a < b <= len(text) and a >= last else ""
        if not piece or piece != piece.strip() or _inside_word(text, a) or _inside_word(text, b):
            return None
        if parts:
            pos += 1
        segments.append(Segment(clean_start=pos, orig_start=a, length=b - a))
        sentences.append(
            Sentence(
                article_id=article.id,
                outlet=article.outlet,
                index=len(sentences),
                start=a,
                end=b,
                text=piece,
            )
        )
        parts.append(piece)
        pos += b - a
        last = b
    if not sentences:
        return None
    clean = CleanText(article_id=article.id, text="\n".join(parts), segments=tuple(segments))
    return clean, sentences


def _inside_word(text: str, i: int) -> bool:
    """Whether offset ``i`` falls between two letters or digits of one word."""
    return 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum()


def _numbers(text: str) -> frozenset[str]:
    return text_facts(text).numbers


def _first_served(cited: Sequence[BriefSentence], n_sentences: int) -> list[BriefSentence]:
    """``cited`` up to its ``n_sentences``-th supported sentence (the model may write more
    drafts than asked: the cite step keeps the first it can support)."""
    out: list[BriefSentence] = []
    served = 0
    for s in cited:
        if served >= n_sentences:
            break
        out.append(s)
        served += s.supported
    return out


def _drop_repeats(
    cited: Sequence[BriefSentence], vectors: Mapping[str, np.ndarray]
) -> tuple[list[BriefSentence], list[BriefSentence]]:
    """The served sentences less those that say again what earlier ones say; and those.

    A sentence repeats an earlier served one when their cosine reaches
    ``REPEAT_SIMILARITY`` or their words nearly coincide (a model often restates its
    opening in the words of another outlet). Such a sentence is dropped when every number
    in it is already in the sentences kept so far; it takes the earlier one's place when
    it carries every number of that one and more; otherwise both stay (each adds a fact).
    A restatement in other words ("Spain's 2-1 win over Italy" after "Spain beat Italy
    2-1") is not caught: a rule by numbers and names alone also dropped sentences that
    add a fact ("The 12 suspects were later charged" after "Police arrested 12 people").
    Unsupported sentences are left as they are. ``vectors`` holds each sentence's vector
    by text, as the citer computed it.
    """
    out: list[BriefSentence | None] = list(cited)
    dropped: list[BriefSentence] = []
    for i, s in enumerate(cited):
        if not s.supported:
            continue
        kept = [(j, k) for j, k in enumerate(out[:i]) if k is not None and k.supported]
        for j, k in kept:
            cosine = float(np.dot(vectors[s.text], vectors[k.text]))
            if cosine < REPEAT_SIMILARITY and not near_duplicate(s.text, k.text):
                continue
            numbers, known = (
                _numbers(s.text),
                frozenset().union(*(_numbers(x.text) for _, x in kept)),
            )
            if numbers <= known:
                out[i] = None
                dropped.append(s)
            elif _numbers(k.text) <= numbers:
                out[j], out[i] = s, None
                dropped.append(k)
            else:
                continue
            log.info("dropped a sentence that repeats another (cosine %.2f)", cosine)
            break
    return [s for s in out if s is not None], dropped


def _without_withdrawn(
    cited: Sequence[BriefSentence], withdrawn: Sequence[tuple[str, list[str]]], keep: bool
) -> list[BriefSentence]:
    """``cited`` less the served sentences that state a count a correction withdrew
    (``withdrawn_counts``), unless they cite the correction; with ``keep``
    (``keep_unsupported``) they stay, marked unsupported (``_refuse``)."""

    def withdrawn_figure(s: BriefSentence) -> bool:
        return states_withdrawn(s.text, withdrawn) and not any(
            correction_notice(c.quote) or gives_up_money(c.quote) for c in s.citations
        )

    return _refuse(cited, withdrawn_figure, keep, "a figure the story's correction withdrew")[0]


def _refuse(
    cited: Sequence[BriefSentence],
    test: Callable[[BriefSentence], bool] | None,
    keep: bool,
    what: str,
) -> tuple[list[BriefSentence], list[BriefSentence]]:
    """``cited`` less the served sentences ``test`` refuses, and those (none when ``test``
    is None); with ``keep`` (``keep_unsupported``) they stay, marked unsupported. ``what``
    names the fault in the log."""
    if test is None:
        return list(cited), []
    out: list[BriefSentence] = []
    refused: list[BriefSentence] = []
    for s in cited:
        if s.supported and test(s):
            log.info("%s, not served: %s", what, s.text)
            refused.append(s)
            if keep:
                out.append(s.model_copy(update={"supported": False}))
            continue
        out.append(s)
    return out, refused


def overtaken_lines(parts: Sequence[PreparedArticle]) -> Overtaken | None:
    """The test for lines the story itself has overtaken or denies, given a line's text
    and the ids of the articles that carry it; None when the story gives no ground:

    * a count the story has since taken further (``stale_count``: "With 62 percent of
      polling stations reporting ..." beside "With 98 percent of votes counted ...");
    * a cause where a line says its study shows none (``cause_as_fact``: "cuts the risk"
      beside "cannot show that coffee causes the lower risk");
    * proof, where more of its articles doubt or hedge than claim it (``proof_contested``:
      "Scientists have proved ..." beside "may be the oldest known traces");
    * a figure its source revised (``states_revised_figure``: "about 1.3 million
      customers" after "raised its estimate ... to about 2.1 million, from the 1.3
      million");
    * a claim its maker withdrew, stated as made (``states_withdrawn_claim``: "broke the
      women's 10,000 meters world record" after "withdrew their announcement that ...
      had set a women's 10,000 meters world record");
    * in a story of several days (``story_days``), a line that only articles of days
      before its latest carry: a forecast (``forecast``: "The storm was forecast to make
      landfall near Carrow Bay late Thursday"), and, where the latest day tells that the
      matter was settled (``settled``: "have signed"), a matter told as still open
      (``pending``: "Northfield Rovers have not made a formal bid"), and a running
      measure that the latest day gives with other values only (``superseded_measure``:
      "was 0 percent contained" where the latest day says "11 percent contained").
    """
    story_text = [x.text for p in parts for x in p.sentences]
    progress = count_progress(story_text)
    no_cause = causation_denied(story_text)
    article_text = [p.article.text for p in parts]
    contested = proof_contested(article_text)
    claims = withdrawn_claims(article_text)
    revised = revised_figures(article_text)
    days = story_days(parts)
    latest = max(days.values()) if days else None
    if not (progress is not None or no_cause or contested or claims or revised or latest):
        return None
    last_day = [
        x.text for p in parts if days and days.get(p.article.id) == latest for x in p.sentences
    ]
    closed = any(settled(t) for t in last_day)
    last_measures: dict[str, set[str]] = {}
    for t in last_day:
        for unit, values in measures(t).items():
            last_measures.setdefault(unit, set()).update(values)

    def test(text: str, article_ids: Sequence[str]) -> bool:
        if (
            stale_count(text, progress)
            or (no_cause and cause_as_fact(text))
            or (contested and claims_proof(text))
            or states_withdrawn_claim(text, claims)
            or states_revised_figure(text, revised)
        ):
            return True
        if days is None or latest is None or not article_ids:
            return False
        if not (
            forecast(text) or (closed and pending(text)) or superseded_measure(text, last_measures)
        ):
            return False
        return all((day := days.get(a)) is not None and day < latest for a in article_ids)

    return test


Reading = Callable[[Sequence[BriefSentence], bool], tuple[list[BriefSentence], list[BriefSentence]]]


def _reading_in_order(parts: Sequence[PreparedArticle]) -> Reading:
    """The reader of a brief's lines in its order, for a story of ``parts``: it returns
    the lines less the served sentences that say "he" or "she" of a person the brief has
    not named (``dangling_pronoun``: each cited sentence is read with up to three
    sentences before it in its article) or give a person another age than a served line
    before them (``conflicting_age``), and those. With ``keep`` (``keep_unsupported``)
    they stay, marked unsupported. What it reads of the story (its sentences, the words
    it writes as names) is gathered once, here, for every round of a brief."""
    lines = {p.article.id: p.sentences for p in parts}
    starts = {aid: [x.start for x in sents] for aid, sents in lines.items()}
    texts = [x.text for sents in lines.values() for x in sents]
    known = story_name_words(texts)
    surnames = story_surnames(texts, known)

    def read(
        cited: Sequence[BriefSentence], keep: bool
    ) -> tuple[list[BriefSentence], list[BriefSentence]]:
        if not any(s.supported for s in cited):
            return list(cited), []
        told: list[str] = []
        out: list[BriefSentence] = []
        refused: list[BriefSentence] = []
        for s in cited:
            if not s.supported:
                out.append(s)
                continue
            sources = []
            for c in s.citations:
                sents = lines.get(c.article_id, ())
                i = bisect.bisect_right(starts.get(c.article_id, []), c.start) - 1
                sources.append((c.quote, [x.text for x in sents[max(0, i - 3) : max(0, i)]]))
            if dangling_pronoun(s.text, told, sources, known, surnames) or conflicting_age(
                s.text, told, known
            ):
                log.info(
                    "a line that says 'he' of nobody named, or another age, not served: %s",
                    s.text,
                )
                refused.append(s)
                if keep:
                    out.append(s.model_copy(update={"supported": False}))
                continue
            told.append(s.text)
            out.append(s)
        return out, refused

    return read


def _reusable(
    group: SentenceGroup, articles: Mapping[str, Article], aside: frozenset[str] = frozenset()
) -> bool:
    """Whether some article carrying ``group`` says it in a voice a brief can reuse.

    Not reusable: a speakerless quotation (``"This is a disgrace.`` opening a quote whose
    speaker comes later), which means little served on its own, and a writer speaking in
    the first person (``I am not wearing one``, ``Our correspondent says ...``), and any
    line of an article in ``aside``: an opinion piece (``opinion_article``) or a report its
    outlet withdrew (``withdrawn_reports``).
    """
    for m in group.members:
        article = articles[m.article_id]
        if m.article_id in aside:
            continue  # its writer's views, or a withdrawn claim
        text = article.text
        if not (quoted_speech(text, m.start, m.end) or first_person_at(text, m.start, m.end)):
            return True
    return False
