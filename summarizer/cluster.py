"""Grouping articles into stories (articles about the same event).

An article is reduced to an ``ArticleProfile``: a unit vector (the weighted mean of its
sentence vectors; the lead and the title count more), a set of keywords (names and
numbers, found by capitalisation: no NER model) and its publication date. Two articles
score

    alpha * cosine(vectors) + (1 - alpha) * keyword overlap

where the keyword overlap is IDF-weighted (document frequencies over the articles in the
index, with ``IDF_PRIOR_DOCS`` more that lack every word, so that in a young index the
words one story's reports share are not taken for common ones) and normalised by the
smaller keyword set, so a short article about the same event is not punished for being
short. A set of fewer than ``KEYWORD_FLOOR`` words says too
little to be trusted that far (an article whose only name is "Pyongyang" shares it with
every story from there), so it earns only its share ``n / KEYWORD_FLOOR`` of that credit
and cannot carry a join on keywords alone. When either article has no keywords the score
is the cosine alone. Names also count against: the lead (title and first sentence) names
what an article is about, so when neither article mentions the other's lead names (two
quakes, one in Malatya, one in Kerman) the score loses ``NAME_CONFLICT_PENALTY`` times the
IDF-weighted share missed (``StoryIndex._name_conflict``); the cosine of two reports of one
kind of event would otherwise join them with no name in common; and two clusters whose
every pair of articles misses all of each other's lead names (``FULL_NAME_CONFLICT``) never
merge, which keeps an article arriving alone out of the one same-kind story there is.
Nor do two clusters merge when an article of one says it reports another event than an
article of the other (``StoryIndex.other_event``): an incident of the same kind in its own
lead, the other's lead names only where it recalls an earlier event ("less than a week
after three people were killed outside a nightclub near Beale Street"), and most of its
own lead unknown to the other; or two named storms.
Dated articles more than ``max_gap_days`` from every member of a story never join it (a
later, related event is another story).

``StoryIndex.extend`` adds a batch by average-linkage agglomeration: new articles start as
singletons, existing stories as frozen clusters; the closest pair of clusters (mean pair
score) merges while that mean reaches ``threshold``, but two existing stories never merge.
Average linkage keeps one event from absorbing a neighbouring one by chaining, and the
result does not depend on the order of the batch. ``add`` is ``extend`` of one article:
it joins the best story whose mean score reaches the threshold, or founds a new one. The
table of cluster means is new x (new + existing stories within reach), so a batch larger
than ``EXTEND_CHUNK`` is grouped in chunks of that size, in date order, each joining the
stories of the chunks before; memory then grows with the number of articles, not its
square, and only stories that some new article scores near the threshold take part.

Story ids come from the founding (earliest) article, ``"st_" + sha1(article_id)[:12]``,
and never change: later articles join existing stories instead of renumbering them. A
batch and the same articles added one at a time usually agree, but need not: a batch can
see that two articles belong together before either meets a story.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from summarizer.errors import InputError
from summarizer.types import Article, Sentence, Story, fold_accents

INDEX_FORMAT = 1  # ``to_dict``: every profile inline
SPLIT_FORMAT = 2  # ``snapshot``: the profiles kept apart (``profile_record``)

# Capitalised words that are not names: function words at a sentence start, titles,
# calendar words and site furniture. Numbers are kept; single digits are not.
STOPWORDS = frozenset(
    """
    a an the this that these those he she it they we i you his her its their our my your
    him them us me who whom which what when where why how there here then than so if
    and or but nor for yet as at by in into of on onto to from with without within about
    above below after before during while since until over under between among through
    is are was were be been being am has have had do does did will would shall should
    can could may might must not no yes all any some many more most much few each every
    both either neither other another such only also just even still now later today
    tonight yesterday tomorrow last next first second third one two three four five six
    seven eight nine ten new old said says say told according however meanwhile although
    though because despite instead indeed thus therefore while whether mr mrs ms dr
    sir madam gov sen rep president vice minister ministers secretary chairman leader
    chief officials official spokesman spokeswoman spokesperson prime foreign deputy
    general state senior former acting monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec am pm et gmt utc photo
    photos image images caption video videos file full screen read more follow click share
    subscribe advertisement related story stories update updated news
    """.split()
)

_WORD = re.compile(r"[^\W\d_][\w'’\-.]*[\w]|[^\W\d_]")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d(?![\w])|(?<![\w.,])\d{2,}(?![\w])")
_POSSESSIVE = re.compile(r"['’]s?$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
SHOUTING_MIN_LEN = 6  # an all-caps token this long is shouting, not an acronym


def _split(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _norm_token(tok: str) -> str:
    return fold_accents(_POSSESSIVE.sub("", tok).lower().strip(".-"))


def lead_names(lead: Iterable[str], keywords: frozenset[str]) -> frozenset[str]:
    """The name keywords (not numbers) of ``keywords`` that occur in the ``lead`` texts.

    ``keywords`` decides what a name is (it was found over the whole document); the lead
    says which names the article is about: where it happened, who acted.
    """
    tokens = {_norm_token(t) for text in lead for t in _WORD.findall(text)}
    return frozenset(k for k in keywords & tokens if not k[0].isdigit())


def _document_names(texts: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(keywords, sentence-start names) of a document, from one pass over its words: see
    ``extract_keywords`` and ``sentence_start_names``."""
    sentences = [s for t in texts for s in _split(t)]
    tokens: list[list[str]] = [_WORD.findall(s) for s in sentences]
    lower_seen: set[str] = set()
    inner_caps: set[str] = set()
    for toks in tokens:
        for pos, tok in enumerate(toks):
            norm = fold_accents(_POSSESSIVE.sub("", tok).lower())
            if tok[0].islower():
                lower_seen.add(norm)
            elif pos > 0:
                inner_caps.add(norm)
    out: set[str] = set()
    starts: set[str] = set()
    for toks in tokens:
        for pos, tok in enumerate(toks):
            if not tok[0].isupper():
                continue
            if tok.isupper() and len(tok) >= SHOUTING_MIN_LEN:
                continue
            norm = _norm_token(tok)
            if len(norm) < 2 or norm in STOPWORDS or norm in lower_seen:
                continue
            if pos == 0:
                starts.add(norm)
                if norm not in inner_caps:
                    continue
            out.add(norm)
    for s in sentences:
        for num in _NUMBER.findall(s):
            out.add(num.replace(",", "").rstrip("."))
    return frozenset(out), frozenset(starts)


def extract_keywords(texts: Iterable[str]) -> frozenset[str]:
    """Names and numbers of a document given as sentences (lower-cased, possessive dropped).

    A capitalised word counts when it is not a stopword, never appears in lower case in
    the document, and, at a sentence start, also appears capitalised elsewhere.
    All-caps words of ``SHOUTING_MIN_LEN`` letters or more (transcripts, headlines in
    capitals) are skipped; short ones (acronyms) count.
    """
    return _document_names(texts)[0]


def sentence_start_names(texts: Iterable[str]) -> frozenset[str]:
    """Capitalised words a document uses at a sentence start ("Leeds was among the
    worst-hit places."): not stopwords, never in lower case there. Those it uses only
    there ``extract_keywords`` cannot tell from ordinary words, so they are no keywords;
    they only count as mentions of another article's lead names
    (``StoryIndex._name_conflict``)."""
    return _document_names(texts)[1]


