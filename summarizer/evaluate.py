"""``storybrief eval``: how good the briefs are, measured on a gold evaluation file.

The file is JSON lines in the format of ``multinews-attribution/dev.jsonl`` (one story
cluster a line: ``documents[]``, the reference summary ``response`` and the gold
attribution ``set_of_highlights_in_context[]``). In one run, on the same clusters:

* ROUGE-1/2/Lsum F1 (stemming on) of our brief, a lead baseline and a LexRank baseline
  against the reference, every system cut to the same number of words;
* citation alignment: for each reference sentence, is the aligner's top citation in a
  gold article (article hit), and does its sentence overlap a gold span (span overlap);
* faithfulness proxies of our brief (cited, supported, names and numbers found in the
  cited sentences);
* story grouping of all clusters' articles pooled (B-cubed precision/recall/F1);
* per-step timings and tokens.

The pure parts (reader, ROUGE, metrics) are functions over plain data; ``evaluate``
composes them with a ``Pipeline`` created by the caller.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from summarizer.errors import InputError
from summarizer.types import Article, BriefSentence, Length

if TYPE_CHECKING:  # pragma: no cover
    from summarizer.bench import RecordingGenerator
    from summarizer.pipeline import Pipeline, PreparedArticle

log = logging.getLogger(__name__)

ROUGE_KEYS = ("rouge1", "rouge2", "rougeLsum")
SYSTEMS = ("ours", "lead", "lexrank")

# targets from the project's quality bars
TARGET_ROUGE1_MARGIN = 3.0  # points above the better baseline
TARGET_ARTICLE_HIT = 0.90
TARGET_SPAN_OVERLAP = 0.75
TARGET_BCUBED_F1 = 0.95

Span = tuple[int, int]


# ---------------------------------------------------------------------- the eval file


@dataclass(frozen=True, slots=True)
class GoldAlignment:
    """One reference sentence and where the gold highlights put its support."""

    sentence: str
    spans: Mapping[str, tuple[Span, ...]]  # article id -> character spans in the original text


@dataclass(frozen=True, slots=True)
class EvalCluster:
    """A gold story: its articles, the human reference summary and the gold attribution."""

    id: str
    articles: tuple[Article, ...]
    reference: str
    alignments: tuple[GoldAlignment, ...]


def article_id_for(cluster_id: str, document_file: str) -> str:
    """Article ids unique across clusters: ``<cluster>-<file stem>``."""
    stem = document_file.rsplit(".", 1)[0] if "." in document_file else document_file
    return f"{cluster_id}-{stem}"


def _outlet(doc: Mapping[str, Any]) -> tuple[str, str | None]:
    url = doc.get("documentUrl")
    if isinstance(url, str) and url.strip() and url.strip() != "None":
        host = urlparse(url.strip()).netloc
        if host:
            return host.removeprefix("www."), url.strip()
    return str(doc["documentFile"]), None


def _spans(value: Any, where: str) -> tuple[Span, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: docSpanOffsets is not JSON: {exc.msg}") from exc
    if not isinstance(value, list):
        raise InputError(f"{where}: docSpanOffsets must be a list of [start, end]")
    out: list[Span] = []
    for pair in value:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(x, int) for x in pair)
            or pair[0] > pair[1]
        ):
            raise InputError(f"{where}: bad span {pair!r} in docSpanOffsets")
        out.append((int(pair[0]), int(pair[1])))
    return tuple(out)


def parse_cluster(row: Mapping[str, Any], where: str = "cluster") -> EvalCluster:
    """One line of the eval file as an ``EvalCluster`` (``InputError`` when malformed)."""
    try:
        cid = str(row["unique_id"])
        docs = row["documents"]
        reference = row["response"]
        highlights = row.get("set_of_highlights_in_context")
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{where}: missing field {exc}") from exc
    if highlights is None:
        highlights = []
    if not isinstance(highlights, list):
        raise InputError(f"{where}: set_of_highlights_in_context must be a list")
    if not isinstance(docs, list) or not docs:
        raise InputError(f"{where}: documents must be a non-empty list")
    if not isinstance(reference, str) or not reference.strip():
        raise InputError(f"{where}: response must be a non-empty string")
    articles: list[Article] = []
    ids: dict[str, str] = {}
    for i, doc in enumerate(docs):
        try:
            file = str(doc["documentFile"])
            text = doc["rawDocumentText"]
        except (KeyError, TypeError) as exc:
            raise InputError(f"{where}: document #{i} lacks {exc}") from exc
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: document {file} has no text")
        outlet, url = _outlet(doc)
        title = doc.get("documentTitle")
        aid = article_id_for(cid, file)
        if file in ids or aid in ids.values():
            raise InputError(
                f"{where}: document {file} gives the article id {aid!r} a document before it "
                "has (ids are <cluster>-<file name without its extension>)"
            )
        ids[file] = aid
        articles.append(
            Article(
                id=aid,
                outlet=outlet,
                text=text,
                title=title.strip() if isinstance(title, str) and title.strip() else None,
                url=url,
            )
        )
    by_sentence: dict[str, dict[str, list[Span]]] = {}
    for j, h in enumerate(highlights):
        hw = f"{where} highlight #{j}"
        try:
            sentence = str(h["scuSentence"]).strip()
            file = str(h["documentFile"])
            spans = _spans(h["docSpanOffsets"], hw)
        except (KeyError, TypeError) as exc:
            raise InputError(f"{hw}: missing field {exc}") from exc
        if file not in ids:
            raise InputError(f"{hw}: documentFile {file!r} is not one of the cluster's documents")
        if not sentence:
            continue
        by_sentence.setdefault(sentence, {}).setdefault(ids[file], []).extend(spans)
    alignments = tuple(
        GoldAlignment(s, {a: tuple(sorted(set(sp))) for a, sp in per.items()})
        for s, per in by_sentence.items()
    )
    return EvalCluster(cid, tuple(articles), reference.strip(), alignments)


def read_eval_file(path: str | Path, limit: int | None = None) -> list[EvalCluster]:
    """Read an eval file (JSON lines, one cluster a line); the first ``limit`` clusters."""
    p = Path(path)
    if not p.is_file():
        what = "is not a regular file" if p.exists() else "does not exist"
        raise InputError(f"evaluation file {p} {what}", "data")
    if limit is not None and limit < 1:
        raise InputError(f"limit must be at least 1, not {limit}", "limit")
    from summarizer.sentences import prepare_article

    out: list[EvalCluster] = []
    seen: dict[str, int] = {}  # cluster id -> line
    article_line: dict[str, int] = {}  # article id -> line
    try:
        with p.open("rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if lineno == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"{p}:{lineno}: not UTF-8 text (byte {raw[exc.start]:#04x})", "data"
                    ) from exc
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{p}:{lineno}: malformed JSON: {exc.msg}") from exc
                except (RecursionError, ValueError) as exc:
                    raise InputError(f"{p}:{lineno}: unreadable JSON ({exc})") from exc
                if not isinstance(row, dict):
                    raise InputError(f"{p}:{lineno}: a cluster must be a JSON object")
                cluster = parse_cluster(row, f"{p}:{lineno}")
                if cluster.id in seen:
                    raise InputError(
                        f"{p}:{lineno}: cluster id {cluster.id!r} appears twice "
                        f"(first at line {seen[cluster.id]})"
                    )
                seen[cluster.id] = lineno
                for art in cluster.articles:
                    if art.id in article_line:
                        raise InputError(
                            f"{p}:{lineno}: article id {art.id!r} is also an article of "
                            f"line {article_line[art.id]}"
                        )
                    article_line[art.id] = lineno
                    try:
                        prepare_article(art)
                    except InputError as exc:
                        raise InputError(f"{p}:{lineno}: {exc.message}") from exc
                out.append(cluster)
                if limit is not None and len(out) >= limit:
                    break
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}", "data") from exc
    if not out:
        raise InputError(f"{p}: no clusters in the file", "data")
    return out


# ---------------------------------------------------------------------- ROUGE


_segmenter: Any = None


def split_sentences(text: str) -> list[str]:
    """Sentences of a plain text (a reference summary) for ROUGE-Lsum."""
    global _segmenter
    if _segmenter is None:
        import pysbd

        _segmenter = pysbd.Segmenter(language="en", clean=False)
    return [s.strip() for s in _segmenter.segment(text) if s.strip()]


_scorer: Any = None


def rouge(candidate: Sequence[str], reference: Sequence[str]) -> dict[str, float]:
    """ROUGE-1/2/Lsum F1 (0..1, Porter stemming) of candidate sentences vs reference ones.

    Both sides are lists of sentences; Lsum reads them one per line.
    """
    global _scorer
    if isinstance(candidate, str) or isinstance(reference, str):
        raise InputError("rouge expects lists of sentences, not a string")
    if _scorer is None:
        from rouge_score import rouge_scorer

        _scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    cand = "\n".join(s.replace("\n", " ").strip() for s in candidate if s.strip())
    ref = "\n".join(s.replace("\n", " ").strip() for s in reference if s.strip())
    if not ref:
        raise InputError("the reference is empty")
    scores = _scorer.score(ref, cand)
    return {k: float(scores[k].fmeasure) for k in ROUGE_KEYS}


# ---------------------------------------------------------------------- alignment


@dataclass(frozen=True, slots=True)
class PredictedCitation:
    """The aligner's top citation for one reference sentence (None: it found nothing)."""

    article_id: str | None
    start: int = 0
    end: int = 0


