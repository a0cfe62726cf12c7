"""Tests for summarizer.sentences: sentence splitting with exact offsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.clean import clean_text
from summarizer.errors import EmptyTextError, InputError
from summarizer.sentences import (
    MAX_SENTENCE_CHARS,
    prepare_article,
    sentence_backend,
    split_sentences,
)
from summarizer.types import Article, CleanText, Segment, Sentence

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def art(text: str, id: str = "a1", title: str | None = None) -> Article:
    return Article(id=id, outlet="Example", text=text, title=title)


def check(article: Article, sentences: list[Sentence]) -> None:
    """Offsets are exact, indices consecutive, no surrounding whitespace."""
    for i, s in enumerate(sentences):
        assert s.index == i
        assert s.article_id == article.id and s.outlet == article.outlet
        assert article.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text


def split(text: str) -> list[str]:
    article = art(text)
    _, sentences = prepare_article(article)
    check(article, sentences)
    return [s.text for s in sentences]


def test_backend_is_blingfire() -> None:
    # the measured figures in the module docstring are blingfire's; pysbd is only a fallback
    assert sentence_backend() == "blingfire"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. and South Korea held drills. Seoul said it would respond.",
            ["The U.S. and South Korea held drills.", "Seoul said it would respond."],
        ),
        (
            "The minister arrived on Oct. 18 in the capital. He met the leader on Thursday.",
            ["The minister arrived on Oct. 18 in the capital.", "He met the leader on Thursday."],
        ),
        (
            "N. Korea fired a missile on Jan. 15, officials said. Japan protested.",
            ["N. Korea fired a missile on Jan. 15, officials said.", "Japan protested."],
        ),
        (
            "Sen. Maggie Hassan spoke first. Gov. John Lynch retired. Mr. Smith agreed.",
            ["Sen. Maggie Hassan spoke first.", "Gov. John Lynch retired.", "Mr. Smith agreed."],
        ),
        (
            "He called the policy “dangerous.” The minister said more talks were needed.",
            ["He called the policy “dangerous.”", "The minister said more talks were needed."],
        ),
        (
            'She said it was "a complete disaster." The ministry disagreed.',
            ['She said it was "a complete disaster."', "The ministry disagreed."],
        ),
        (
            '"We are not ruling it out. We are not looking for suspects," she said. Police left.',
            [
                '"We are not ruling it out.',
                'We are not looking for suspects," she said.',
                "Police left.",
            ],
        ),
        (
            "It cost $8.5bn in 2011, up 3.5 percent. The share rose to 35%. Then it fell.",
            ["It cost $8.5bn in 2011, up 3.5 percent.", "The share rose to 35%.", "Then it fell."],
        ),
        (
            "It was 3 p.m. Sunday when police arrived. They found two men.",
            ["It was 3 p.m. Sunday when police arrived.", "They found two men."],
        ),
        (  # a case name (a review's court set served "The 4-3 ruling in State v." alone)
            "The 4-3 ruling in State v. Pell means police need a warrant. Pell was freed.",
            ["The 4-3 ruling in State v. Pell means police need a warrant.", "Pell was freed."],
        ),
        (
            "The vote was held under U.N. Security Council rules. No. 2 on the list was St. Louis.",
            [
                "The vote was held under U.N. Security Council rules.",
                "No. 2 on the list was St. Louis.",
            ],
        ),
    ],
)
def test_abbreviations_and_quotes(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_dateline_is_not_part_of_the_first_sentence() -> None:
    text = "SEOUL, Oct. 20 (Yonhap) -- The leader vowed closer ties. He met the minister.\n"
    assert split(text) == ["The leader vowed closer ties.", "He met the minister."]


def test_inline_yonhap_credit_never_reaches_a_sentence() -> None:
    text = (
        "The talks ended on Friday. SEOUL, Oct. 20 (Yonhap) -- North Korea fired a missile.\n"
        '"We are watching," a spokesperson told a briefing. (Yonhap)\n'
    )
    sentences = split(text)
    assert sentences == [
        "The talks ended on Friday.",
        "North Korea fired a missile.",
        '"We are watching," a spokesperson told a briefing.',
    ]
    assert not any("(Yonhap)" in s for s in sentences)


def test_sentences_never_cross_segments() -> None:
    text = "The council met on Tuesday and voted on Wednesday to approve the plan."
    article = art(text)
    cut = text.index(" voted")
    clean = CleanText(
        "a1",
        text[:cut] + "\n" + text[cut + 1 :],
        (Segment(0, 0, cut), Segment(cut + 1, cut + 1, len(text) - cut - 1)),
    )
    sentences = split_sentences(article, clean)
    check(article, sentences)
    assert [s.text for s in sentences] == [
        "The council met on Tuesday and",
        "voted on Wednesday to approve the plan.",
    ]


def test_sentence_broken_over_two_lines_is_one_sentence() -> None:
    text = "The council met on Tuesday and\nvoted on Wednesday to approve the plan. It passed."
    assert split(text) == [
        "The council met on Tuesday and\nvoted on Wednesday to approve the plan.",
        "It passed.",
    ]


def test_widget_line_becomes_its_own_sentence() -> None:
    text = (
        "Officials confirmed the visit on Monday.\n"
        "N. Korea claims to have launched a new missile 2024-01-15 07:47 | North Korea"
        "Peskov said Moscow hopes for a visit soon.\n"
    )
    assert split(text) == [
        "Officials confirmed the visit on Monday.",
        "Peskov said Moscow hopes for a visit soon.",
    ]


def test_faq_tail_yields_no_sentences() -> None:
    text = (
        "The council approved the budget. Spending rises by 4 percent.\n\n"
        "Frequently Asked Questions:\n\nWhat did the council decide?\n\n"
        "The council approved the budget.\n"
    )
    assert split(text) == ["The council approved the budget.", "Spending rises by 4 percent."]


def test_short_fragments_are_dropped_but_short_sentences_kept() -> None:
    lines = [
        "1 / 11",
        "Gunshots heard.",
        "It began.",
        "He left.",
        "Oh the irony!",
        "— .",
        "Spillway gold?",
    ]
    text = "\n".join(lines)
    segs, pos = [], 0
    for line in lines:
        segs.append(Segment(pos, pos, len(line)))
        pos += len(line) + 1
    article = art(text)
    sentences = split_sentences(article, CleanText("a1", text, tuple(segs)))
    check(article, sentences)
    assert [s.text for s in sentences] == ["It began.", "He left.", "Oh the irony!"]


@pytest.mark.parametrize(
    "text",
    [
        "The board met again on Friday. Read more. It voted to stay.",
        "The board met again on Friday, officials said. Reuters",
        "The board met again on Friday. Sign up. It voted to stay.",
        "Today's headlines.\nThe board met again on Friday.",
        "The board met again on Friday, officials said. Copyright AFP",
        "The board met again on Friday, officials said. Facebook Twitter",
        "The board met again on Friday, officials said. Source: Bloomberg",
    ],
)
def test_furniture_between_or_after_sentences_is_still_dropped(text: str) -> None:
    got = split(text)
    assert all(len(x.split()) >= 3 for x in got), got


def test_a_short_sentence_that_ends_a_paragraph_is_kept_unless_it_is_furniture() -> None:
    text = (
        "The board met again on Friday. It took our leadership position. Unbelievable.\n"
        "The team was beaten in the final. Game over.\n"
        "She would not say who told her. Her source?\n"
    )
    assert split(text)[2:] == [
        "Unbelievable.",
        "The team was beaten in the final.",
        "Game over.",
        "She would not say who told her.",
        "Her source?",
    ]


def test_a_short_sentence_inside_a_paragraph_is_the_articles_own() -> None:
    """Only a segment that is nothing but a fragment is furniture; between sentences of a
    paragraph "Not once." and "Unbelievable." are the article's words."""
    text = (
        "He never saw any mistreatment of any black person. Not once. Where we lived, "
        "the people were godly.\n"
        "The board met again on Friday. Unbelievable. They're funny. It voted to stay.\n"
        "Full Screen\n"
        "1 / 11\n"
    )
    assert split(text) == [
        "He never saw any mistreatment of any black person.",
        "Not once.",
        "Where we lived, the people were godly.",
        "The board met again on Friday.",
        "Unbelievable.",
        "They're funny.",
        "It voted to stay.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '"You see that?" he told me. The field was empty.',
            ['"You see that?" he told me.', "The field was empty."],
        ),
        ('"Eureka!" said Thomas. Then he left.', ['"Eureka!" said Thomas.', "Then he left."]),
        # a new sentence in capitals after a question is its own
        ('"Why now?" He did not answer.', ['"Why now?"', "He did not answer."]),
    ],
)
def test_an_attribution_after_a_quoted_question_stays_with_it(
    text: str, expected: list[str]
) -> None:
    assert split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "He drove off at 6:04 p.m. Gold was never seen leaving the car, police said.",
            ["He drove off at 6:04 p.m.", "Gold was never seen leaving the car, police said."],
        ),
        (
            "The vote is at 3 p.m. Sunday in the hall.",
            ["The vote is at 3 p.m. Sunday in the hall."],
        ),
        ("It starts at 9 a.m. ET on the channel.", ["It starts at 9 a.m. ET on the channel."]),
        (
            "Doors open at 8 p.m. Eastern time, the club said.",
            ["Doors open at 8 p.m. Eastern time, the club said."],
        ),
        ("The storm hit at 4 a.m. in the valley.", ["The storm hit at 4 a.m. in the valley."]),
        (
            "Talks begin at 9 a.m. Moscow time on Friday, officials said.",
            ["Talks begin at 9 a.m. Moscow time on Friday, officials said."],
        ),
        (
            "Polls close at 8 p.m. Election Day in most states.",
            ["Polls close at 8 p.m. Election Day in most states."],
        ),
        (
            "The fire started at 3 p.m. A police spokesman said nobody was hurt.",
            ["The fire started at 3 p.m.", "A police spokesman said nobody was hurt."],
        ),
    ],
)
def test_a_sentence_ending_at_a_clock_time_ends_there(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_long_sentence_is_cut_at_a_sensible_boundary() -> None:
    items = ", ".join(f"item number {i} from the long list of things" for i in range(40))
    text = f"The report lists {items} and more."
    sentences = split(text)
    assert len(sentences) > 1
    assert all(len(s) <= MAX_SENTENCE_CHARS for s in sentences)
    assert all(s.endswith(",") for s in sentences[:-1])
    assert " ".join(sentences) == text


def test_long_unbroken_token_is_cut_hard() -> None:
    text = "Visit " + "x" * 1500 + " now."
    article = art(text)
    _, sentences = prepare_article(article)
    check(article, sentences)
    assert max(len(s.text) for s in sentences) <= MAX_SENTENCE_CHARS
    assert "".join(s.text for s in sentences).replace(" ", "") == text.replace(" ", "")


def test_one_sentence_article() -> None:
    assert split("The council approved the budget on Tuesday.") == [
        "The council approved the budget on Tuesday."
    ]


def test_unicode_and_control_characters_keep_offsets() -> None:
    text = "서울에서 회담이 열렸다 😀 today. The talks\u0000 ended\u00a0early. Done at last."
    article = art(text)
    clean = CleanText("a1", text, (Segment(0, 0, len(text)),))
    sentences = split_sentences(article, clean)
    check(article, sentences)
    assert sentences[-1].text == "Done at last."


@pytest.mark.parametrize("text", ["", "   \n\t ", "Full Screen\n1 / 11\nAdvertisement\n"])
def test_empty_or_boilerplate_only_raises(text: str) -> None:
    with pytest.raises(EmptyTextError) as err:
        prepare_article(art(text))
    assert err.value.field == "text"


def test_fragments_only_raises() -> None:
    with pytest.raises(EmptyTextError):
        prepare_article(art("Gunshots heard.\n1 / 11.\nSpillway gold?\n"))


def test_mismatched_clean_text_is_refused() -> None:
    article = art("The council met.")
    other = clean_text("other", article.text)
    with pytest.raises(InputError) as err:
        split_sentences(article, other)
    assert err.value.field == "article_id"


def test_segment_outside_text_is_refused() -> None:
    article = art("Short.")
    bad = CleanText("a1", "x" * 20, (Segment(0, 0, 20),))
    with pytest.raises(InputError):
        split_sentences(article, bad)


def test_title_is_used_for_cleaning() -> None:
    article = art(
        "Council approves budget!\nThe council approved it on Tuesday.",
        title="Council approves budget!",
    )
    _, sentences = prepare_article(article)
    assert [s.text for s in sentences] == ["The council approved it on Tuesday."]


# ------------------------------------------------------------------ seeds


def _seed_articles() -> list[Article]:
    manifest = json.loads((SEEDS / "manifest.json").read_text(encoding="utf-8"))
    return [
        Article(
            id=a["id"],
            outlet=a["outlet"],
            text=(SEEDS / a["file"]).read_text(encoding="utf-8"),
            title=a["title"],
        )
        for a in manifest["articles"]
    ]


@pytest.fixture(scope="module")
def seed_sentences() -> dict[str, list[str]]:
    out = {}
    for article in _seed_articles():
        _, sentences = prepare_article(article)
        check(article, sentences)
        out[article.id[:3]] = [s.text for s in sentences]
    return out


SEED_BOILERPLATE = [
    "view larger image",
    "(Yonhap)",
    "via AP",
    "Full Screen",
    "1 / 11",
    "Recommended Videos",
    "Source: CNA",
    "ATTN",
    "Lee Minji",
    "Frequently Asked",
    "07:47",
    "| North Korea",
    "SEOUL",
    "telegram channel",
    "TIGHTENING",
    "For Use Only",
]


def test_seed_boilerplate_never_reaches_a_sentence(seed_sentences: dict[str, list[str]]) -> None:
    for key, sentences in seed_sentences.items():
        for s in sentences:
            for junk in SEED_BOILERPLATE:
                assert junk not in s, (key, junk, s)
            assert not s.endswith("?"), (key, s)  # the generated FAQ is gone


def test_seed_key_sentences_survive(seed_sentences: dict[str, list[str]]) -> None:
    def has(key: str, *words: str) -> bool:
        return any(all(w in s for w in words) for s in seed_sentences[key])

    assert has("000", "vowed to build", "forward-looking", "relationship with Russia")
    assert seed_sentences["000"][0].startswith("North Korean leader Kim Jong-un has vowed")
    assert has("001", "proposed regular security talks with North Korea and China")
    assert has("002", "wants to build", "forward-looking", "relationship with Russia")
    assert has("003", "forward-thinking plan")
    assert seed_sentences["003"][0].startswith("North Korean leader Kim Jong Un reaffirmed")
    assert seed_sentences["004"][0].startswith("North Korean Foreign Minister Choe Son-hui arrived")
    assert has("004", "Peskov was also quoted", "foreseeable future")
    assert seed_sentences["004"][-1].endswith("told a regular press briefing.")
    # "Sept. 13 summit", "U.N. Security Council", "U.S.-led" do not split sentences
    assert has("000", "Sept. 13 summit between the North Korean leader")
    assert has("001", "in violation of U.N. Security Council resolutions that ban")


# ------------------------------------------------------------------ eval set


def _eval_path() -> Path:
    path = ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"
    if not path.exists():
        pytest.skip("eval data not found beside the repository")
    return path


def _start(text: str, i: int) -> int:
    """A sentence start, tolerant of the quote/bracket characters the gold splitter moves."""
    while i < len(text) and text[i].isspace():
        i += 1
    j = i
    while j < len(text) and j < i + 4 and not text[j].isalnum():
        j += 1
    return j if j < len(text) and text[j].isalnum() else i


def test_eval_sentence_boundaries() -> None:
    tp = fp = fn = tpi = fpi = fni = 0
    for line in _eval_path().read_text(encoding="utf-8").splitlines():
        for d in json.loads(line)["documents"]:
            text = d["rawDocumentText"]
            article = art(text, id=d["documentFile"])
            clean = clean_text(article.id, text)
            sentences = split_sentences(article, clean)
            check(article, sentences)
            segs = [(s.orig_start, s.orig_start + s.length) for s in clean.segments]
            gold = {_start(text, g) for g in d["docSentCharIdxToSentIdx"]}
            gold = {g for g in gold if any(a <= g < b for a, b in segs)}
            pred = {_start(text, s.start) for s in sentences}
            line_starts = {_start(text, a) for a, _ in segs}
            tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
            gi, pi = gold - line_starts, pred - line_starts
            tpi, fpi, fni = tpi + len(pi & gi), fpi + len(pi - gi), fni + len(gi - pi)
    # measured (blingfire): all starts P 0.968 R 0.898; within lines P 0.998 R 0.814.
    # Most misses are gold artefacts (headlines and transcripts cut mid-phrase).
    assert tp / (tp + fp) >= 0.94
    assert tp / (tp + fn) >= 0.86
    assert tpi / (tpi + fpi) >= 0.97
    assert tpi / (tpi + fni) >= 0.77


# ------------------------------------------------------------------ robustness

PIECES = [
    "The U.S. envoy met Sen. Lee on Jan. 15.",
    "SEOUL, Oct. 20 (Yonhap) -- ",
    "“We will talk,” he said.",
    "Full Screen",
    "1 / 11",
    "(Yonhap)",
    "Follow us on Twitter @example",
    "N. Korea 2024-01-15 07:47 | World",
    "Frequently Asked Questions:",
    "What happened?",
    "and then",
    "<b>bold</b>",
    "\u00a0",
    "\t",
    " ",
    "\r\n",
    "\n",
    "\n\n",
    "...",
    "😀",
    "x" * 700,
    "Advertisement",
]


def test_random_documents_keep_exact_offsets() -> None:
    import random

    rng = random.Random(7)
    for n in range(300):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        article = art(text, id=f"r{n}")
        clean = clean_text(article.id, text)
        for seg in clean.segments:
            piece = text[seg.orig_start : seg.orig_start + seg.length]
            assert piece == clean.text[seg.clean_start : seg.clean_start + seg.length]
        sentences = split_sentences(article, clean)
        check(article, sentences)
        assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentences)
        for seg in clean.segments:
            assert clean.to_original(seg.clean_start) == seg.orig_start