# ---------------------------------------------------------------------- profiles


@dataclass(frozen=True, slots=True, eq=False)
class ArticleProfile:
    """What grouping needs of an article: id, date, unit vector, keywords, and the names
    among them that its lead (title and first sentence) gives (see ``lead_names``)."""

    article_id: str
    published: date | None
    vector: np.ndarray
    keywords: frozenset[str]
    lead: frozenset[str] = frozenset()
    # names used only at a sentence start (``sentence_start_names``): mentions, for the
    # name-conflict check alone
    mentions: frozenset[str] = frozenset()
    # what the article says of another event (``other_events``): the kinds of incident its
    # own lead reports, the names it gives only where it recalls an earlier event, the
    # names of its own lead (title and two sentences, recalls left out), and whether its
    # lead calls its event another of a kind ("the second deadly blaze in four days"), and
    # the named storms its own lead reports ("hurricane jerry")
    kinds: frozenset[str] = frozenset()
    recalled: frozenset[str] = frozenset()
    own_lead: frozenset[str] = frozenset()
    new_event: bool = False
    storms: frozenset[str] = frozenset()

    @property
    def named(self) -> frozenset[str]:
        """Every name the article mentions: its keywords and its sentence-start names."""
        return self.keywords | self.mentions

    def __post_init__(self) -> None:
        if not self.article_id:
            raise InputError("article_id must be a non-empty string", "article_id")
        vec = np.asarray(self.vector, dtype=np.float32)
        if vec.ndim != 1 or vec.size == 0 or not np.all(np.isfinite(vec)):
            raise InputError(f"profile vector of {self.article_id} must be a finite 1-d array")
        norm = float(np.linalg.norm(vec))
        if norm > 0 and abs(norm - 1.0) > 1e-6:  # a unit vector is kept bit for bit
            vec = vec / norm
        object.__setattr__(self, "vector", vec)
        object.__setattr__(self, "lead", frozenset(self.lead) & self.keywords)
        object.__setattr__(self, "own_lead", frozenset(self.own_lead) & self.keywords)


LEAD_SENTENCES = 3
LEAD_WEIGHT = 2.0
TITLE_WEIGHT = 3.0
MIN_WORDS = 4  # shorter sentences (captions, widget lines) do not shape the vector
# A keyword set of n < KEYWORD_FLOOR words earns n / KEYWORD_FLOOR of the keyword credit.
# Chosen on the seeds' Lavrov story with short probes (threshold 0.45): a 1-word article
# (Pyongyang marathon, cosine 0.24) joins at a floor of 1 (the old rule), a 2-word one
# (South Korean missile test, cosine 0.47) at 1-2, and one whose 2 words every member
# shares would at up to 4; at 5 none does, while 1-3 word briefs about the visit itself
# (cosine 0.57-0.68) still join (at 6 the weakest of them no longer does). Full articles
# have 7 keywords or more (seeds, pooled dev set), so their grouping does not change.
KEYWORD_FLOOR = 5
# Sentences after the title whose names make an article's lead names (``lead_names``).
LEAD_NAME_SENTENCES = 1
# Taken off a pair's score in full when each article's lead names are all missing from the
# other's keywords (the share missing, IDF-weighted, on the side that misses less). Without
# it the cosine of two reports of one kind of event (quakes, fires, floods: cosine 0.6-0.9)
# carries them past the threshold on its own, with no name in common.
NAME_CONFLICT_PENALTY = 0.1
# Two clusters whose every pair of articles is in full name conflict (neither mentions any
# lead name of the other: ``StoryIndex._name_conflict`` at least this) never merge, however
# close their cosines. The penalty alone left reports of two same-kind events in one week
# (floods in Leeds and in York, from outlets that write them up alike) joined when they
# arrived one at a time: an article then meets only the story there is, not its own event's
# other reports. No two reports of one event in the pooled evaluation set come near it.
FULL_NAME_CONFLICT = 0.999
# An article that recalls an earlier event of its own kind by that event's lead names
# ("Two killed in shooting at Memphis gas station ... less than a week after three people
# were killed outside a nightclub near Beale Street"), or whose lead calls its event the
# second of its kind, reports another event than the story it recalls: the two never share
# a story when at least this share of its own lead's names (IDF-weighted; title and two
# sentences) is missing from the other article. Same-kind reports one city apart otherwise
# joined on their cosine (0.8) and the names the recall shares.
OTHER_EVENT_SHARE = 0.5
# Keyword weights (IDF) as if this many articles without the word were stored besides: in
# a young index (a service's first story, a batch of one story's reports) every word the
# story's reports share looks common, and their overlap weighed next to nothing
IDF_PRIOR_DOCS = 50
# Articles agglomerated together at most (StoryIndex.extend): the table of cluster means is
# chunk x (chunk + stories in reach) float64, about 32 MB at 2,000.
EXTEND_CHUNK = 2000
# Pair scores computed at once: a float32 block of cosines of this many cells is 64 MB.
SCORE_BLOCK_CELLS = 1 << 24
# An existing story is left out of agglomeration when no new article's mean score against
# it comes within this of the threshold (covers float32 cosines that differently shaped
# matrix products round differently in the last bits, and the rounding of running means).
REACH_MARGIN = 1e-4


def profile_article(
    article: Article,
    sentences: Sequence[Sentence],
    vectors: np.ndarray,
    *,
    title_vector: np.ndarray | None = None,
) -> ArticleProfile:
    """Reduce an article to its profile; ``vectors`` are the rows of ``sentences``.

    The vector is the weighted mean of the sentence vectors: the first
    ``LEAD_SENTENCES`` sentences weigh ``LEAD_WEIGHT``, the title (when its vector is
    given) ``TITLE_WEIGHT``, sentences under ``MIN_WORDS`` words nothing (unless every
    sentence is that short).
    """
    vecs = np.asarray(vectors, dtype=np.float32)
    if vecs.ndim != 2 or vecs.shape[0] != len(sentences):
        raise InputError(
            f"vectors of article {article.id} must have one row per sentence: "
            f"{len(sentences)} sentences, vectors of shape {vecs.shape}"
        )
    if not sentences and title_vector is None:
        raise InputError(f"article {article.id} has no sentences to profile", "text")
    foreign = {s.article_id for s in sentences} - {article.id}
    if foreign:
        raise InputError(f"sentences of other articles {sorted(foreign)} given for {article.id}")
    weights = np.array(
        [
            (LEAD_WEIGHT if rank < LEAD_SENTENCES else 1.0)
            * (1.0 if len(s.text.split()) >= MIN_WORDS else 0.0)
            for rank, s in enumerate(sentences)
        ],
        dtype=np.float32,
    )
    if len(sentences) and not weights.any():
        weights = np.ones(len(sentences), dtype=np.float32)
    dim = vecs.shape[1] if vecs.shape[0] else np.asarray(title_vector).shape[-1]
    total = (weights[:, None] * vecs).sum(axis=0) if len(sentences) else np.zeros(dim, np.float32)
    if title_vector is not None:
        tv = np.asarray(title_vector, dtype=np.float32).reshape(-1)
        if tv.shape[0] != dim:
            raise InputError(f"title vector has size {tv.shape[0]}, sentence vectors {dim}")
        total = total + TITLE_WEIGHT * tv
    texts = ([article.title] if article.title else []) + [s.text for s in sentences]
    keywords, starts = _document_names(texts)
    head = 1 if article.title else 0
    lead = lead_names(texts[: head + LEAD_NAME_SENTENCES], keywords)
    mentions = starts - keywords
    other = other_events(texts, head, keywords | starts)
    return ArticleProfile(
        article.id,
        article.published,
        total,
        keywords,
        lead,
        mentions,
        kinds=other.kinds,
        recalled=other.recalled,
        own_lead=other.own_lead & keywords,
        new_event=other.new_event,
        storms=other.storms,
    )


