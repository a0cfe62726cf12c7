"""The records that flow through the pipeline.

Internal records are frozen dataclasses; the public contract (``Brief`` and its parts) is a
set of pydantic models, so the REST service, the CLI and files all serialise it the same way.
Provenance (article id + character offsets into the *original* text) travels with every
piece of text until the citation is written.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from summarizer.errors import InputError

Length = Literal["short", "standard", "long"]
LENGTH_SENTENCES: dict[str, int] = {"short": 3, "standard": 5, "long": 8}


def same_words(text: str) -> str:
    """``text`` with every run of whitespace made one space and none at the ends: the form
    in which two copies of an article that differ only in spacing are one text."""
    return " ".join(text.split())


def fold_accents(word: str) -> str:
    """``word`` without accents: "Medellín" and "Medellin", "Zoë" and "Zoe" are one name in
    two spellings. A word that folds to nothing stays as it is."""
    if word.isascii():
        return word
    folded = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return folded or word


def same_article(a: Article, b: Article) -> bool:
    """Whether ``b`` is a copy of ``a``: the same id, url and text (whitespace aside)."""
    return copy_key(a) == copy_key(b)


def copy_key(article: Article) -> str:
    """What ``same_article`` compares, as one short digest (a run keeps it for every
    article read, not the text)."""
    key = "\x00".join((article.id, article.url or "", same_words(article.text)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def derive_article_id(url: str | None, text: str) -> str:
    """A stable id for an article: from its url when it has one, else from its text."""
    basis = url.strip() if url and url.strip() else text
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Article:
    """One article as it arrived (text as scraped)."""

    id: str
    outlet: str
    text: str
    title: str | None = None
    url: str | None = None
    published: date | None = None

    def __post_init__(self) -> None:
        # the library's own callers build articles from checked input; this stops a
        # library user's wrong type here, with the field's name, instead of deep inside
        for name in ("id", "outlet", "text"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise InputError(
                    f"article {name} must be a string, not {type(value).__name__}", field=name
                )
        for name in ("title", "url"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InputError(
                    f"article {name} must be a string or None, not {type(value).__name__}",
                    field=name,
                )
        if self.published is not None and not isinstance(self.published, date):
            raise InputError(
                "article published must be a datetime.date or None, not "
                f"{type(self.published).__name__} (parse strings with summarizer.io.parse_date)",
                field="published",
            )


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of kept text: ``clean[clean_start:clean_start+length] == original[orig_start:...]``."""

    clean_start: int
    orig_start: int
    length: int


@dataclass(frozen=True, slots=True)
class CleanText:
    """An article's text with boilerplate removed, and the map back to original offsets.

    ``text`` is the kept segments joined by single newlines; each segment is a contiguous
    slice of the original text, so a sentence inside one segment maps back exactly.
    """

    article_id: str
    text: str
    segments: tuple[Segment, ...]
    removed: tuple[tuple[int, int, str], ...] = ()  # (orig_start, orig_end, rule name)

    def to_original(self, clean_offset: int) -> int:
        """Map an offset in ``text`` to the offset in the original article text."""
        for seg in self.segments:
            if seg.clean_start <= clean_offset <= seg.clean_start + seg.length:
                return seg.orig_start + (clean_offset - seg.clean_start)
        raise ValueError(f"offset {clean_offset} lies outside every kept segment")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence with its provenance: ``text == article.text[start:end]`` (original text)."""

    article_id: str
    outlet: str
    index: int  # position of the sentence within its article (0-based)
    start: int
    end: int
    text: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.article_id, self.index)


@dataclass(frozen=True, slots=True)
class Story:
    """A group of articles about one event; ``id`` is stable across runs and additions."""

    id: str
    article_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SentenceGroup:
    """Sentences that say the same thing across articles, with one representative."""

    id: int
    representative: Sentence
    members: tuple[Sentence, ...]  # the representative included

    @property
    def outlets(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for m in self.members:
            seen.setdefault(m.outlet, None)
        return tuple(seen)

    @property
    def article_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for m in self.members:
            seen.setdefault(m.article_id, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class DedupStats:
    sentences_in: int
    groups: int

    @property
    def duplicates_removed(self) -> int:
        return self.sentences_in - self.groups


@dataclass(frozen=True, slots=True)
class Evidence:
    """A selected sentence group, numbered for the prompt (``n`` starts at 1)."""

    n: int
    group: SentenceGroup
    score: float


@dataclass(frozen=True, slots=True)
class Draft:
    """One sentence written by the model, with the evidence numbers it claimed."""

    text: str
    hints: tuple[int, ...] = ()


@dataclass(slots=True)
class Timings:
    steps: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- public contract


class Citation(BaseModel):
    article_id: str
    outlet: str
    url: str | None = None
    quote: str = Field(description="exact text at start:end of the article's original text")
    start: int
    end: int


class BriefSentence(BaseModel):
    text: str
    support: float = Field(description="support score of the best citation, 0..1")
    citations: list[Citation]
    supported: bool = True
    origin: Literal["model", "extract"] = Field(
        "model",
        description="model: written by the generator; extract: an evidence sentence verbatim "
        "(an extractive brief, or a top-up of a brief that came out short)",
    )


class Source(BaseModel):
    n: int
    article_id: str
    outlet: str
    title: str | None = None
    url: str | None = None
    published: str | None = None


class BriefStats(BaseModel):
    articles: int
    sentences_in: int
    groups: int
    duplicates_removed: int
    # sentences of a very large story left out of deduplication and selection: every
    # article's last ones (``Settings.max_story_sentences``); 0 for all but huge stories
    sentences_left_out: int = 0


class ModelInfo(BaseModel):
    name: str
    backend: str
    sha256: str


class Brief(BaseModel):
    """One consolidated, cited brief for a story: the public JSON contract."""

    story_id: str
    article_ids: list[str]
    headline: str
    sentences: list[BriefSentence]
    sources: list[Source]
    stats: BriefStats
    model: ModelInfo
    extractive_fallback: bool
    timings: dict[str, float]
    length: Length = "standard"
    fallback_reason: str | None = None
