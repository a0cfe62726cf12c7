"""Relative days in a brief drawn from articles published on different days.

"On Monday" means one day in an article published on a Tuesday and another in one
published a week later: a brief that serves "the bridge collapsed on Monday" from the first
and "inspections will begin on Monday" from the second tells the reader they are the same
day. When a brief's served sentences cite articles of more than one publication date, each
relative day it copies from its citations gets its date: "on Monday (September 14)".

A day is dated only when that is safe to read off the cited sentence:

* ``yesterday``, ``today``, ``tonight`` and ``tomorrow`` count from the cited article's
  publication date;
* a bare weekday ("on Monday", "Monday afternoon") is the last such day before the
  publication date when the nearest word that tells, before it or else after it, is a
  past ("collapsed ... on Monday", "on Wednesday ordered"), and the next one after it
  when that word is a future ("would begin on Monday", "is due to reopen on Saturday");
* "last Monday", "next Monday", "this Monday", a weekday that is the publication day
  itself, a sentence whose citations with that word were published on different days, and
  a word no cited sentence has are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from summarizer.types import BriefSentence

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_OFFSETS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
MAX_QUOTE_CHARS = 2_000
_DAY = re.compile(
    r"\b(?:(last|next|this|coming|previous|every|each|on)\s+)?"
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tonight"
    r"|tomorrow)\b(?!['’]s)(?>(?:\s+(morning|afternoon|evening|night)\b)?)(?!\s*\()"
    r"(?!,?\s+(?:\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b))",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_REACH = 6  # words before a day that may hold the verb it goes with
_FUTURE = frozenset(
    """will would shall 'll due scheduled expected planned plans plan set going upcoming
    takes begins starts opens ends closes meets holds plays arrives leaves visits faces
    resumes returns""".split()
)
_PAST_IRREGULAR = frozenset(
    """was were had said fell hit met made took gave went came left told found broke began
    saw won lost struck sank shot ran rose spoke wrote got put cut led paid sent spent built
    kept brought thought bought sold stood felt heard knew became threw drove flew fought
    caught taught chose froze stole woke swore tore wore fled""".split()
)
_NOT_PAST = frozenset("need speed red bed shed seed feed breed greed weed hundred".split())
_BE = frozenset("be been being".split())
# a day after these is a bound of a span ("closed until Monday", "from Monday"): which
# side of the publication date it lies on is not told by the verb
_SPAN = frozenset("until till through since from by before after between".split())


def _tells(words: Sequence[str], cased: Sequence[str], k: int) -> str | None:
    w = words[k]
    if w in _FUTURE:
        return "future"
    if w in _PAST_IRREGULAR:
        return "past"
    if w.endswith("ed") and len(w) > 4 and w not in _NOT_PAST and not cased[k][:1].isupper():
        # "will be held", "has been delayed": a participle, the auxiliary before it tells
        return None if k > 0 and words[k - 1] in _BE else "past"
    return None


def _tense(words: Sequence[str], cased: Sequence[str], at: int) -> str | None:
    """'past', 'future' or None: the nearest word that tells within ``_REACH`` words before
    the day at ``at`` (the verb a day goes with mostly comes first: "is due to reopen on
    Saturday"), else the one word right after it ("on Wednesday ordered"). A participle
    after "be" tells nothing ("will be held": "will" does), nor does a capitalised word
    ("Manchester United"); a day that bounds a span ("until Monday") is not judged."""
    lead = at - 2 if at >= 1 and words[at - 1] == "on" else at - 1
    if lead >= 0 and words[lead] in _SPAN:
        return None
    for k in range(at - 1, max(-1, at - 1 - _REACH), -1):
        told = _tells(words, cased, k)
        if told is not None:
            return told
    for k in range(at + 1, min(len(words), at + 3)):
        if words[k] in ("morning", "afternoon", "evening", "night"):
            continue
        return _tells(words, cased, k)
    return None


def resolve_day(sentence: str, start: int, published: date) -> date | None:
    """The date of the relative day ``_DAY`` matched at ``start`` of ``sentence`` (a cited
    source sentence), published on ``published``; None where it cannot be told safely."""
    m = _DAY.match(sentence, start)
    if m is None:
        return None
    lead = (m.group(1) or "").lower()
    word = m.group(2).lower()
    if word in _OFFSETS:
        return published + timedelta(days=_OFFSETS[word]) if lead in ("", "on") else None
    if lead not in ("", "on"):
        return None  # "last Monday", "next Monday": which week is the writer's to say
    target = WEEKDAYS.index(word)
    if target == published.weekday():
        return None  # that very day, or a week on: no telling
    cased = _WORD.findall(sentence[: m.start(2)])
    at = len(cased)
    cased += _WORD.findall(sentence[m.start(2) :])
    tense = _tense([w.lower() for w in cased], cased, at)
    if tense == "past":
        return published - timedelta(days=(published.weekday() - target) % 7)
    if tense == "future":
        return published + timedelta(days=(target - published.weekday()) % 7)
    return None


def _label(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.day}"


def date_relative_days(
    sentences: Sequence[BriefSentence], published: Mapping[str, date | None]
) -> list[BriefSentence]:
    """``sentences`` with their relative days dated (see the module's docstring) when the
    articles their served sentences cite were published on more than one day; otherwise
    as they are. ``published`` maps an article id to its publication date."""
    served = [s for s in sentences if s.supported]
    days = {published.get(c.article_id) for s in served for c in s.citations}
    if len(days - {None}) < 2:
        return list(sentences)
    out: list[BriefSentence] = []
    for s in sentences:
        out.append(_dated(s, published) if s.supported else s)
    return out


def _dated(sentence: BriefSentence, published: Mapping[str, date | None]) -> BriefSentence:
    text = sentence.text
    pieces: list[str] = []
    last = 0
    for m in _DAY.finditer(text):
        word = m.group(2).lower()
        lead = (m.group(1) or "").lower()
        found: set[date] = set()
        unsure = False
        for c in sentence.citations:
            when = published.get(c.article_id)
            if len(c.quote) > MAX_QUOTE_CHARS:
                unsure = True  # a sentence this long is not read word by word for days
                continue
            for q in _DAY.finditer(c.quote):
                if q.group(2).lower() != word or (q.group(1) or "").lower() != lead:
                    continue
                day = resolve_day(c.quote, q.start(), when) if when else None
                if day is None:
                    unsure = True
                else:
                    found.add(day)
        if unsure or len(found) != 1:
            continue
        (day,) = found
        pieces.append(text[last : m.end()])
        pieces.append(f" ({_label(day)})")
        last = m.end()
    if not pieces:
        return sentence
    pieces.append(text[last:])
    return sentence.model_copy(update={"text": "".join(pieces)})