# ---------------------------------------------------------------------- other events

# Where a sentence recalls an earlier event: "three days after ...", "less than a week
# after ...", "a week and a half after ...", "still reeling from ...". What follows the cue,
# to the end of the sentence, is the recall ("in the days after" looks back on the same
# event, and is not one).
_RECALL = re.compile(
    r"(?<!\bthe )(?<!\bthe next )\b(?:days?|weeks?|hours?|months?)(?: and a half)? "
    r"(?:after|before|since)\b|\bstill (?:reeling|recovering) from\b",
    re.IGNORECASE,
)
# A recall that opens its sentence ends at the first comma ("Three days after a fire in
# Korangi killed 17, a blaze in Saddar ...": what follows is the article's own event).
_OPENING_RECALL = re.compile(r"^\W*(?:[\w'-]+\s+){0,5}$")
# Kinds of incident: two reports of one kind in one place and week are where grouping goes
# wrong. "Opened fire" and "came under fire" name no fire.
_KINDS: dict[str, re.Pattern[str]] = {
    kind: re.compile(pattern, re.IGNORECASE)
    for kind, pattern in {
        "fire": r"(?<!\bopened )(?<!\bopen )(?<!\bopens )(?<!\bunder )(?<!\bcease)"
        r"\b(?:fire|fires|blaze|blazes|inferno|wildfires?)\b",
        "shooting": r"\b(?:shootings?|gunman|gunmen|gunfire|shot dead|shot and killed)\b",
        "quake": r"\b(?:earthquakes?|quakes?|tremors?|aftershocks?)\b",
        "storm": r"\b(?:hurricanes?|typhoons?|cyclones?|storms?|tornado(?:es)?)\b",
        "flood": r"\b(?:floods?|flooding)\b",
        "strike": r"\b(?:strikes?|walkouts?|walked out|walk out|stoppages?|stopped work|"
        r"downed tools)\b",
        "explosion": r"\b(?:explosions?|blasts?|exploded)\b",
        "crash": r"\b(?:crash(?:es|ed)?|collisions?|collided|derail(?:ment|ed))\b",
        "attack": r"\b(?:bombings?|stabbings?)\b",
        "landslide": r"\b(?:landslides?|mudslides?|avalanches?)\b",
    }.items()
}
# A lead reports an incident of its own when it names one, not as what its news follows
# ("Man charged with murder in deadly shooting", "owner arrested after fire": a word of
# these within five words before), not as a modifier ("fire officials", "storm damage") and
# not as a headline's topic ("Turkey earthquake: Erdogan visits disaster zone").
_FOLLOWS = frozenset(
    "after over following since from arrested charged detained held accused suspect "
    "suspects convicted sentenced jailed trial court probe inquiry investigation "
    "investigators sued lawsuit blamed compensation mourn mourns mourned vigil funeral "
    "victims survivors anniversary".split()
)
_MODIFIER = re.compile(
    r"\s*(?:safety|services?|officials?|department|chief|brigade|fighters?|crews?|engines?|"
    r"trucks?|station|alarms?|codes?|exits?|extinguishers?|hydrants?|damage|surge|victims?|"
    r"survivors?|aftermath|recovery|clean-?up|relief|zone|debris|toll|probe|inquiry|"
    r"investigation|compensation|anniversary|risk|season)\b",
    re.IGNORECASE,
)
# A named storm: its name is the event's ("Hurricane Jerry", "Tropical Storm Imelda"); read
# in the lead sentence, not a title in title case ("After Storm Hits"), and never a word
# of the storm business ("National Hurricane Center", "Hurricane Warning", "Storm Shadow").
_STORM = re.compile(
    r"\b(?:[Hh]urricane|[Tt]yphoon|[Cc]yclone|[Tt]ropical [Ss]torm|[Ss]torm)\s+"
    r"([A-Z][^\W\d_]+)\b(?!\s+[A-Z])"
)
_NOT_STORM_NAMES = frozenset(
    "center centre warning warnings watch watches hunter hunters season surge shadow "
    "prediction tracker alert damage relief recovery shelter victims force strength "
    "category hits".split()
)
# A lead that calls its event another of its kind within a span of time ("the second deadly
# blaze in the city in four days", "another shooting this week"); "a second gunman", "a
# second explosion minutes after the first" are parts of one event.
_ANOTHER = re.compile(
    r"\b(?:second|third|fourth|fifth|another)\b((?:\s+[\w'-]+){1,3}?)"
    r"(?:\s+in\s+(?:the\s+)?[\w'-]+)?\s+(?:in|within|this|over)\s+(?:(?:a|the|just|only|"
    r"less\s+than|[\w-]+)\s+){0,2}(?:days?|weeks?|months?|year)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class OtherEvents:
    """What an article says of another event (see ``other_events``)."""

    kinds: frozenset[str]
    recalled: frozenset[str]
    own_lead: frozenset[str]
    new_event: bool
    storms: frozenset[str] = frozenset()


def _own_and_recall(sentence: str) -> tuple[str, str]:
    """A sentence cut into its own part and the part that recalls another event."""
    if not any(w in sentence for w in (" after", " before", " since", " from")):
        return sentence, ""  # most sentences: no cue word, no search
    m = _RECALL.search(sentence)
    if m is None:
        return sentence, ""
    end = len(sentence)
    if _OPENING_RECALL.match(sentence[: m.start()]):
        comma = sentence.find(",", m.end())
        if comma >= 0:
            end = comma + 1
    return sentence[: m.start()] + " " + sentence[end:], sentence[m.start() : end]


def incident_kinds(text: str) -> frozenset[str]:
    """The kinds of incident ``text`` reports (fire, shooting, quake, storm, ...): named as
    an incident, not as what its news follows or as a modifier (see ``_FOLLOWS``)."""
    out: set[str] = set()
    for kind, pattern in _KINDS.items():
        for m in pattern.finditer(text):
            before = {w.lower() for w in _WORD.findall(text[: m.start()])[-5:]}
            label = text[m.end() : m.end() + 1] == ":"  # a topic: "Turkey earthquake: ..."
            if not before & _FOLLOWS and not label and not _MODIFIER.match(text, m.end()):
                out.add(kind)
                break
    return frozenset(out)


def other_events(texts: Sequence[str], head: int, names: frozenset[str]) -> OtherEvents:
    """What an article (``texts``: its title, when ``head`` is 1, then its sentences) says
    of another event: the incident kinds of its own lead (title and first sentence), the
    ``names`` it gives only in a recall of an earlier event ("less than a week after three
    people were killed outside a nightclub near Beale Street"), the names of its own lead
    (title and two sentences, recalls left out) and whether that lead calls its event
    another of its kind ("the second deadly blaze in the city in four days")."""
    own: list[str] = []
    recalls: list[str] = []
    for text in texts:
        mine, recall = _own_and_recall(text)
        own.append(mine)
        recalls.append(recall)

    def named(parts: Iterable[str]) -> set[str]:
        return {_norm_token(t) for part in parts for t in _WORD.findall(part)} & names

    lead = " ".join(own[: head + 1])
    kinds = incident_kinds(lead)
    new_event = any(incident_kinds(m.group(1)) & kinds for m in _ANOTHER.finditer(lead))
    first = own[head] if len(own) > head else ""
    storms = {fold_accents(m.group(1).lower()) for m in _STORM.finditer(first)}
    recalled = named(recalls) - named(own) if any(recalls) else set()
    return OtherEvents(
        kinds=kinds,
        recalled=frozenset(recalled),
        own_lead=frozenset(k for k in named(own[: head + 2]) if not k[0].isdigit()),
        new_event=new_event,
        storms=frozenset(storms - _NOT_STORM_NAMES),
    )


# ---------------------------------------------------------------------- index


def story_id_for(article_id: str) -> str:
    """The id of a story founded by ``article_id``."""
    return "st_" + hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:12]