def spans_overlap(a: Span, b: Span) -> bool:
    """Half-open character spans share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True, slots=True)
class AlignmentScores:
    sentences: int
    article_hits: int
    span_overlaps: int

    @property
    def article_hit_rate(self) -> float | None:
        """None when there was nothing to align (no gold highlights)."""
        return self.article_hits / self.sentences if self.sentences else None

    @property
    def span_overlap_rate(self) -> float | None:
        return self.span_overlaps / self.sentences if self.sentences else None

    def as_dict(self) -> dict[str, float | int | None]:
        hit, overlap = self.article_hit_rate, self.span_overlap_rate
        return {
            "sentences": self.sentences,
            "article_hits": self.article_hits,
            "span_overlaps": self.span_overlaps,
            "article_hit_rate": None if hit is None else round(hit, 4),
            "span_overlap_rate": None if overlap is None else round(overlap, 4),
        }


def alignment_scores(
    gold: Sequence[GoldAlignment], predicted: Sequence[PredictedCitation]
) -> AlignmentScores:
    """Article hit and span overlap of each prediction against its gold alignment."""
    if len(gold) != len(predicted):
        raise InputError(f"{len(gold)} gold alignments but {len(predicted)} predictions")
    hits = overlaps = 0
    for g, p in zip(gold, predicted, strict=True):
        if p.article_id is None or p.article_id not in g.spans:
            continue
        hits += 1
        if any(spans_overlap((p.start, p.end), s) for s in g.spans[p.article_id]):
            overlaps += 1
    return AlignmentScores(len(gold), hits, overlaps)


def add_scores(items: Iterable[AlignmentScores]) -> AlignmentScores:
    total = AlignmentScores(0, 0, 0)
    for s in items:
        total = AlignmentScores(
            total.sentences + s.sentences,
            total.article_hits + s.article_hits,
            total.span_overlaps + s.span_overlaps,
        )
    return total


# ---------------------------------------------------------------------- faithfulness

_SENTENCE_INITIAL = frozenset(
    """a an the this that these those he she it they we i you his her its their our my
    in on at of for from by with as after before but and or so if when while since
    there here what who which how why where yet also still meanwhile however according
    mr mrs ms dr sen rep gov pres""".split()
)


def _function_words() -> frozenset[str]:
    try:  # a maintained list of ~320 English function words, shipped with scikit-learn
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    except ImportError:  # pragma: no cover - scikit-learn comes with sentence-transformers
        return _SENTENCE_INITIAL
    return _SENTENCE_INITIAL | frozenset(ENGLISH_STOP_WORDS)


_FUNCTION_WORDS = _function_words()
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’\-]*[A-Za-z0-9]|\b[A-Z]\b")
# U.S., U.N., D.C.: letters with dots, read as one name; compared without the dots.
_DOTTED = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}")
# Where a sentence, or a quotation inside it, begins: a capital there may be a common word.
_OPENING = re.compile(r"^[\s\"'“‘(\[—–-]*$|[.!?:;][\s\"'“‘(\[—–-]*$")


def _norm_number(tok: str) -> str:
    return tok.replace(",", "").rstrip(".")


def _norm_name(tok: str) -> str:
    for suffix in ("'s", "’s"):
        if tok.endswith(suffix):
            tok = tok[: -len(suffix)]
    return tok


@dataclass(frozen=True, slots=True)
class Fact:
    """A checkable token of a sentence; ``opening`` when it starts the sentence or a quote
    (there "Police" is as likely the common word as a name)."""

    text: str
    opening: bool = False


def facts_of(text: str) -> list[Fact]:
    """The checkable facts of a sentence: numbers, and capitalised words (names).

    A capitalised word counts as a name unless it is a common function word (so the
    "The" or "Nothing" that opens a sentence is not a name); single letters are skipped,
    and dotted abbreviations (U.S.) count as one name without their dots. Numbers lose
    their thousands separators.
    """
    found: list[Fact] = []
    for m in _NUMBER.finditer(text):
        found.append(Fact(_norm_number(m.group())))
    for m in _DOTTED.finditer(text):
        found.append(Fact(m.group().replace(".", "")))
    for m in _NAME.finditer(text):
        tok = _norm_name(m.group())
        if len(tok) < 2 or tok.lower() in _FUNCTION_WORDS or tok[0].isdigit():
            continue
        found.append(Fact(tok, opening=_OPENING.search(text, 0, m.start()) is not None))
    return found


def names_and_numbers(text: str) -> list[str]:
    """The texts of :func:`facts_of`."""
    return [f.text for f in facts_of(text)]


def fact_found(fact: str | Fact, evidence: str) -> bool:
    """Whether a name or number occurs in the evidence text as a whole token.

    A name that opens its sentence is also found in lower case ("Police said" against
    "told police"); an abbreviation is found with or without dots ("US" in "U.S. forces").
    """
    if isinstance(fact, str):
        fact = Fact(fact)
    text = fact.text
    if text[0].isdigit():
        numbers = {_norm_number(n) for n in _NUMBER.findall(evidence)}
        return text in numbers
    if text.isupper() and text.isalpha() and 2 <= len(text) <= 5:
        dotted = {m.group().replace(".", "") for m in _DOTTED.finditer(evidence)}
        if text in dotted:
            return True
    flags = re.IGNORECASE if fact.opening else 0
    return re.search(rf"(?<![\w]){re.escape(text)}(?![\w])", evidence, flags) is not None


@dataclass(slots=True)
class Faithfulness:
    sentences: int = 0
    cited: int = 0
    supported: int = 0
    facts: int = 0
    facts_found: int = 0
    missing: list[str] = field(default_factory=list)

    def add(self, other: Faithfulness) -> None:
        self.sentences += other.sentences
        self.cited += other.cited
        self.supported += other.supported
        self.facts += other.facts
        self.facts_found += other.facts_found
        self.missing.extend(other.missing)

    def as_dict(self) -> dict[str, Any]:
        def share(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "sentences": self.sentences,
            "cited_share": share(self.cited, self.sentences),
            "supported_share": share(self.supported, self.sentences),
            "facts": self.facts,
            "facts_found_share": share(self.facts_found, self.facts),
            "facts_missing_examples": self.missing[:20],
        }


def faithfulness(sentences: Sequence[BriefSentence], threshold: float) -> Faithfulness:
    """Proxies for a brief: cited, supported, facts found.

    * cited: served with the citations the citer accepted. A sentence the citer refuses
      still carries the evidence nearest to it (``keep_unsupported``), which is no
      citation: counting any quote would make this share 1 whenever there is evidence.
    * supported: the support score, as the citer reports it, at or above ``threshold``,
      whatever the citer's other checks (quotation, speaker, first person) decided; a
      sentence that fails a check of its names and numbers has that score lowered
      (``cite.FAIL_FACTOR``), so it counts as unsupported here too.
    * facts found: the names and numbers of every sentence, refused ones too, looked up
      in the quotes it carries.

    ``sentences`` should include the sentences the pipeline marked unsupported (run it
    with ``keep_unsupported``), or every share is trivially 1.
    """
    out = Faithfulness()
    for s in sentences:
        out.sentences += 1
        if s.citations and s.supported:
            out.cited += 1
        if s.citations and s.support >= threshold:
            out.supported += 1
        evidence = "\n".join(c.quote for c in s.citations)
        for fact in facts_of(s.text):
            out.facts += 1
            if fact_found(fact, evidence):
                out.facts_found += 1
            else:
                out.missing.append(fact.text)
    return out


# ---------------------------------------------------------------------- helpers


def _mean(values: Sequence[float]) -> float:
    return round(statistics.fmean(values), 4) if values else 0.0


def _pct(x: float) -> float:
    return round(100.0 * x, 2)


@dataclass(frozen=True, slots=True)
class EvalOptions:
    length: Length = "standard"
    word_budget: int | None = None  # None: the length of our brief
    extractive: bool = False


Aligner = Callable[[EvalCluster, Sequence[GoldAlignment]], list[PredictedCitation]]


# ---------------------------------------------------------------------- the run


def evaluate(
    pipeline: Pipeline,
    clusters: Sequence[EvalCluster],
    options: EvalOptions | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every figure of one evaluation run as a JSON-ready dict."""
    from summarizer.baselines import lead_baseline, lexrank_baseline, word_count
    from summarizer.types import Story

    opts = options or EvalOptions()
    if not clusters:
        raise InputError("no clusters to evaluate")
    threshold = pipeline.settings.support_threshold
    per_cluster: list[dict[str, Any]] = []
    all_prepared: list[PreparedArticle] = []
    faith_total = Faithfulness()
    align_parts: list[AlignmentScores] = []
    cosine_parts: list[AlignmentScores] = []
    timing_rows: list[dict[str, float]] = []
    t_start = time.perf_counter()
    # One-time loads (the embedder's weights, what selection counts tokens with) are
    # timed apart: in the first cluster's steps they would be spread over every mean.
    warm = pipeline.prepare(list(clusters[0].articles))
    warm_by_id = {p.article.id: p for p in warm}
    pipeline.select(
        pipeline.material(Story(id="warm-up", article_ids=tuple(warm_by_id)), warm_by_id)
    )
    warm_up_s = time.perf_counter() - t_start

    for k, cluster in enumerate(clusters, start=1):
        t0 = time.perf_counter()
        prepared = pipeline.prepare(list(cluster.articles))
        t_prepare = time.perf_counter() - t0
        all_prepared.extend(prepared)
        by_id = {p.article.id: p for p in prepared}
        story = Story(id=f"eval-{cluster.id}", article_ids=tuple(by_id))
        recorder = _recorder(pipeline)
        if recorder is not None:
            recorder.last_result = None
        brief = pipeline.brief(story, by_id, length=opts.length, timings={"prepare": t_prepare})
        model_text = (
            recorder.last_result.text
            if recorder is not None and recorder.last_result is not None
            else None
        )
        served = [s for s in brief.sentences if s.supported]
        ours = [s.text for s in served]
        ours_words = sum(word_count(t) for t in ours)
        # with --words N every system is cut to N words; a brief shorter than N cuts the
        # baselines to its own length, so that all are still compared at the same length
        budget = ours_words if opts.word_budget is None else min(opts.word_budget, ours_words)
        ours_cut = list(ours) if opts.word_budget is None else _cut(ours, budget)

        # baselines read the same cleaned, split sentences (in the brief's article order)
        parts = [by_id[a] for a in brief.article_ids]
        lead = lead_baseline([[s.text for s in p.sentences] for p in parts], budget)
        sent_texts = [s.text for p in parts for s in p.sentences]
        vectors = (
            np.vstack([p.vectors for p in parts]) if sent_texts else np.zeros((0, 384), np.float32)
        )
        lexrank = lexrank_baseline(sent_texts, vectors, budget)

        ref_sents = split_sentences(cluster.reference)
        scores = {
            "ours": rouge(ours_cut, ref_sents),
            "lead": rouge(lead, ref_sents),
            "lexrank": rouge(lexrank, ref_sents),
        }

        predicted = align_reference(pipeline, cluster, by_id)
        align = alignment_scores(cluster.alignments, predicted)
        align_parts.append(align)
        cosine_parts.append(
            alignment_scores(
                cluster.alignments, align_reference(pipeline, cluster, by_id, lexical=False)
            )
        )

        faith = faithfulness(brief.sentences, threshold)
        faith_total.add(faith)
        timings = dict(brief.timings)
        timings["total"] = round(time.perf_counter() - t0, 4)
        timing_rows.append(timings)

        per_cluster.append(
            {
                "id": cluster.id,
                "articles": len(cluster.articles),
                "reference_words": word_count(cluster.reference),
                "word_budget": budget,
                "brief_sentences": len(brief.sentences),
                "served_sentences": len(served),
                "extractive_fallback": brief.extractive_fallback,
                "fallback_reason": brief.fallback_reason,
                "rouge": {sys: {k2: _pct(v) for k2, v in sc.items()} for sys, sc in scores.items()},
                "alignment": align.as_dict(),
                "faithfulness": faith.as_dict(),
                "timings": timings,
                "headline": brief.headline,
                "brief": ours,
                # every sentence the pipeline wrote, refused ones too, with the quotes that
                # support it: what a reader checks a brief against
                "sentences": [
                    {
                        "text": s.text,
                        "origin": s.origin,
                        "supported": s.supported,
                        "support": round(s.support, 3),
                        "quotes": [f"{c.outlet}: {c.quote}" for c in s.citations],
                    }
                    for s in brief.sentences
                ],
                "model_text": model_text if brief.extractive_fallback else None,
            }
        )
        if progress:
            r1 = per_cluster[-1]["rouge"]
            progress(
                f"[{k}/{len(clusters)}] {cluster.id}: R1 ours {r1['ours']['rouge1']:.1f} "
                f"lead {r1['lead']['rouge1']:.1f} lexrank {r1['lexrank']['rouge1']:.1f}; "
                f"{timings['total']:.1f}s"
            )

    gold = {a.id: c.id for c in clusters for a in c.articles}
    grouping = grouping_scores(pipeline, all_prepared, gold)
    return summarise_run(
        per_cluster,
        align_parts,
        faith_total,
        timing_rows,
        grouping,
        opts,
        pipeline,
        cosine_alignment=add_scores(cosine_parts),
        wall_s=time.perf_counter() - t_start,
        warm_up_s=warm_up_s,
    )


