"""Relative days dated when a brief draws on articles of different days."""

from __future__ import annotations

from datetime import date

import pytest

from summarizer.days import date_relative_days, resolve_day
from summarizer.types import BriefSentence, Citation

TUE = date(2026, 9, 15)
THU = date(2026, 9, 17)


def _at(sentence: str, word: str, published: date) -> date | None:
    return resolve_day(sentence, sentence.index(word), published)


def _d(day: int) -> date:
    return date(2026, 9, day)


@pytest.mark.parametrize(
    ("sentence", "word", "published", "expected"),
    [
        # the nearest word that tells is a past: the last such day before publication
        ("A footbridge collapsed into a river on Monday afternoon.", "on Monday", TUE, _d(14)),
        ("The council on Wednesday ordered checks of 23 bridges.", "on Wednesday", THU, _d(16)),
        ("Engineers who examined it on Tuesday found a rotten beam.", "on Tuesday", THU, _d(15)),
        # a future: the next such day
        ("She said the inspections would begin on Monday.", "on Monday", THU, _d(21)),
        ("The path is due to reopen on Saturday, the council said.", "on Saturday", TUE, _d(19)),
        # days counted from publication
        ("The council met yesterday.", "yesterday", THU, _d(16)),
        ("Checks start tomorrow.", "tomorrow", THU, _d(18)),
        # not safe to tell
        ("The bridge collapsed last Monday.", "last Monday", THU, None),
        ("Inspections begin next Monday.", "next Monday", THU, None),
        ("The bridge collapsed on Tuesday.", "on Tuesday", TUE, None),  # the day itself
        ("On Monday the bridge.", "On Monday", THU, None),  # no word that tells
        # a review's cases (published on Wednesday the 16th)
        ("The funeral will be held on Monday.", "on Monday", _d(16), _d(21)),
        ("The newly elected mayor takes office on Friday.", "on Friday", _d(16), _d(18)),
        ("Residents who fled on Monday are expected back.", "on Monday", _d(16), _d(14)),
        ("The road was closed until Monday.", "Monday", _d(16), None),  # a span's bound
        ("The strike continued from Monday.", "Monday", _d(16), None),
        ("Manchester United play Chelsea on Saturday.", "on Saturday", _d(16), None),
    ],
)  # fmt: skip
def test_a_relative_day_is_read_off_its_sentence(
    sentence: str, word: str, published: date, expected: date | None
) -> None:
    assert _at(sentence, word, published) == expected


def _served(text: str, article_id: str, quote: str) -> BriefSentence:
    cite = Citation(
        article_id=article_id, outlet=article_id, url=None, quote=quote, start=0, end=len(quote)
    )
    return BriefSentence(text=text, support=1.0, citations=[cite], supported=True)


FELL = "A section of the Old Mill footbridge collapsed into the River Wend on Monday afternoon."
BEGIN = "Council leader Fiona Grant said the inspections would begin on Monday."


def test_the_same_weekday_from_articles_of_different_days_gets_each_its_date() -> None:
    """From a review's story set: "collapsed ... on Monday" (published Tuesday) and
    "inspections would begin on Monday" (published Thursday) read as one Monday."""
    published = {"courier": TUE, "valley": THU}
    out = date_relative_days(
        [_served(FELL, "courier", FELL), _served(BEGIN, "valley", BEGIN)], published
    )
    assert [s.text for s in out] == [
        FELL.replace("Monday afternoon", "Monday afternoon (September 14)"),
        BEGIN.replace("on Monday", "on Monday (September 21)"),
    ]
    # one publication day: every "Monday" is the same one, and the text stays as written
    same = {"courier": TUE, "valley": TUE}
    kept = date_relative_days(
        [_served(FELL, "courier", FELL), _served(BEGIN, "valley", BEGIN)], same
    )
    assert [s.text for s in kept] == [FELL, BEGIN]
    # a day the model wrote that no cited line has, or one already dated, stays as it is
    for text in ("The footbridge fell on Friday.", "The bridge fell on Monday, September 14."):
        (s, _) = date_relative_days(
            [_served(text, "courier", FELL), _served(BEGIN, "valley", BEGIN)], published
        )
        assert s.text == text
    # cited lines that put the day on different dates leave it undated
    # (the weekly, a week on, reads "collapsed ... on Monday" as September 21)
    published["weekly"] = date(2026, 9, 24)
    two = _served("The bridge fell on Monday.", "courier", FELL)
    two.citations.append(two.citations[0].model_copy(update={"article_id": "weekly"}))
    (s, _) = date_relative_days([two, _served(BEGIN, "valley", BEGIN)], published)
    assert s.text == "The bridge fell on Monday."
    # an article with no date counts for none
    (s, _) = date_relative_days(
        [_served(FELL, "courier", FELL), _served(BEGIN, "valley", BEGIN)], {"courier": TUE}
    )
    assert s.text == FELL