def order_key(profile: ArticleProfile) -> tuple[str, str]:
    """The deterministic order in which profiles are added (undated ones last)."""
    published = profile.published.isoformat() if profile.published else "9999-99-99"
    return (published, profile.article_id)


@dataclass(frozen=True, slots=True)
class ClusterParams:
    """Grouping parameters (defaults tuned on the pooled evaluation clusters)."""

    threshold: float = 0.45  # a mean pair score at or above this joins (or merges) a story
    alpha: float = 0.7  # weight of the vector cosine against the keyword overlap
    max_gap_days: int = 7  # dated articles join only a story with a member this close

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise InputError(f"alpha must lie in [0, 1], not {self.alpha}", "alpha")
        if not -1.0 <= self.threshold <= 1.0:
            raise InputError(f"threshold must lie in [-1, 1], not {self.threshold}", "threshold")
        if self.max_gap_days < 0:
            raise InputError(f"max_gap_days must be >= 0, not {self.max_gap_days}")


@dataclass(slots=True)
class _StoryState:
    id: str
    members: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Cluster:
    """A cluster during agglomeration: an existing story (frozen) or new articles."""

    members: list[str]
    story_id: str | None  # set for an existing story


class StoryIndex:
    """Stories built incrementally; see the module docstring for the rule."""

    def __init__(self, params: ClusterParams | None = None) -> None:
        self.params = params or ClusterParams()
        self._profiles: dict[str, ArticleProfile] = {}
        self._story_of: dict[str, str] = {}
        self._stories: dict[str, _StoryState] = {}
        # ids of stories that ``remove`` emptied: never given to a new story, so that an id
        # a client holds (and a brief written for it) never names another story
        self._retired: set[str] = set()
        self._df: Counter[str] = Counter()
        # IDF values hold while the set of articles does not change; cleared on every change.
        self._idf_cache: dict[str, float] = {}
        self._weight_cache: dict[frozenset[str], float] = {}
        # articles added and removed since ``take_changes`` (for a store that writes
        # profiles one by one instead of the whole snapshot)
        self._changed: set[str] = set()
        self._removed: set[str] = set()
        self._rewrite_all = False

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._profiles

    # -------------------------------------------------------------- scoring

    def _idf(self, word: str) -> float:
        idf = self._idf_cache.get(word)
        if idf is None:
            n = len(self._profiles)
            idf = self._idf_cache[word] = math.log(
                (n + 1 + IDF_PRIOR_DOCS) / (self._df[word] + 0.5)
            )
        return idf

    def _weight(self, keywords: frozenset[str]) -> float:
        w = self._weight_cache.get(keywords)
        if w is None:
            w = self._weight_cache[keywords] = sum(self._idf(k) for k in keywords)
        return w

    def _keyword_overlap(self, a: frozenset[str], b: frozenset[str]) -> float:
        """Shared IDF weight over the smaller set's, scaled down for a set too small to
        say much (see ``KEYWORD_FLOOR``)."""
        shared = sum(self._idf(w) for w in a & b)
        smaller = min(self._weight(a), self._weight(b))
        if smaller <= 0:
            return 0.0
        return shared / smaller * min(1.0, min(len(a), len(b)) / KEYWORD_FLOOR)

    def _lead_missed(self, lead: frozenset[str], other: frozenset[str]) -> float:
        """The IDF-weighted share of ``lead`` that ``other`` lacks (0 for an empty lead)."""
        weight = self._weight(lead)
        if weight <= 0:
            return 0.0
        return 1.0 - sum(self._idf(w) for w in lead & other) / weight

    def _name_conflict(self, a: ArticleProfile, b: ArticleProfile) -> float:
        """How far the two articles name different things: 1 when neither mentions any name
        of the other's lead, 0 when either mentions them all (or has no lead names).

        The lead says where an event happened and who acted in it, and another report of
        the same event names them too; the rest of a long article may wander (background,
        an earlier event), so only the lead is asked. Both sides must miss: an article
        that recalls an earlier event names that event's place, so it keeps the credit.
        """
        return min(self._lead_missed(a.lead, b.named), self._lead_missed(b.lead, a.named))

    def _declares(self, p: ArticleProfile, q: ArticleProfile) -> bool:
        """``p`` reports another event than ``q``: an incident of a kind ``q`` reports too,
        with ``q``'s lead names only in a recall of an earlier event (or a lead that calls
        ``p``'s event another of its kind), and most of ``p``'s own lead unknown to ``q``."""
        if p.storms and q.storms and not p.storms & q.storms:
            # two named storms, unless each article names the other's (one storm with two
            # names: "Typhoon Rai, known locally as Odette")
            if not (q.storms <= p.named and p.storms <= q.named):
                return True
        if not p.kinds & q.kinds or not (p.new_event or p.recalled & q.lead):
            return False
        return self._lead_missed(p.own_lead, q.named) >= OTHER_EVENT_SHARE

    def other_event(self, a: ArticleProfile, b: ArticleProfile) -> bool:
        """Either article says it reports another event than the other (see
        ``OTHER_EVENT_SHARE``): their clusters never merge."""
        return self._declares(a, b) or self._declares(b, a)

    def _combine(self, cos: float, a: ArticleProfile, b: ArticleProfile) -> float:
        if not a.keywords or not b.keywords:
            return cos
        alpha = self.params.alpha
        score = alpha * cos + (1.0 - alpha) * self._keyword_overlap(a.keywords, b.keywords)
        return score - NAME_CONFLICT_PENALTY * self._name_conflict(a, b)

    def pair_score(self, a: ArticleProfile, b: ArticleProfile) -> float:
        """Similarity of two articles under the index's current keyword statistics.

        When either article has no keywords (a short text, a text in lower case) the
        keyword half carries no evidence either way, and the score is the cosine alone.
        """
        if a.vector.shape != b.vector.shape:
            raise InputError(
                f"vector sizes differ: {a.article_id} {a.vector.shape}, {b.article_id} "
                f"{b.vector.shape}"
            )
        return self._combine(float(np.dot(a.vector, b.vector)), a, b)

    def _dates_close(self, a: Sequence[ArticleProfile], b: Sequence[ArticleProfile]) -> bool:
        """True unless both sides are dated and no two of their dates are close enough."""
        da = [p.published for p in a if p.published is not None]
        db = [p.published for p in b if p.published is not None]
        if not da or not db:
            return True
        gap = min(abs((x - y).days) for x in da for y in db)
        return gap <= self.params.max_gap_days

    def story_scores(self, profile: ArticleProfile) -> dict[str, float]:
        """Mean member score of ``profile`` against every story whose dates allow it."""
        out: dict[str, float] = {}
        for sid, st in self._stories.items():
            members = [self._profiles[m] for m in st.members if m != profile.article_id]
            if not members or not self._dates_close([profile], members):
                continue
            out[sid] = float(np.mean([self.pair_score(profile, m) for m in members]))
        return out

    # -------------------------------------------------------------- updates

    def add(self, profile: ArticleProfile) -> str:
        """Add one article; the id of the story it joined or founded.

        Adding an article that is already in the index changes nothing and returns its
        story.
        """
        return self.extend([profile])[profile.article_id]

    def extend(
        self, profiles: Iterable[ArticleProfile], *, chunk: int | None = None
    ) -> dict[str, str]:
        """Add articles together; article id -> story id.

        Average-linkage agglomeration: every new article starts as its own cluster, every
        existing story as a frozen cluster; the closest pair of clusters (mean pair score)
        merges while that mean reaches the threshold, where two existing stories never
        merge and clusters merge only when their dates are close. A cluster that holds an
        existing story keeps its id; a new one is named after its earliest article. The
        result does not depend on the order of ``profiles``.

        Agglomeration keeps a (new x clusters) table of means, so its memory grows with
        the square of the articles grouped together: at most ``chunk`` (default
        ``EXTEND_CHUNK``) are. A larger batch is grouped chunk by chunk in the deterministic
        order (``order_key``, so by date), each chunk joining the stories of the ones before
        as a later batch would; keyword statistics cover the whole batch from the start.
        """
        chunk = EXTEND_CHUNK if chunk is None else chunk
        if chunk < 1:
            raise InputError(f"chunk must be at least 1, not {chunk}", "chunk")
        items = list(profiles)
        for p in items:
            if not isinstance(p, ArticleProfile):
                raise InputError(f"expected ArticleProfile, not {type(p).__name__}")
        seen: dict[str, ArticleProfile] = {}
        for p in items:
            if p.article_id in seen and seen[p.article_id] is not p:
                raise InputError(f"duplicate article id {p.article_id!r}", "article_id")
            seen[p.article_id] = p
        new = sorted(
            (p for p in seen.values() if p.article_id not in self._profiles), key=order_key
        )
        first = next(iter(self._profiles.values()), None)
        dims = {p.vector.shape for p in new} | ({first.vector.shape} if first else set())
        if len(dims) > 1:
            raise InputError(f"profile vectors of different sizes: {sorted(dims)}")
        for p in new:
            self._profiles[p.article_id] = p
            self._df.update(p.keywords)
            self._changed.add(p.article_id)
            self._removed.discard(p.article_id)
        self._idf_cache.clear()
        self._weight_cache.clear()
        for start in range(0, len(new), chunk):
            self._agglomerate(new[start : start + chunk])
        return {aid: self._story_of[aid] for aid in seen}

    def _new_story_id(self, founder: str) -> str:
        """``story_id_for(founder)``, unless a story has that id, or had it until it was
        emptied (its founding article was deleted, and the same id sent again founds a
        story anew): then the first free id of ``founder`` numbered 1, 2, ... (with a NUL,
        which no article id holds, so that no other article's id derives it)."""
        sid = story_id_for(founder)
        k = 0
        while sid in self._stories or sid in self._retired:
            k += 1
            sid = story_id_for(f"{founder}\x00{k}")
        return sid

    def retire(self, story_ids: Iterable[str]) -> None:
        """Never give these story ids to a new story (ids of deleted stories, carried over
        when an index is rebuilt from stored articles)."""
        self._retired.update(str(x) for x in story_ids if str(x) not in self._stories)

    def remove(self, article_id: str) -> str:
        """Take an article out; the id of the story it was in.

        The story keeps its id and its other members as they are (it is not grouped
        again), even when the article was the one that founded it; a story left with no
        article is gone, and its id is never given to another story. An unknown id raises
        InputError.
        """
        sid = self.story_of(article_id)
        profile = self._profiles.pop(article_id)
        del self._story_of[article_id]
        self._changed.discard(article_id)
        self._removed.add(article_id)
        self._df.subtract(profile.keywords)
        for word in profile.keywords:
            if self._df[word] <= 0:
                del self._df[word]
        state = self._stories[sid]
        state.members.remove(article_id)
        if not state.members:
            del self._stories[sid]
            self._retired.add(sid)
        self._idf_cache.clear()
        self._weight_cache.clear()
        return sid

    def replace(self, profile: ArticleProfile) -> str:
        """Put ``profile`` in place of the profile of an article already in the index (its
        text was corrected): the article stays in its story, which is not grouped again;
        the story's id. An unknown id raises InputError."""
        aid = profile.article_id
        old = self._profiles.get(aid)
        if old is None:
            raise InputError(f"no article {aid!r} in the story index", "article_id")
        if old.vector.shape != profile.vector.shape:
            raise InputError(
                f"profile vectors of different sizes: {[old.vector.shape, profile.vector.shape]}"
            )
        self._df.subtract(old.keywords)
        for word in old.keywords:
            if self._df[word] <= 0:
                del self._df[word]
        self._df.update(profile.keywords)
        self._profiles[aid] = profile
        self._changed.add(aid)
        self._idf_cache.clear()
        self._weight_cache.clear()
        return self._story_of[aid]

    def seed(
        self, profiles: Iterable[ArticleProfile], stories: Iterable[tuple[str, Sequence[str]]]
    ) -> None:
        """Put stories back as they were, ids and members kept, into an empty index.

        For an index rebuilt from stored membership: grouping the same articles again
        could name or cut the stories differently (a story's id comes from the article
        that founded it, and which one did depends on the order articles arrived in).
        ``stories`` is ``(story id, member ids)`` in order of foundation; profiles in no
        story are left out, for ``extend`` to place.
        """
        if self._profiles:
            raise InputError("only an empty story index can be seeded")
        by_id = {p.article_id: p for p in profiles}
        for sid, members in stories:
            if not members:
                continue
            if sid in self._stories:
                raise InputError(f"story {sid} given twice")
            state = _StoryState(sid)
            for aid in members:
                prof = by_id.get(aid)
                if prof is None or aid in self._story_of:
                    raise InputError(f"story {sid}: article {aid!r} unknown or repeated")
                self._profiles[aid] = prof
                self._df.update(prof.keywords)
                self._story_of[aid] = sid
                self._changed.add(aid)
                state.members.append(aid)
            self._stories[sid] = state
        self._idf_cache.clear()
        self._weight_cache.clear()

    def _agglomerate(self, new: Sequence[ArticleProfile]) -> None:
        before = list(self._stories)
        # Existing stories no new article comes near cannot take part (see _reachable).
        old = self._reachable(new) if self._stories else []
        clusters = [_Cluster(list(st.members), st.id) for st in old]
        n_old = len(clusters)
        clusters += [_Cluster([p.article_id], None) for p in new]
        n = len(clusters)
        profs = [[self._profiles[m] for m in c.members] for c in clusters]
        if not new:
            return
        # means[r, c]: mean pair score of new cluster n_old + r and cluster c, over all
        # their pairs; -inf where they can never merge (itself, merged away). Two existing
        # stories never merge, so existing clusters need no rows: memory is new x all.
        # close[r, c]: some dated member of one is within max_gap_days of a dated member
        # of the other. Two clusters may merge when either has no dated member or close.
        means = np.full((len(new), n), -np.inf)
        close = np.zeros((len(new), n), dtype=bool)
        # clash[r, c]: every pair of their articles is in full name conflict; never merge
        clash = np.zeros((len(new), n), dtype=bool)
        # apart[r, c]: some article of one reports another event than some article of the
        # other (``other_event``); never merge
        apart = np.zeros((len(new), n), dtype=bool)
        flat = [p for c in profs for p in c]
        starts = np.cumsum([0] + [len(c) for c in profs])
        scores = self._scores_against(flat, new)
        dated = np.array([p.published is not None for p in flat])
        ordinals = np.array([p.published.toordinal() if p.published else 0 for p in flat])
        has_dated = np.add.reduceat(dated.astype(int), starts[:-1]) > 0
        for r, pj in enumerate(new):
            j = n_old + r
            if j == 0:
                continue  # the very first article: nothing to compare with
            end = int(starts[j])  # members of the clusters before j
            pair, full, veto = scores(r, end)
            row = np.add.reduceat(pair, starts[:j]) / np.diff(starts[: j + 1])
            means[r, :j] = row
            means[:r, j] = row[n_old:]  # the earlier new clusters, against j
            row_clash = np.logical_and.reduceat(full, starts[:j])
            clash[r, :j] = row_clash
            clash[:r, j] = row_clash[n_old:]
            row_apart = np.logical_or.reduceat(veto, starts[:j])
            apart[r, :j] = row_apart
            apart[:r, j] = row_apart[n_old:]
            if pj.published is not None:
                near = dated[:end] & (
                    np.abs(ordinals[:end] - pj.published.toordinal()) <= self.params.max_gap_days
                )
                row_close = np.add.reduceat(near.astype(int), starts[:j]) > 0
                close[r, :j] = row_close
                close[:r, j] = row_close[n_old:]
        sizes = np.array([len(c) for c in profs], dtype=np.float64)
        alive = np.ones(n, dtype=bool)
        threshold = self.params.threshold
        # best_val[r], best_col[r]: the highest mean of row r among the clusters it may
        # merge with, and the first column holding it. A merge changes two columns and two
        # rows, so only rows that pointed at one of them are rescanned; the first maximum
        # of the table in row order is then the first row's best, as a full scan finds it.
        best_val = np.full(len(new), -np.inf)
        best_col = np.zeros(len(new), dtype=np.intp)

        def rescan(r: int) -> None:
            allowed = close[r] | ~has_dated
            if not has_dated[n_old + r]:
                allowed[:] = True
            row = np.where(allowed & ~clash[r] & ~apart[r], means[r], -np.inf)
            best_col[r] = c = int(np.argmax(row))
            best_val[r] = row[c]

        for r in range(len(new)):
            rescan(r)
        while True:
            r = int(np.argmax(best_val))  # first maximum: deterministic
            col = int(best_col[r])
            if not best_val[r] >= threshold:
                break
            i, j = sorted((n_old + r, col))  # i survives: the older cluster (j is new)
            ni, nj = sizes[i], sizes[j]
            # Means and closeness of i and of j against every cluster, as full-length rows.
            si = means[i - n_old] if i >= n_old else self._column(means, i, n_old, -np.inf)
            sj = means[j - n_old]
            ci = close[i - n_old] if i >= n_old else self._column(close, i, n_old, False)
            cj = close[j - n_old]
            ki = clash[i - n_old] if i >= n_old else self._column(clash, i, n_old, False)
            kj = clash[j - n_old]
            ai = apart[i - n_old] if i >= n_old else self._column(apart, i, n_old, False)
            aj = apart[j - n_old]
            both = np.isfinite(si) & np.isfinite(sj)
            merged = np.where(
                both,
                (ni * np.where(both, si, 0.0) + nj * np.where(both, sj, 0.0)) / (ni + nj),
                -np.inf,
            )
            merged_close = ci | cj
            merged_clash = ki & kj  # every pair of the merged cluster with another
            merged_apart = ai | aj  # some pair of the merged cluster with another
            merged[i] = merged[j] = -np.inf
            merged[~alive] = -np.inf
            clusters[i].members += clusters[j].members
            clusters[i].story_id = clusters[i].story_id or clusters[j].story_id
            profs[i] += profs[j]
            sizes[i] = ni + nj
            has_dated[i] = has_dated[i] or has_dated[j]
            alive[j] = False
            means[j - n_old, :] = -np.inf
            means[:, j] = -np.inf
            means[:, i] = merged[n_old:]  # new clusters against the merged one
            close[:, i] = merged_close[n_old:]
            clash[:, i] = merged_clash[n_old:]
            apart[:, i] = merged_apart[n_old:]
            if i >= n_old:
                means[i - n_old, :] = merged
                close[i - n_old, :] = merged_close
                clash[i - n_old, :] = merged_clash
                apart[i - n_old, :] = merged_apart
            # Column i changed in every row, column j and row j are gone, row i changed.
            may = (close[:, i] | ~has_dated[i] | ~has_dated[n_old:]) & ~clash[:, i] & ~apart[:, i]
            col_i = np.where(may, means[:, i], -np.inf)
            on_i = best_col == i
            stale = (best_col == j) | (on_i & (col_i < best_val))
            gain = ~stale & (on_i | (col_i > best_val) | ((col_i == best_val) & (i < best_col)))
            best_val[gain] = col_i[gain]
            best_col[gain] = i
            best_val[j - n_old] = -np.inf
            stale[j - n_old] = False
            if i >= n_old:
                stale[i - n_old] = True
            for k in np.flatnonzero(stale):
                rescan(int(k))
        for i in (int(k) for k in np.flatnonzero(alive)):
            c = clusters[i]
            if c.story_id is None:
                founder = min(profs[i], key=order_key)
                c.story_id = self._new_story_id(founder.article_id)
                self._stories[c.story_id] = _StoryState(c.story_id)
            st = self._stories[c.story_id]
            added = sorted(
                (self._profiles[m] for m in c.members if m not in self._story_of), key=order_key
            )
            for p in added:
                st.members.append(p.article_id)
                self._story_of[p.article_id] = c.story_id
        # New stories are listed in the order of their earliest article.
        fresh = sorted(
            list(self._stories)[len(before) :],
            key=lambda sid: order_key(self._profiles[self._stories[sid].members[0]]),
        )
        self._stories = {sid: self._stories[sid] for sid in before + fresh}

    def _reachable(self, new: Sequence[ArticleProfile]) -> list[_StoryState]:
        """The existing stories that some new article alone scores near the threshold with.

        Only these can take part in agglomeration: a cluster's mean against a story is a
        weighted mean of its articles' means, so a story that no new article reaches is
        never reached by a cluster of them either (``REACH_MARGIN`` covers rounding). The
        agglomeration table then has a column per story in reach, not per story in the
        index. Stories are scored in blocks of about ``SCORE_BLOCK_CELLS`` pairs.
        """
        stories = list(self._stories.values())
        floor = self.params.threshold - REACH_MARGIN
        keep = np.zeros(len(stories), dtype=bool)
        per_block = max(1, SCORE_BLOCK_CELLS // len(new))
        lo = 0
        while lo < len(stories):
            hi, count = lo + 1, len(stories[lo].members)
            while hi < len(stories) and count + len(stories[hi].members) <= per_block:
                count += len(stories[hi].members)
                hi += 1
            flat = [self._profiles[m] for st in stories[lo:hi] for m in st.members]
            starts = np.cumsum([0] + [len(st.members) for st in stories[lo:hi]])
            scores = self._scores_against(flat, new)
            for r in range(len(new)):
                row = np.add.reduceat(scores(r, len(flat), False)[0], starts[:-1]) / np.diff(starts)
                keep[lo:hi] |= row >= floor
            lo = hi
        return [st for st, k in zip(stories, keep, strict=True) if k]

    def _scores_against(
        self, flat: Sequence[ArticleProfile], new: Sequence[ArticleProfile]
    ) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``scores(r, end)``: ``pair_score(new[r], flat[k])`` for every ``k < end``,
        whether the pair is in full name conflict (``FULL_NAME_CONFLICT``) and whether one
        of the two reports another event than the other (``other_event``).

        Cosines come from matrix products, ``SCORE_BLOCK_CELLS`` at a time (one product
        when ``flat`` x ``new`` fits, as callers ask for rows in order); keyword overlaps
        from an inverted index (word -> articles), so the cost per article is the number
        of articles sharing its words, not all of them.
        """
        vectors = np.stack([p.vector for p in flat])
        new_vectors = np.stack([p.vector for p in new])
        block = max(1, SCORE_BLOCK_CELLS // len(flat))
        cosines = np.empty((len(flat), 0), dtype=np.float32)
        first = -1  # the new article in column 0 of ``cosines``
        weights = np.array([self._weight(p.keywords) for p in flat])
        counts = np.array([len(p.keywords) for p in flat], dtype=np.float64)
        has_kw = counts > 0
        postings: dict[str, list[int]] = {}
        for k, p in enumerate(flat):
            for w in p.keywords:
                postings.setdefault(w, []).append(k)
        index = {w: np.array(ks) for w, ks in postings.items()}
        # every name an article mentions (keywords and sentence-start names), for conflicts
        mention_postings: dict[str, list[int]] = {}
        for k, p in enumerate(flat):
            for w in p.named:
                mention_postings.setdefault(w, []).append(k)
        mentioned = {w: np.array(ks) for w, ks in mention_postings.items()}
        # lead names: word -> articles whose lead holds it, and each lead's IDF weight
        lead_postings: dict[str, list[int]] = {}
        for k, p in enumerate(flat):
            for w in p.lead:
                lead_postings.setdefault(w, []).append(k)
        lead_index = {w: np.array(ks) for w, ks in lead_postings.items()}
        lead_weights = np.array([self._weight(p.lead) for p in flat])
        # for ``other_event``, which only an article that recalls another event or calls its
        # own another of a kind can raise: recalled name -> articles, and those articles
        recall_postings: dict[str, list[int]] = {}
        new_events: dict[str, list[int]] = {}
        kind_postings: dict[str, list[int]] = {}
        storm_articles: list[int] = []
        storm_postings: dict[str, list[int]] = {}
        for k, p in enumerate(flat):
            for w in p.recalled:
                recall_postings.setdefault(w, []).append(k)
            for kind in p.kinds:
                kind_postings.setdefault(kind, []).append(k)
                if p.new_event:
                    new_events.setdefault(kind, []).append(k)
            for w in p.storms:
                storm_postings.setdefault(w, []).append(k)
            if p.storms:
                storm_articles.append(k)
        alpha = self.params.alpha

        def other(r: int, end: int) -> np.ndarray:
            p = new[r]
            out = np.zeros(end, dtype=bool)
            if not p.kinds and not p.storms:
                return out
            if p.storms:
                # two named storms (``_declares``), for every article with one at once:
                # apart unless they share a storm or each names the other's
                storms = np.array(storm_articles, dtype=np.intp)
                out[storms[storms < end]] = True
                for w in p.storms:
                    out[[k for k in storm_postings.get(w, ()) if k < end]] = False
                naming = set.intersection(*({*mentioned.get(w, ())} for w in p.storms))
                for k in naming:
                    if k < end and flat[k].storms <= p.named:
                        out[k] = False
            candidates = {k for w in p.recalled for k in lead_postings.get(w, ())}
            if p.new_event:  # against every article of its kind
                candidates.update(k for kind in p.kinds for k in kind_postings.get(kind, ()))
            candidates.update(k for w in p.lead for k in recall_postings.get(w, ()))
            candidates.update(k for kind in p.kinds for k in new_events.get(kind, ()))
            for k in candidates:
                if k < end:
                    out[k] = self.other_event(p, flat[k])
            return out

        def scores(
            r: int, end: int, others: bool = True
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            nonlocal cosines, first
            if not first <= r < first + cosines.shape[1]:
                first = r - r % block
                cosines = vectors @ new_vectors[first : first + block].T
            p = new[r]
            cos: np.ndarray = cosines[:end, r - first].astype(np.float64)
            if not p.keywords:
                veto = other(r, end) if others else np.zeros(end, dtype=bool)
                return cos, np.zeros(end, dtype=bool), veto
            shared = np.zeros(len(flat))
            for w in p.keywords:
                if w in index:
                    shared[index[w]] += self._idf(w)
            smaller = np.minimum(weights[:end], self._weight(p.keywords))
            overlap = np.divide(shared[:end], smaller, out=np.zeros(end), where=smaller > 0)
            overlap *= np.minimum(1.0, np.minimum(counts[:end], len(p.keywords)) / KEYWORD_FLOOR)
            combined = alpha * cos + (1.0 - alpha) * overlap
            # name conflict (_name_conflict): p's lead against their keywords, theirs
            # against p's keywords
            missed = np.zeros(end)
            lead_weight = self._weight(p.lead)
            if lead_weight > 0:
                found = np.zeros(len(flat))
                for w in p.lead:
                    if w in mentioned:
                        found[mentioned[w]] += self._idf(w)
                missed = 1.0 - found[:end] / lead_weight
            back = np.zeros(len(flat))
            for w in p.named:
                if w in lead_index:
                    back[lead_index[w]] += self._idf(w)
            missed_back = np.divide(
                back[:end], lead_weights[:end], out=np.ones(end), where=lead_weights[:end] > 0
            )
            missed_back = np.where(lead_weights[:end] > 0, 1.0 - missed_back, 0.0)
            conflict = np.minimum(missed, missed_back)
            combined -= NAME_CONFLICT_PENALTY * conflict
            out: np.ndarray = np.where(has_kw[:end], combined, cos)
            veto = other(r, end) if others else np.zeros(end, dtype=bool)
            return out, has_kw[:end] & (conflict >= FULL_NAME_CONFLICT), veto

        return scores

    @staticmethod
    def _column(rows: np.ndarray, i: int, n_old: int, fill: Any) -> np.ndarray:
        """Existing cluster ``i`` against every cluster, ``fill`` for the existing ones."""
        out = np.full(rows.shape[1], fill, dtype=rows.dtype)
        out[n_old:] = rows[:, i]
        return out

    # -------------------------------------------------------------- queries

    def stories(self) -> list[Story]:
        """Stories in order of foundation, members in order of addition."""
        return [Story(s.id, tuple(s.members)) for s in self._stories.values()]

    def story_of(self, article_id: str) -> str:
        try:
            return self._story_of[article_id]
        except KeyError:
            raise InputError(f"unknown article {article_id!r}", "article_id") from None

    def profile(self, article_id: str) -> ArticleProfile:
        try:
            return self._profiles[article_id]
        except KeyError:
            raise InputError(f"unknown article {article_id!r}", "article_id") from None

    # -------------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot, every profile inline (vectors as base64
        little-endian float32, exact). Its size grows with the articles; a store that
        keeps profiles apart writes ``snapshot`` and ``profile_record`` instead."""
        return {
            **self.snapshot(),
            "format": INDEX_FORMAT,
            "articles": [{"id": aid, **self.profile_record(aid)} for aid in self._profiles],
        }

    def snapshot(self) -> dict[str, Any]:
        """The index without its profiles (``SPLIT_FORMAT``): parameters, stories and their
        members, retired ids; a few dozen bytes an article. ``from_parts`` reads it back
        with the profile records."""
        return {
            "format": SPLIT_FORMAT,
            "params": {
                "threshold": self.params.threshold,
                "alpha": self.params.alpha,
                "max_gap_days": self.params.max_gap_days,
            },
            "stories": [
                {"id": s.id, "article_ids": list(s.members)} for s in self._stories.values()
            ],
            "retired": sorted(self._retired),
        }

    def profile_record(self, article_id: str) -> dict[str, Any]:
        """One article's profile as JSON (what ``to_dict`` holds inline, less the id)."""
        p = self.profile(article_id)
        return {
            "published": p.published.isoformat() if p.published else None,
            "vector": base64.b64encode(p.vector.astype("<f4").tobytes()).decode("ascii"),
            "keywords": sorted(p.keywords),
            "lead": sorted(p.lead),
            "mentions": sorted(p.mentions),
            "kinds": sorted(p.kinds),
            "recalled": sorted(p.recalled),
            "own_lead": sorted(p.own_lead),
            "new_event": p.new_event,
            "storms": sorted(p.storms),
        }

    def take_changes(self) -> tuple[set[str], set[str], bool]:
        """The articles added (or to be written again) and removed since the last call,
        which a store that keeps profiles apart must write and delete, and whether every
        stored profile must go first (the index was read from a ``to_dict`` snapshot: rows
        left by an older build may name articles it has deleted). All are cleared."""
        changed, removed, everything = self._changed, self._removed, self._rewrite_all
        self._changed, self._removed, self._rewrite_all = set(), set(), False
        return changed, removed, everything

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StoryIndex:
        """Rebuild an index from ``to_dict`` output; a malformed snapshot raises InputError.
        Every profile counts as changed (``take_changes``): a store moving to separate
        profile records writes them all."""
        _check_format(data, INDEX_FORMAT)
        try:
            articles = data["articles"]
            records = {str(item["id"]): item for item in articles}
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"malformed story index snapshot: {exc!r}") from exc
        index = cls._build(data, records)
        missing = sorted(set(records) - set(index._profiles))
        if missing:  # inline, every profile must be in a story
            raise InputError(f"articles in no story: {missing}")
        index._changed = set(index._profiles)
        index._rewrite_all = True
        return index

    @classmethod
    def from_parts(
        cls, snapshot: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]]
    ) -> StoryIndex:
        """Rebuild an index from ``snapshot`` output and the ``profile_record`` of each
        article (by id; records of articles in no story are passed over)."""
        _check_format(snapshot, SPLIT_FORMAT)
        return cls._build(snapshot, records)

    @classmethod
    def _build(
        cls, data: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]]
    ) -> StoryIndex:
        try:
            index = cls(ClusterParams(**dict(data["params"])))
            for st in data["stories"]:
                state = _StoryState(str(st["id"]), [str(a) for a in st["article_ids"]])
                if not state.members:
                    raise InputError(f"story {state.id} has no articles")
                index._stories[state.id] = state
                for a in state.members:
                    item = records.get(a)
                    if item is None or a in index._story_of:
                        raise InputError(f"story {state.id}: article {a!r} unknown or repeated")
                    vec = np.frombuffer(base64.b64decode(item["vector"]), dtype="<f4").copy()
                    published = date.fromisoformat(item["published"]) if item["published"] else None
                    prof = ArticleProfile(
                        a,
                        published,
                        vec,
                        frozenset(item["keywords"]),
                        frozenset(item.get("lead", ())),  # absent before lead names: none
                        frozenset(item.get("mentions", ())),  # absent before mentions: none
                        # absent before other events: none, so nothing is kept apart
                        kinds=frozenset(item.get("kinds", ())),
                        recalled=frozenset(item.get("recalled", ())),
                        own_lead=frozenset(item.get("own_lead", ())),
                        new_event=bool(item.get("new_event", False)),
                        storms=frozenset(item.get("storms", ())),
                    )
                    index._profiles[a] = prof
                    index._df.update(prof.keywords)
                    index._story_of[a] = state.id
            index._retired = {str(x) for x in data.get("retired", ())}  # absent before deletes
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed story index snapshot: {exc!r}") from exc
        return index