def _recorder(pipeline: Pipeline) -> RecordingGenerator | None:
    from summarizer.bench import RecordingGenerator

    gen = pipeline.generator
    return gen if isinstance(gen, RecordingGenerator) else None


def _cut(sentences: Sequence[str], n_words: int) -> list[str]:
    from summarizer.baselines import cut_to_words

    return cut_to_words(sentences, n_words)


def align_reference(
    pipeline: Pipeline,
    cluster: EvalCluster,
    prepared: Mapping[str, PreparedArticle],
    *,
    lexical: bool = True,
) -> list[PredictedCitation]:
    """The aligner's top citation for each gold reference sentence of the cluster.

    Candidates are every sentence of the cluster's cleaned articles, with the vectors the
    pipeline computed for them.
    """
    from summarizer.cite import align_reference as align

    if not cluster.alignments:
        return []
    texts = [g.sentence for g in cluster.alignments]
    parts = list(prepared.values())
    candidates = [s for p in parts for s in p.sentences]
    cand_vectors = (
        np.vstack([p.vectors for p in parts]) if candidates else np.zeros((0, 384), np.float32)
    )
    found = align(
        texts, pipeline.embedder.encode(texts), candidates, cand_vectors, top_k=1, lexical=lexical
    )
    return [
        PredictedCitation(hits[0].sentence.article_id, hits[0].sentence.start, hits[0].sentence.end)
        if hits
        else PredictedCitation(None)
        for hits in found
    ]