def test_pysbd_fallback_splits_with_exact_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    import summarizer.sentences as mod

    monkeypatch.setattr(mod, "_backend", ("pysbd", mod._pysbd_spans))
    assert sentence_backend() == "pysbd"
    text = "The U.S. envoy arrived on Oct. 18. He met the minister."
    assert split(text) == ["The U.S. envoy arrived on Oct. 18.", "He met the minister."]


def test_native_blingfire_offsets_match_the_library_wrapper() -> None:
    import random

    import summarizer.sentences as mod

    rng = random.Random(3)
    alphabet = ["a", "B", ".", " ", "“", "”", "😀", "é", "서", "…", "?", "!", '"', " U.S. "]
    alphabet += ["Mr. ", "3.5", "—", "\t", "Gov. ", "N. Korea"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
        if text.strip():
            assert mod._blingfire_spans(text) == mod._blingfire_wrapper_spans(text), text


def test_huge_article_splits_fast() -> None:
    import time

    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    lines = [f"{i} {line}" for i in range(80) for line in text.split("\n") if line.strip()]
    big = "\n".join(lines)[:1_000_000]
    article = art(big)
    t0 = time.perf_counter()
    clean, sentences = prepare_article(article)
    assert time.perf_counter() - t0 < 5.0  # measured ~1 s for clean + split
    check(article, sentences)
    assert len(sentences) > 5000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Prices rose. Shares fell. Nobody knows why the market turned.",
            ["Prices rose.", "Shares fell.", "Nobody knows why the market turned."],
        ),
        ("Trump wins. Clinton concedes.", ["Trump wins.", "Clinton concedes."]),
        # page furniture of the same shape is not
        ("More photos. Top stories. Prices rose.", ["Prices rose."]),
    ],
)
def test_two_word_sentences_are_sentences(text: str, expected: list[str]) -> None:
    assert split(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "He quoted Martin Luther King Jr. The crowd was huge.",
            ["He quoted Martin Luther King Jr.", "The crowd was huge."],
        ),
        (
            "It is called vitamin D. It helps bones grow.",
            ["It is called vitamin D.", "It helps bones grow."],
        ),
        (
            "The talks were held in Jan. The crowd left early.",
            ["The talks were held in Jan.", "The crowd left early."],
        ),
        # a title, an initial or a month before a name or number is still joined
        (
            "Sen. John Smith met Gov. Ann Lee on Oct. 5 in town. George W. Bush spoke.",
            ["Sen. John Smith met Gov. Ann Lee on Oct. 5 in town.", "George W. Bush spoke."],
        ),
        ("A. B. Smith came to the hearing.", ["A. B. Smith came to the hearing."]),
    ],
)
def test_a_split_after_an_abbreviation_before_a_sentence_opener_stays(
    text: str, expected: list[str]
) -> None:
    assert split(text) == expected


def test_an_invisible_character_after_a_full_stop_hides_no_sentence_end() -> None:
    """A soft hyphen or a zero-width space between two sentences, as scraped pages keep
    them, neither joins the sentences nor starts the next one."""
    text = (
        "SpaceX launched 23 satellites on Tuesday.\u00ad The Falcon 9 rocket lifted off from "
        "Florida.\u200b It was the 70th launch."
    )
    sents = prepare_article(Article("a", "AP", text))[1]
    assert [s.text for s in sents] == [
        "SpaceX launched 23 satellites on Tuesday.",
        "The Falcon 9 rocket lifted off from Florida.",
        "It was the 70th launch.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)