def _check_format(data: object, expected: int) -> None:
    if not isinstance(data, Mapping):
        raise InputError(f"malformed story index snapshot: a {type(data).__name__}, not a mapping")
    if data.get("format") != expected:
        raise InputError(f"unknown story index format {data.get('format')!r}")


def group_articles(
    profiles: Iterable[ArticleProfile], params: ClusterParams | None = None
) -> list[Story]:
    """Batch grouping: the stories of a fresh index given all the profiles at once."""
    items = list(profiles)
    ids = [p.article_id for p in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError(f"duplicate article ids {dup}", "article_id")
    index = StoryIndex(params)
    index.extend(items)
    return index.stories()


# ---------------------------------------------------------------------- evaluation


def bcubed(pred: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering (item -> cluster label) vs gold.

    Both mappings must cover the same items.
    """
    if set(pred) != set(gold):
        extra, missing = sorted(set(pred) - set(gold)), sorted(set(gold) - set(pred))
        raise InputError(f"pred and gold cover different items: extra {extra}, missing {missing}")
    if not gold:
        raise InputError("bcubed needs at least one item")
    pred_sets: dict[str, set[str]] = {}
    gold_sets: dict[str, set[str]] = {}
    for item in gold:
        pred_sets.setdefault(pred[item], set()).add(item)
        gold_sets.setdefault(gold[item], set()).add(item)
    p_sum = r_sum = 0.0
    for item in gold:
        p_set, g_set = pred_sets[pred[item]], gold_sets[gold[item]]
        both = len(p_set & g_set)
        p_sum += both / len(p_set)
        r_sum += both / len(g_set)
    p, r = p_sum / len(gold), r_sum / len(gold)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1