def grouping_scores(
    pipeline: Pipeline, prepared: Sequence[Any], gold: Mapping[str, str]
) -> dict[str, Any]:
    """B-cubed P/R/F1 of story grouping over the pooled articles of every cluster;
    ``gold`` maps each article id to its true cluster."""
    from summarizer.cluster import StoryIndex, bcubed

    index = StoryIndex()
    t0 = time.perf_counter()
    joined = pipeline.assign(prepared, index)
    seconds = time.perf_counter() - t0
    gold = {p.article.id: gold[p.article.id] for p in prepared}
    p, r, f1 = bcubed(joined, gold)
    return {
        "articles": len(joined),
        "gold_clusters": len(set(gold.values())),
        "stories": len(set(joined.values())),
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(f1), 4),
        "seconds": round(seconds, 3),
    }


def summarise_run(
    per_cluster: Sequence[Mapping[str, Any]],
    align_parts: Sequence[AlignmentScores],
    faith: Faithfulness,
    timing_rows: Sequence[Mapping[str, float]],
    grouping: Mapping[str, Any],
    opts: EvalOptions,
    pipeline: Pipeline,
    *,
    cosine_alignment: AlignmentScores | None = None,
    wall_s: float,
    warm_up_s: float = 0.0,
) -> dict[str, Any]:
    """Means over clusters, totals, targets and the configuration of the run."""
    rouge_mean = {
        sys: {k: round(_mean([c["rouge"][sys][k] for c in per_cluster]), 2) for k in ROUGE_KEYS}
        for sys in SYSTEMS
    }
    align = add_scores(align_parts)
    steps = sorted({k for row in timing_rows for k in row})
    timings = {
        "mean": {k: _mean([row.get(k, 0.0) for row in timing_rows]) for k in steps},
        "total": {k: round(sum(row.get(k, 0.0) for row in timing_rows), 3) for k in steps},
        # loading the embedder and what selection needs, once, before the first cluster
        "warm_up_s": round(warm_up_s, 3),
    }
    best_baseline = max(rouge_mean["lead"]["rouge1"], rouge_mean["lexrank"]["rouge1"])
    margin = round(rouge_mean["ours"]["rouge1"] - best_baseline, 2)
    gen = pipeline.generator
    # an extractive run has no model to fall back from
    fallbacks = None if gen is None else sum(1 for c in per_cluster if c["extractive_fallback"])
    return {
        "config": {
            "clusters": len(per_cluster),
            "length": opts.length,
            "word_budget": opts.word_budget if opts.word_budget is not None else "brief",
            "extractive": opts.extractive,
            "model": gen.name if gen is not None else "extractive",
            "backend": gen.backend if gen is not None else "none",
            "support_threshold": pipeline.settings.support_threshold,
            "evidence_token_budget": pipeline.settings.evidence_token_budget,
            "prompt_lookup": pipeline.settings.prompt_lookup,
            "top_up": pipeline.settings.top_up,
            "threads": pipeline.settings.threads,
            "max_new_tokens": pipeline.settings.max_new_tokens,
            "generation_timeout_s": pipeline.settings.generation_timeout_s,
        },
        "rouge": rouge_mean,
        "rouge1_margin_over_best_baseline": margin,
        "alignment": align.as_dict(),
        "alignment_cosine_only": cosine_alignment.as_dict() if cosine_alignment else None,
        "faithfulness": faith.as_dict(),
        "grouping": dict(grouping),
        "timings": timings,
        "tokens": token_rates(timing_rows),
        "extractive_fallbacks": fallbacks,
        "targets": {
            "rouge1_margin": _target(margin, TARGET_ROUGE1_MARGIN),
            "article_hit_rate": _target(align.article_hit_rate, TARGET_ARTICLE_HIT),
            "span_overlap_rate": _target(align.span_overlap_rate, TARGET_SPAN_OVERLAP),
            "bcubed_f1": _target(float(grouping["f1"]), TARGET_BCUBED_F1),
        },
        "wall_s": round(wall_s, 2),
        "clusters": list(per_cluster),
    }


