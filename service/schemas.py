"""Request and response bodies: ``ArticleIn`` / ``ArticlePublic``, ``{data, count}`` lists.

Input models refuse unknown fields and wrong types (no coercion of numbers into strings);
``to_articles()`` builds the library's ``Article`` records through
``summarizer.io.article_from_dict``, so the service and the CLI validate the same way.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from summarizer.errors import InputError
from summarizer.io import (
    HTML_MESSAGE,
    ID_UNSEEN,
    URL_SCHEME_MESSAGE,
    WEB_URL,
    article_from_dict,
    control_character_problem,
    looks_like_html,
    parse_date,
)
from summarizer.types import Article, Brief, Length, same_article

# an id is an address: no path separator nor whitespace, besides what no id may hold, in
# the CLI's files too (``ID_UNSEEN``: control characters, and invisible format characters
# that would let two ids look alike)
_BAD_ID = re.compile(r"[/\s]|" + ID_UNSEEN.pattern)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class ArticleIn(_Input):
    """One article as scraped: plain text, not HTML."""

    id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="your id; default: derived from the url, else from the text",
    )
    outlet: str = Field(min_length=1, max_length=300, description="who published it")
    title: str | None = Field(default=None, max_length=1000)
    url: str | None = Field(default=None, max_length=2000)
    published: date | None = Field(
        None,
        description="ISO date (a datetime is cut to its date); from 1800 to 2 days after today",
    )
    text: str = Field(min_length=1, description="the article text as scraped (not HTML)")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "ap-2023-10-19-lavrov",
                    "outlet": "AP",
                    "title": "Russia's foreign minister visits Pyongyang",
                    "url": "https://news.example/lavrov-pyongyang",
                    "published": "2023-10-19",
                    "text": "Russian Foreign Minister Sergey Lavrov arrived in Pyongyang on "
                    "Wednesday for talks with North Korean officials. ...",
                }
            ]
        },
    )

    @field_validator("id", "outlet", "title", "url", mode="before")
    @classmethod
    def _strings_only(cls, v: Any) -> Any:
        if v is not None and not isinstance(v, str):
            raise ValueError(f"must be a string, not {type(v).__name__}")
        return v

    @field_validator("outlet", "title", "url")
    @classmethod
    def _no_control_characters(cls, v: str | None, info: ValidationInfo) -> str | None:
        # the library's rule, which the CLI's file readers ask too
        if v is not None and (problem := control_character_problem(info.field_name or "", v)):
            raise ValueError(problem)
        return v

    @field_validator("url")
    @classmethod
    def _url_without_spaces(cls, v: str | None) -> str | None:
        if v is not None and len(v.split()) > 1:
            raise ValueError("url must not contain spaces, tabs or line breaks")
        if v is not None and v.strip() and not WEB_URL.match(v.strip()):
            raise ValueError(URL_SCHEME_MESSAGE)
        return v

    @field_validator("id")
    @classmethod
    def _addressable_id(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and (not v.strip() or _BAD_ID.search(v) or v in (".", "..")):
            # "." and ".." would name the path's folders: /v1/articles/.. is /v1
            raise ValueError(
                "id must be non-blank, not '.' or '..', without '/', whitespace, control "
                "characters or invisible format characters"
            )
        stored = isinstance(info.context, dict) and info.context.get("stored")
        if v is not None and not stored and unicodedata.normalize("NFC", v) != v:
            # (an article stored with its job before this rule keeps its id)
            # "café" written with a combining accent looks like the precomposed one
            raise ValueError(
                "id must be in Unicode normal form C (accents composed: é, not e + U+0301); "
                f"send {unicodedata.normalize('NFC', v)!r}"
            )
        return v

    @field_validator("published", mode="before")
    @classmethod
    def _plausible_date(cls, v: Any) -> date | None:
        if isinstance(v, datetime):
            v = v.date()
        try:
            return parse_date(v)
        except InputError as exc:
            raise ValueError(exc.message) from None

    @field_validator("outlet")
    @classmethod
    def _outlet_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("outlet is blank")
        return v

    @field_validator("text", mode="before")
    @classmethod
    def _text_is_text(cls, v: Any) -> Any:
        if not isinstance(v, str):
            raise ValueError(f"text must be a string, not {type(v).__name__}")
        if not v.strip():
            raise ValueError("text is empty")
        if "\x00" in v:
            raise ValueError("text contains NUL characters")
        if looks_like_html(v):
            raise ValueError(HTML_MESSAGE)
        return v

    def to_article(self) -> Article:
        return article_from_dict(self.model_dump(exclude_none=True))


class ArticlesIn(_Input):
    """A set of articles to ingest (or to brief)."""

    articles: list[ArticleIn] = Field(min_length=1)

    def to_articles(self) -> list[Article]:
        """The library's records; ids are derived where missing. An id may come again only
        for a copy of the same article (the same text, whitespace aside, and url: syndicated
        copy sent twice), which is answered as the first."""
        out: list[Article] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(self.articles):
            try:
                art = item.to_article()
            except InputError as exc:
                raise InputError(exc.message, f"articles.{i}.{exc.field or 'text'}") from None
            if art.id in seen and not same_article(out[seen[art.id]], art):
                raise InputError(
                    f"duplicate article id {art.id!r} (articles #{seen[art.id]} and #{i}); "
                    "ids must be unique within a request",
                    f"articles.{i}.id",
                )
            seen.setdefault(art.id, i)
            out.append(art)
        return out


class BriefsIn(ArticlesIn):
    """An article set to brief without storing it (unless ``store`` is true)."""

    length: Length | None = Field(default=None, description="short | standard | long")
    store: StrictBool = Field(
        default=False, description="also ingest the articles and keep the briefs"
    )


class JobIn(ArticlesIn):
    """A large article set to ingest and brief in the background."""

    length: Length | None = Field(default=None, description="short | standard | long")
    store: StrictBool = Field(default=True, description="ingest the articles into the store first")


# ------------------------------------------------------------------ responses


class ArticlePublic(BaseModel):
    id: str
    outlet: str
    title: str | None
    url: str | None
    published: date | None
    story_id: str | None
    created_at: datetime
    sentences: int
    text: str


class ArticleDeleted(BaseModel):
    id: str
    story_id: str | None = Field(description="the story the article was in")
    story_articles: int = Field(
        description="articles left in that story; 0 when the story was deleted with it"
    )


class ArticleReplaced(BaseModel):
    id: str
    story_id: str | None = Field(description="the story the article is in (a correction keeps it)")
    status: Literal["replaced", "unchanged"] = Field(
        description="replaced, or unchanged (the stored article was already this one)"
    )


class IngestItem(BaseModel):
    index: int = Field(description="position of the article in the request")
    id: str
    story_id: str | None
    status: Literal["created", "existing", "deleted"] = Field(
        description="created, existing (stored before: `id` is the stored article's), or "
        "deleted (in a job only: the same article was deleted after the job was submitted, "
        "and is not stored again)"
    )
    note: str | None = Field(
        None,
        description="for `existing`: what was kept as stored where the article sent differs "
        "from it (another text under the same url; `PUT /v1/articles/{id}` corrects it); "
        "null when there is nothing to say",
    )


class IngestOut(BaseModel):
    data: list[IngestItem]
    count: int
    created: int
    stories: list[str] = Field(description="ids of the stories the articles joined")


class StorySummary(BaseModel):
    id: str
    headline: str
    article_count: int
    outlets: list[str]
    first_published: date | None
    last_published: date | None
    created_at: datetime
    updated_at: datetime
    revision: int = Field(description="bumped each time articles join or leave the story")
    has_current_brief: bool


class DeletedStory(BaseModel):
    id: str
    deleted_at: datetime


class StoriesOut(BaseModel):
    data: list[StorySummary]
    count: int = Field(description="stories matching the filter (all pages)")
    as_of: datetime = Field(
        description="poll again with updated_since=as_of to see every story changed since "
        "this listing, including by writes that were still committing"
    )
    deleted: list[DeletedStory] = Field(
        default_factory=list,
        description="with updated_since only: the stories deleted since then (their last "
        "article was deleted, or a regrouping merged them away), oldest first; not paged",
    )


class StoryArticle(BaseModel):
    id: str
    outlet: str
    title: str | None
    url: str | None
    published: date | None


class TimelineEntry(BaseModel):
    date: date | None
    article_id: str
    outlet: str
    title: str | None


class StoryDetail(StorySummary):
    articles: list[StoryArticle]
    timeline: list[TimelineEntry]


class BriefOut(Brief):
    """A ``Brief`` (the library's public JSON) with where it came from."""

    generated_at: datetime
    cached: bool = Field(description="served from the store rather than written now")
    current: bool = Field(description="made from the story's current article set")


class BriefsOut(BaseModel):
    data: list[BriefOut]
    count: int
    articles: list[IngestItem] | None = Field(
        default=None, description="with store=true: the ingest"
    )


class Progress(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: Progress
    length: Length
    store: bool
    article_ids: list[str]
    results: list[BriefOut] = Field(
        description="the briefs written so far, in the order they were written: the page "
        "that `results_offset` and `limit` ask for (all of them when no limit is given)"
    )
    results_offset: int = Field(description="the position of `results[0]` among all results")
    results_next: int | None = Field(
        description="the `results_offset` of the next page; null when this page is the last "
        "written so far"
    )
    error: str | None
    note: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    database: str
    embedder: str
    generator: str
    stories: int
    brief_seconds: float = Field(
        description="how long a brief is expected to take on this machine: measured by a "
        "short timed generation at start-up, then the running mean of real briefs"
    )
    ingest_seconds: float = Field(description="the same for an ingest request")