def token_rates(timing_rows: Sequence[Mapping[str, float]]) -> dict[str, Any]:
    """Tokens over the run, and generation speed as the bench counts it: the prompt tokens
    llama.cpp took from its KV cache (the shared instructions) were never evaluated, and
    the first new token comes with the prefill, before decoding is timed."""
    prompt = int(sum(row.get("prompt_tokens", 0.0) for row in timing_rows))
    completion = int(sum(row.get("completion_tokens", 0.0) for row in timing_rows))
    cached = int(sum(row.get("prompt_cached_tokens", 0.0) for row in timing_rows))
    decoded = sum(
        max(0.0, row["completion_tokens"] - 1) for row in timing_rows if "completion_tokens" in row
    )
    prefill_s = sum(row.get("prefill", 0.0) for row in timing_rows)
    decode_s = sum(row.get("decode", 0.0) for row in timing_rows)
    return {
        "prompt": prompt,
        "prompt_cached": cached,
        "completion": completion,
        "prefill_tokens_per_s": round((prompt - cached) / prefill_s, 2) if prefill_s else None,
        "decode_tokens_per_s": round(decoded / decode_s, 2) if decode_s else None,
    }


def _target(value: float | None, target: float) -> dict[str, Any]:
    """A figure against its target; ``None`` (not measured) meets nothing and fails nothing."""
    if value is None:
        return {"value": None, "target": target, "met": None}
    return {"value": round(value, 4), "target": target, "met": value >= target}
