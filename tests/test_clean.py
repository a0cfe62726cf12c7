"""Tests for summarizer.clean: boilerplate removal with exact offsets."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from summarizer.clean import clean_text, find_repeated_lines, normalize_line
from summarizer.errors import InputError
from summarizer.types import CleanText

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

BODY = (
    "The council voted 7-2 on Tuesday to approve the new budget, officials said.\n"
    "Mayor Jane Roe called the vote a turning point for the city.\n"
)
BODY2 = (
    "Two members voted against the plan, saying it raised spending too fast.\n"
    "The budget takes effect on July 1, the clerk said.\n"
)


def kept(ct: CleanText) -> list[str]:
    return ct.text.split("\n") if ct.text else []


def rules(ct: CleanText) -> list[str]:
    return [r for _, _, r in ct.removed]


def check_offsets(text: str, ct: CleanText) -> None:
    """Every segment is a slice of the original, and the clean text is their join."""
    parts = []
    pos = 0
    for seg in ct.segments:
        assert seg.clean_start == pos
        piece = text[seg.orig_start : seg.orig_start + seg.length]
        assert piece == ct.text[seg.clean_start : seg.clean_start + seg.length]
        assert piece == piece.strip() and piece
        parts.append(piece)
        pos += seg.length + 1
    assert ct.text == "\n".join(parts)
    for a, b, _ in ct.removed:
        assert 0 <= a < b <= len(text)


def clean(text: str, **kw: object) -> CleanText:
    ct = clean_text("a1", text, **kw)  # type: ignore[arg-type]
    check_offsets(text, ct)
    return ct


# ------------------------------------------------------------------ whole-line boilerplate


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("view larger image Officials shake hands in Seoul on Oct. 19, 2023. (Yonhap)", "caption"),
        (
            "In this photo released by the ministry, the minister, left, greets a guest in "
            "Pyongyang, North Korea, on Thursday, Oct. 19, 2023. (Ministry Press Service via AP)",
            "caption",
        ),
        (
            "The minister, right, and her counterpart talk at a banquet in Pyongyang, "
            "Oct. 18, 2023. Yonhap",
            "caption",
        ),
        ("Image copyright Getty Images Image caption Crowds gathered on Sunday", "caption"),
        ("(Photo Credit: Getty Images)", "caption"),
        ("FILE - In this file photo, a ranger walks in a park. (AP Photo/Jo Doe, File)", "caption"),
        ("Full Screen", "furniture"),
        ("1 / 11", "furniture"),
        ("Recommended Videos", "furniture"),
        ("Advertisement", "furniture"),
        ("share tweet pin email", "furniture"),
        ("Source: CNA", "credit"),
        ("date 2023-10-20 (ATTN: ADDS details throughout, photo)", "slug"),
        ("By Lee Minji", "byline"),
        ("Follow Ann Writer on Twitter: @annwrites", "follow"),
        ("Follow world news at https://twitter.com/example", "follow"),
        ("Sign up for our newsletter to get the top stories delivered to your inbox!", "promo"),
        ("Click here to read the full report.", "promo"),
        ("Download the Example News app now!", "promo"),
        ("Read more about: Budget, City Council, Taxes", "related"),
        ("Read or Share this story: https://example.com/abc", "related"),
        ("RELATED: Council approves new park plan", "related"),
        ("Another city weighs a similar budget Read more", "related"),
        ("Staff writer Ann Writer contributed to this report.", "credit"),
        ("(Reporting by Ann Writer; Editing by Bob Editor)", "credit"),
        ("(c) 2019 Example Media Group.", "note"),
        ("EDITOR'S NOTE: Example Corp owns part of this site.", "note"),
        (
            "The vote is in pic.twitter.com/AbCdEf - Ann Writer (@annwrites) August 6, 2017",
            "embedded_post",
        ),
        ("Top story | Second story | Third story", "link_list"),
        ("ann.writer@example.com", "url"),
        ("<div class='ad'><span></span></div>", "markup"),
        ("Holding Steady On Taxes", "heading"),
        (
            "Council Member Says New Budget Will Change Everything For Local Schools",
            "headline",
        ),
        ("Making a splash: The mayor jumps into the new pool on opening day", "teaser"),
    ],
)
def test_boilerplate_line_is_removed(line: str, rule: str) -> None:
    text = BODY + line + "\n" + BODY2
    ct = clean(text)
    assert line not in ct.text
    assert rule in rules(ct), ct.removed
    assert len(kept(ct)) == 4  # the article lines all stay


@pytest.mark.parametrize(
    "line",
    [
        "Summary: The council approved a budget that raises spending by 4 percent.",
        "North District: Turnout rose to 61 percent, the clerk said.",
        "The company that owns the stadium released a statement Sunday:",
        '"Share it away," she wrote on Facebook. "We can change the world!"',
        "The photo was taken down within an hour, the company said.",
        "Police will follow up on every tip, the chief said.",
        "Officials said the new park would open in May. (It had been delayed twice.)",
        "Investigators said they found no sign of a break-in at the home",
        "1. Will the budget survive the veto?",
        "- The plan adds 40 new buses to the fleet",
        "He said he would sign up for the program next year.",
        "The report was featured in a national newspaper on Sunday.",
        "The family was featured in an episode of the show last year.",
        "Officials urged residents to download the app to receive alerts.",
        "Follow-up talks are planned, the ministry said on Facebook.",
        "Trending upward, the index rose 2 percent on Monday.",
        "Don't miss the deadline, officials warned residents.",
        "Fans follow him on Twitter, where he posts daily.",
    ],
)
def test_article_line_is_kept(line: str) -> None:
    text = BODY + line + "\n" + BODY2
    ct = clean(text)
    assert line in kept(ct), ct.removed


def test_caption_credit_line_next_to_caption() -> None:
    text = (
        "Full Screen\n1 / 11\n\nForeign Ministry Press Service telegram channel\n\n"
        "In this photo released by the Foreign Ministry Press Service, the minister, left, "
        "greets a guest. (Foreign Ministry Press Service telegram channel via AP)\n\n" + BODY
    )
    ct = clean(text)
    assert kept(ct) == BODY.strip().split("\n")


# ------------------------------------------------------------------ parts of lines


@pytest.mark.parametrize(
    ("prefix", "sentence"),
    [
        ("SEOUL, Oct. 20 (Yonhap) -- ", "North Korea's leader met the minister on Thursday."),
        ("BALTIMORE (AP) - ", "The Coast Guard says it is looking for a man."),
        ("WELLINGTON, New Zealand (AP) - ", "A volcanic eruption has created a new island."),
        ("Washington (CNN) -- ", "The adviser did not mince words on Sunday."),
        ("(CNN) -- ", "The adviser did not mince words on Sunday."),
        ("ROME - ", "No sooner had workers hoisted the tree than the mocking began."),
        ("SEOUL, Oct 20 – ", "The leader reaffirmed his dedication to the agreements."),
        ("SEOUL: ", "The leader said on Thursday he wants closer ties."),
        ("HUNTINGTON BEACH (CBSLA) - ", "Two deaths were being investigated on Tuesday."),
        ("Wednesday, January 21, 2015, 2:28 PM - ", "A volcano created a large new island."),
        ("UPDATED: ", "A photo that was removed has been restored, the company said."),
    ],
)
def test_dateline_prefix_is_cut(prefix: str, sentence: str) -> None:
    text = prefix + sentence + "\n" + BODY
    ct = clean(text)
    assert kept(ct)[0] == sentence
    assert ct.segments[0].orig_start == len(prefix)
    assert ct.removed[0][:2] == (0, len(prefix.rstrip()))


def test_inline_dateline_splits_the_line() -> None:
    text = (
        "The talks ended on Friday. SEOUL, Oct. 20 (Yonhap) -- North Korea fired a missile, "
        "officials said (Yonhap) in a brief statement.\n"
    )
    ct = clean(text)
    assert kept(ct) == [
        "The talks ended on Friday.",
        "North Korea fired a missile, officials said (Yonhap) in a brief statement.",
    ]
    assert "dateline" in rules(ct)


def test_trailing_agency_credit_is_cut() -> None:
    text = BODY + '"We are watching closely," the spokesperson told a briefing. (Yonhap)'
    ct = clean(text)
    assert kept(ct)[-1] == '"We are watching closely," the spokesperson told a briefing.'
    assert ct.removed[-1][2] == "credit"
    assert text[ct.removed[-1][0] : ct.removed[-1][1]] == "(Yonhap)"


def test_sentence_about_a_photo_keeps_its_text_and_loses_the_credit() -> None:
    text = BODY + "The ministry released a photo of the meeting on Friday. (Yonhap)\n"
    ct = clean(text)
    assert kept(ct)[-1] == "The ministry released a photo of the meeting on Friday."
    assert rules(ct) == ["credit"]


def test_trailing_furniture_word_is_cut() -> None:
    text = "An expert said the season could be the best in years. Advertisement\n" + BODY
    ct = clean(text)
    assert kept(ct)[0] == "An expert said the season could be the best in years."


def test_widget_glued_to_a_sentence() -> None:
    widget = "N. Korea claims to have launched a new missile 2024-01-15 07:47 | North Korea"
    rest = 'Peskov said Moscow hopes for a visit "in the foreseeable future."'
    text = BODY + widget + rest + "\n" + "Her visit follows talks in October.\n"
    ct = clean(text)
    assert kept(ct)[2] == rest
    a, b, rule = next(r for r in ct.removed if r[2] == "widget")
    assert text[a:b] == widget
    assert "2024-01-15" not in ct.text


def test_widget_after_a_long_sentence_keeps_that_sentence() -> None:
    first = "Officials " + "said the talks went well and " * 8 + "ended early."
    widget = " Minister visits ally 2024.01.15 07:47 | Politics"
    rest = "The delegation left on Monday."
    ct = clean(first + widget + rest + "\n")
    assert kept(ct) == [first, rest]


# ------------------------------------------------------------------ tails and titles


def test_faq_tail_is_removed() -> None:
    text = (
        BODY + "\nFrequently Asked Questions:\n\nWhat did the council decide?\n\n"
        "The council approved the budget.\n\nWho voted against it?\n\nTwo members did."
    )
    ct = clean(text)
    assert kept(ct) == BODY.strip().split("\n")
    assert rules(ct).count("faq") == 5


def test_question_answer_tail_without_heading_is_removed() -> None:
    body = "\n".join(
        f"Line {i} of the story says something new about the budget." for i in range(6)
    )
    qa = (
        "What did the council decide?\nThe council approved the budget on Tuesday.\n"
        "Why does it matter?\nIt raises spending on schools.\n"
        "How did members vote?\nSeven voted for it and two against."
    )
    ct = clean(body + "\n" + qa)
    assert kept(ct) == body.split("\n")
    assert set(rules(ct)) == {"qa"}


def test_questions_inside_the_story_are_kept() -> None:
    text = (
        "Will the budget pass?\nThe council meets on Tuesday to decide on the plan.\n"
        "Who pays for it?\nTaxpayers will cover most of the cost, officials said.\n"
    )
    ct = clean(text)
    assert len(kept(ct)) == 4  # the questions are most of the text: not a generated tail


def test_title_line_at_top_is_dropped() -> None:
    text = "Council approves budget after long fight over schools and roads\n" + BODY
    ct = clean(text)
    assert kept(ct) == BODY.strip().split("\n")
    assert rules(ct) == ["title"]


def test_a_lead_paragraph_without_its_last_full_stop_is_not_a_title() -> None:
    """A first line that holds a finished sentence and another after it is news that lost
    its final mark, not a headline; a headline with an abbreviation in it still is one."""
    lead = (
        "Police said two people were hurt in a crash on Elm Road on Friday night. One of "
        "them remains in hospital, officials said on Saturday"
    )
    ct = clean(lead + "\n" + BODY)
    assert kept(ct) == [lead, *BODY.strip().split("\n")]
    assert "title" not in rules(ct)
    for title in (
        "Gov. Newsom signs budget after long fight over schools",
        "That's one way to run a council! Budget passes after long fight",
    ):
        ct = clean(title + "\n" + BODY)
        assert kept(ct) == BODY.strip().split("\n") and rules(ct) == ["title"], title


def test_known_title_is_dropped_even_with_punctuation() -> None:
    title = "Council approves budget!"
    ct = clean(title + "\n" + BODY, title=title)
    assert kept(ct) == BODY.strip().split("\n")


def test_duplicate_and_common_lines() -> None:
    text = BODY + "Story continues on page two today.\n" + BODY
    ct = clean(text, common_lines={normalize_line("story CONTINUES on page two  today.")})
    assert kept(ct) == BODY.strip().split("\n")
    assert rules(ct).count("duplicate") == 2
    assert "common" in rules(ct)


def test_script_block_is_markup() -> None:
    text = BODY + "<script type='text/javascript'>\nvar a = 1;\nrun(a);\n</script>\n" + BODY
    ct = clean(text)
    assert "var a" not in ct.text
    assert rules(ct).count("markup") == 4


# ------------------------------------------------------------------ repeated lines


def test_find_repeated_lines() -> None:
    long = "The agency said the ministers met for two hours and signed a plan for exchanges."
    texts = [f"{BODY}Advertisement\n{long}\nStory {i} says more.\n" for i in range(3)]
    texts.append("Other text.\nADVERTISEMENT\n")
    found = find_repeated_lines(texts)
    assert "advertisement" in found
    assert normalize_line(long) not in found  # shared wire copy is news, not boilerplate
    # short news sentences shared by every outlet are news too
    assert (
        normalize_line("Mayor Jane Roe called the vote a turning point for the city.") not in found
    )
    assert "read more." in find_repeated_lines([f"{BODY}Read more.\n"] * 3)
    assert "story 0 says more." not in found
    assert find_repeated_lines(texts[:2]) == set()
    with pytest.raises(ValueError):
        find_repeated_lines(texts, min_texts=1)


# ------------------------------------------------------------------ text shapes


def test_empty_and_whitespace_only() -> None:
    for text in ("", "   ", "\n\r\n\t \u00a0\n"):
        ct = clean(text)
        assert ct.text == "" and ct.segments == () and ct.article_id == "a1"


def test_only_boilerplate_cleans_to_nothing() -> None:
    ct = clean("Full Screen\n1 / 11\nAdvertisement\nRecommended Videos\n")
    assert ct.segments == ()
    assert len(ct.removed) == 4


def test_crlf_tabs_and_nbsp_are_trimmed_at_segment_edges() -> None:
    text = "\ufeff\u00a0The council met.\r\n\tIt voted\u00a0twice. \r\n\u200b\r\n"
    ct = clean(text)
    assert kept(ct) == ["The council met.", "It voted\u00a0twice."]
    assert "\r" not in ct.text


def test_one_sentence_article() -> None:
    ct = clean("The council approved the budget on Tuesday.")
    assert kept(ct) == ["The council approved the budget on Tuesday."]
    assert ct.to_original(4) == 4


def test_not_a_string_is_refused() -> None:
    with pytest.raises(InputError) as err:
        clean_text("a1", None)  # type: ignore[arg-type]
    assert err.value.field == "text"


def test_huge_input_is_linear() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    many = (text * (1_000_000 // len(text) + 1))[:1_000_000]
    for big in (many, many.replace("\n", " "), "word " * 200_000, "<div>" * 200_000):
        t0 = time.perf_counter()
        ct = clean_text("big", big)
        assert time.perf_counter() - t0 < 2.0  # measured ~0.1 s on a shared 2-core machine
        check_offsets(big, ct)


# ------------------------------------------------------------------ seeds


SEED_BOILERPLATE = [
    "view larger image",
    "(Yonhap)",
    "via AP)",
    "Full Screen",
    "1 / 11",
    "Recommended Videos",
    "Source: CNA",
    "ATTN",
    "By Lee Minji",
    "Frequently Asked Questions",
    "07:47 |",
    "SEOUL,",
    "SEOUL:",
    "telegram channel",
    "TIGHTENING RELATIONSHIP",
    "(For Use Only",
]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_seed_boilerplate_is_gone(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ct = clean(text)
    for junk in SEED_BOILERPLATE:
        assert junk not in ct.text, junk
    assert not any(line.rstrip().endswith("?") for line in kept(ct))
    assert len(ct.text) > 0.5 * len(text.strip()) or "Frequently" in text


# ------------------------------------------------------------------ eval set


def _eval_path() -> Path:
    path = ROOT.parent / "shared" / "eval" / "multinews-attribution" / "dev.jsonl"
    if not path.exists():
        pytest.skip("eval data not found beside the repository")
    return path


@pytest.fixture(scope="module")
def eval_docs() -> list[tuple[str, list[tuple[int, int]]]]:
    docs = []
    for line in _eval_path().read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        spans: dict[str, set[tuple[int, int]]] = {}
        for h in row["set_of_highlights_in_context"]:
            offs = h["docSpanOffsets"]
            offs = json.loads(offs) if isinstance(offs, str) else offs
            spans.setdefault(h["documentFile"], set()).update((a, b) for a, b in offs)
        for d in row["documents"]:
            docs.append((d["rawDocumentText"], sorted(spans.get(d["documentFile"], ()))))
    return docs


EVAL_BOILERPLATE = re.compile(
    r"(?im)^(?:advertisement|follow\b.*\b(?:twitter|@)|read or share|read more|related:|"
    r"image copyright|.*pic\.twitter\.com|.*click here|text size|\(c\)|.*all rights reserved)"
    r"|\((?:AP|CNN)\) -|\(Photo:|Getty Images"
)


def test_eval_boilerplate_removed_and_highlights_kept(
    eval_docs: list[tuple[str, list[tuple[int, int]]]],
) -> None:
    lines = removed_lines = highlights = hit = 0
    for text, spans in eval_docs:
        ct = clean(text)
        assert not EVAL_BOILERPLATE.search(ct.text), EVAL_BOILERPLATE.search(ct.text)
        kept_spans = [(s.orig_start, s.orig_start + s.length) for s in ct.segments]
        for m in re.finditer(r"[^\n]+", text):
            if m.group(0).strip():
                lines += 1
                if not any(a < m.end() and m.start() < b for a, b in kept_spans):
                    removed_lines += 1
        for a, b in spans:
            highlights += 1
            if any(a < y and x < b for x, y, _ in ct.removed):
                hit += 1
    # measured: 817 lines, 130 removed whole (15.9%); 22 of 819 gold highlights (2.7%)
    # touch a removed span (captions, titles and teaser headlines the summaries drew on)
    assert 0.10 <= removed_lines / lines <= 0.20
    assert hit / highlights <= 0.04


PARAS = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "Critics said the plan does not go far enough to address the housing shortage.",
    "The mayor will sign it next week, her office said in a statement.",
]


@pytest.mark.parametrize(
    "wrap",
    [
        "{}\u200f",  # a right-to-left mark after the full stop
        "{}\u00ad",  # a soft hyphen
        "{}\u200b",  # a zero-width space
        "<p>{}</p>",  # a paragraph tag around the line
        "{}<br>",
        "{}&nbsp;",
        "{} [1]",  # a footnote mark
    ],
)
def test_invisible_characters_or_markup_after_a_sentence_end_keep_the_line(wrap: str) -> None:
    text = "\n".join(wrap.format(p) for p in PARAS)
    ct = clean_text("a", text)
    assert len(kept(ct)) == 3, ct.removed
    for seg in ct.segments:  # offsets still map to the original
        piece = ct.text[seg.clean_start : seg.clean_start + seg.length]
        assert piece == text[seg.orig_start : seg.orig_start + seg.length]


def test_sentence_ends_of_other_scripts_are_sentence_ends() -> None:
    for line in (
        "部长周二宣布了新的预算。",
        "नई योजना की घोषणा हुई।",
        "هل ستوافق الحكومة على الخطة؟",
    ):
        text = PARAS[0] + "\n" + line + "\n" + PARAS[1]
        assert line in kept(clean_text("a", text))


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r", "\u2028", "\x85", "\x0b"])
def test_a_sentence_wrapped_with_any_single_line_break_is_joined(sep: str) -> None:
    text = (
        PARAS[0]
        + "\n\n"
        + f"The new plan{sep}will cost about twelve billion dollars over five years."
        + "\n\n"
        + PARAS[1]
    )
    joined = f"The new plan{sep}will cost about twelve billion dollars over five years."
    ct = clean_text("a", text)
    pieces = [text[g.orig_start : g.orig_start + g.length] for g in ct.segments]
    assert joined in pieces  # one segment: the sentence is split as one


def test_a_paragraph_separator_does_not_join_lines() -> None:
    text = PARAS[0] + "\u2029" + "lower-case start of a caption line" + "\u2029" + PARAS[1]
    assert PARAS[0] in kept(clean_text("a", text))
    assert not any(PARAS[0] in line and "caption" in line for line in kept(clean_text("a", text)))


def test_hard_wrapped_wire_copy_shared_by_outlets_is_not_furniture() -> None:
    wire = (
        "The city council approved a plan to\n"
        "increase housing spending by a third in a\n"
        "vote on the budget on Friday, officials said.\n"
    )
    texts = [f"{lead}\n\n{wire}\nAdvertisement\n" for lead in ("A leads.", "B leads.", "C leads.")]
    found = find_repeated_lines(texts)
    assert found == {"advertisement"}
    ct = clean_text("a", texts[0], common_lines=found)
    pieces = [texts[0][g.orig_start : g.orig_start + g.length] for g in ct.segments]
    assert wire.strip() in pieces
    assert "Advertisement" not in ct.text


@pytest.mark.timeout(30)
def test_long_lines_without_spaces_are_cleaned_in_linear_time() -> None:
    """The e-mail pattern once rescanned a run of non-space from every word boundary in it:
    a 200,000-character run took minutes. Bounded pieces keep it linear."""
    for run in ("-".join(["ab"] * 50_000), "a'" * 100_000, "x." * 100_000):
        clean_text("a", PARAS[0] + "\n" + run + "\n" + PARAS[1])
    found = clean_text("a", PARAS[0] + " Write to news.desk@example.co.uk today.\n" + PARAS[1])
    assert len(kept(found)) == 2  # an address inside a sentence does not make it a promo


NEWS_THAT_LOOKS_LIKE_FURNITURE = [
    "U.S.-China trade talks resumed on Monday in Geneva after a pause.",
    "NATO-Russia talks went on for a long time on Tuesday.",
    "ASEAN-China talks went on for a long time on Tuesday.",
    'Sen. Lindsey Graham (R-S.C.): "We need answers now," he said after the hearing.',
    "The scam emails, which told recipients to click here to verify their accounts, "
    "were sent on Monday.",
    "More than 5 million people subscribe to his YouTube channel, which began in 2015.",
    "Customers can now ask Alexa to reorder groceries, Amazon said on Monday.",
    "Reporting by The Washington Post revealed that the agency knew of the flaw.",
    "Writing by hand is becoming rare among students, the survey found.",
    "Copyright law was at the center of the case on Monday.",
    "For the record, the senator denied the claim on Monday.",
    "Provided by the state, the money will go to schools next year.",
    "حکومت نے منگل کو نیا بجٹ پیش کیا۔",
]


@pytest.mark.parametrize("line", NEWS_THAT_LOOKS_LIKE_FURNITURE)
def test_news_shaped_like_furniture_is_kept_whole(line: str) -> None:
    """Compounds are not datelines, a party is not an agency, a sentence that mentions a
    link, a channel, a byline word, copyright or a credit is news, and an Urdu full stop
    ends a sentence."""
    text = BODY + line + "\n" + BODY2
    ct = clean_text("a1", text)
    check_offsets(text, ct)
    assert line in kept(ct), (line, ct.removed)


@pytest.mark.parametrize(
    "line",
    [
        "(Reporting by Jane Doe in Seoul; Editing by John Roe)",
        "Reporting by Jennifer Peros",
        "Copyright 2024 The Associated Press. All rights reserved.",
        "Click here to subscribe to our newsletter.",
        "For the latest from State of the Union click here.",
        "On Amazon Echo, ask Alexa to play the show.",
        "Please subscribe to our channel now.",
    ],
)
def test_credits_and_promos_still_go(line: str) -> None:
    text = BODY + line + "\n" + BODY2
    ct = clean_text("a1", text)
    assert line not in ct.text, ct.removed


def test_a_short_sentence_with_an_agency_credit_is_kept_without_it() -> None:
    text = BODY + "The talks will resume next week. (Yonhap)\n" + BODY2
    ct = clean_text("a1", text)
    check_offsets(text, ct)
    assert "The talks will resume next week." in kept(ct)
    assert "(Yonhap)" not in ct.text


@pytest.mark.parametrize(
    "line",
    [
        "WASHINGTON-Behind the showdown are a few dozen heavily edited words.",
        "KYIV-Behind the showdown are a few dozen heavily edited words.",
        "NEW YORK-Behind the showdown are a few dozen heavily edited words.",
        "WASHINGTON-Senate Republicans blocked the bill on Monday night.",
        "MOSCOW-Ukraine said it shot down drones over the capital overnight.",
    ],
)
def test_a_dash_dateline_without_spaces_still_goes(line: str) -> None:
    ct = clean_text("a1", line + "\n" + BODY)
    assert kept(ct)[0] == line.split("-", 1)[1]


def test_a_widget_keeps_the_sentence_before_it_and_the_one_after() -> None:
    text = (
        BODY + "The talks ended on Friday. Minister visits ally 2024.01.15 07:47 | Politics "
        "The delegation left on Sunday.\n"
        "Kim spoke. N. Korea test 2024-01-15 07:47 | World North Korean leader Kim Jong Un "
        "said it was a success.\n"
    )
    ct = clean_text("a1", text)
    check_offsets(text, ct)
    assert "The talks ended on Friday." in kept(ct)
    assert "The delegation left on Sunday." in kept(ct)
    assert "North Korean leader Kim Jong Un said it was a success." in kept(ct)
    assert "Minister visits ally" not in ct.text and "World" not in ct.text


def test_a_repeated_tail_of_a_wrapped_sentence_is_not_a_duplicate() -> None:
    text = (
        "The mayor resigned on Monday, her office\n"
        "said on Tuesday in a statement.\n"
        "The council rejected the plan for the new network, its clerk\n"
        "said on Tuesday in a statement.\n"
    )
    ct = clean_text("a1", text)
    assert "duplicate" not in rules(ct)
    assert ct.text.count("said on Tuesday in a statement.") == 2


def test_an_interview_after_a_q_and_a_heading_is_the_article() -> None:
    intro = "This is an edited transcript of the interview with the mayor.\n"
    qa = "".join(
        f"What did the council decide about the harbour in part {i}?\n"
        f"The council approved the harbour budget in part {i} after a long debate.\n"
        for i in range(4)
    )
    text = intro + "Q&A\n" + qa
    ct = clean_text("a1", text)
    assert "faq" not in rules(ct)
    assert "approved the harbour budget in part 3" in ct.text
    # a generated FAQ tail after a whole article still goes
    tail = "FAQ\nWhat is the budget?\nIt is 12,000 pounds.\n"
    ct = clean_text("a1", BODY + BODY2 + BODY + tail)
    assert "faq" in rules(ct) and "12,000 pounds" not in ct.text


def test_short_wire_sentences_three_outlets_share_are_news() -> None:
    texts = [
        f"Story {i} opens with its own words here.\nHe was 84.\nRead more.\n" for i in range(3)
    ]
    common = find_repeated_lines(texts)
    assert normalize_line("Read more.") in common
    assert normalize_line("He was 84.") not in common
    texts = [
        f"Story {i} opens with its own words here.\nThis is a tragedy.\n"
        "Check back for updates.\nPolice are investigating.\n"
        for i in range(3)
    ]
    common = find_repeated_lines(texts)
    assert normalize_line("Check back for updates.") in common
    texts = [
        f"Story {i} opens with its own words here.\nThis is a developing story.\n"
        "Thank you for reading.\n"
        for i in range(3)
    ]
    texts_news = [
        f"Story {i} opens with its own words here.\nReading won the match 2-1.\n"
        "The storm is still developing.\nThank you, he said.\n"
        for i in range(3)
    ]
    assert not find_repeated_lines(texts_news) & {
        normalize_line("Reading won the match 2-1."),
        normalize_line("The storm is still developing."),
        normalize_line("Thank you, he said."),
    }
    common = find_repeated_lines(texts)
    assert {
        normalize_line("This is a developing story."),
        normalize_line("Thank you for reading."),
    } <= common
    assert (
        not {normalize_line("This is a tragedy."), normalize_line("Police are investigating.")}
        & common
    )


def test_noise_after_a_line_end_is_taken_off_as_the_pattern_would() -> None:
    """The trailing-noise strip (whitespace, format characters, tags, entities, footnote
    marks, pilcrows) gives what the end-anchored pattern it replaced gives, on random
    tails; it runs from the end, so a line ending in hundreds of such characters
    followed by text costs no more than its length."""
    import random

    from summarizer.clean import _strip_trailing_noise

    pattern = re.compile(
        r"(?:\s|[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
        r"|<[^<>]{0,300}>|&(?:[a-zA-Z]{2,8}|#\d{2,5});|\[\d{1,3}\]|¶)+$"
    )
    pieces = ["a", ".", "!", " ", "\u200f", "\u00ad", "<i>", "</b>", "&amp;", "&#8217;"]
    pieces += ["[12]", "¶", "<", "> ", "]", ";", "&", "\ufeff", "\u2066"]
    rng = random.Random(7)
    for _ in range(5000):
        tail = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert _strip_trailing_noise(tail) == pattern.sub("", tail), repr(tail)
    assert _strip_trailing_noise("He left. <i>\u200f[3]¶ ") == "He left."


def test_a_transcript_keeps_who_is_speaking() -> None:
    """Speaker labels that recur are a transcript's, not datelines or teasers: cutting them
    would leave "I will cut taxes" with no speaker, and drop "OBAMA: Thank you." whole."""
    lines = [
        "OBAMA: Thank you. It is good to be here in Chicago with so many friends.",
        "ROMNEY: Thank you, Jim. I want to talk about jobs and the economy tonight.",
        "OBAMA: Thank you.",
        "LEHRER: Governor?",
        "ROMNEY: I will cut taxes for the middle class.",
    ]
    ct = clean("A transcript of the debate follows.\n\n" + "\n\n".join(lines) + "\n")
    assert kept(ct) == ["A transcript of the debate follows.", *lines]
    assert ct.removed == ()
    # one label is a dateline, and furniture labels that recur are still furniture
    ct = clean("SEOUL: The leader said on Thursday he wants closer ties.\n" + BODY)
    assert kept(ct)[0] == "The leader said on Thursday he wants closer ties."
    furniture = (
        "UPDATE: The leader said on Thursday he wants closer ties.\n"
        "WATCH: Leader arrives in capital\n"
        "UPDATE: The talks ended on Friday without a deal, officials said.\n"
        "WATCH: Crowds greet convoy\n"
    )
    ct = clean(furniture + BODY)
    assert kept(ct)[:2] == [
        "The leader said on Thursday he wants closer ties.",
        "The talks ended on Friday without a deal, officials said.",
    ]


# ------------------------------------------------------------------ lines in context

BODY = (
    "The council voted 7-2 on Tuesday to approve the new budget, officials said.\n"
    "Mayor Jane Roe called the vote a turning point for the city's finances.\n"
)


def test_the_story_links_under_a_related_heading_go_with_it() -> None:
    text = (
        BODY + "ALSO:\n"
        "Rim fire: Containment of Yosemite-area blaze at 80%\n"
        "YouTube video shows Long Beach police repeatedly striking suspect\n"
        "Girl, 7, wounded in car-to-car shooting in Palmdale; three in custody\n"
        "The budget takes effect on July 1, the clerk said.\n"
    )
    ct = clean(text)
    assert kept(ct) == [*BODY.splitlines(), "The budget takes effect on July 1, the clerk said."]
    assert set(rules(ct)) == {"related", "heading"} and rules(ct).count("related") == 3
    # a paragraph after the heading, wrapped over lines or after a blank line, stays
    wrapped = (
        BODY + "Related: Senate passes budget bill\nThe governor said on Monday that the\n"
        "state would appeal the ruling to the\nsupreme court, which could take months.\n"
    )
    assert (
        "supreme court" in kept(clean(wrapped))[-1] and "The governor said" in clean(wrapped).text
    )
    spaced = BODY + "Related: Senate passes budget bill\n\nThe governor will appeal, he said.\n"
    assert "The governor will appeal, he said." in clean(spaced).text


def test_a_line_that_only_leads_into_a_removed_embed_goes() -> None:
    lead = "See highlights from his show, which included a tribute to Prince, below:"
    assert kept(clean(BODY + lead + "\n")) == BODY.splitlines()
    assert kept(clean(BODY + lead + "\nFull Screen\n")) == BODY.splitlines()
    # a lead-in to text that stays, or one without a pointer to an embed, is the article's
    stays = BODY + lead + "\nThe show ran for three hours, the venue said.\n"
    assert lead in kept(clean(stays))
    plain = "In a statement on Tuesday, the harbour authority said:"
    assert plain in kept(clean(BODY + plain + "\n"))
    for news in (
        "The Health Ministry said on Tuesday that the following 12 towns would close:",
        "Speaking here on Tuesday, the prime minister announced a new $2 billion fund:",
        "Human Rights Watch said on Monday that 40 people had been detained in the raids:",
    ):
        assert news in kept(clean(BODY + news + "\nShare this article\n")), news
    assert "Here is a report on the kiss-in from the Guardian:" not in kept(
        clean(BODY + "Here is a report on the kiss-in from the Guardian:\n")
    )


def test_a_paragraph_ending_in_a_colon_before_a_removed_line_is_kept() -> None:
    """A lead-in to an embed the cleaner removed is left: cutting it would cut the
    sentences before it on the same line too."""
    text = (
        BODY + "The White House released the plan on Monday after months of talks. It "
        "includes three main measures:\n\nA tax cut for working families\n"
    )
    line = (
        "The White House released the plan on Monday after months of talks. It includes "
        "three main measures:"
    )
    assert line in kept(clean(text))


@pytest.mark.parametrize(
    "line",
    [
        "In this picturesque village of 300 people, residents voted on Tuesday to close the "
        "school.",
        "In this image-conscious age, the party spent heavily on advertising.",
        "In this photo ID dispute, the court ruled for the voters.",
        "In this town, residents shared photos of the flood on social media, the mayor said.",
        "In this election, voters have seen images of the candidates everywhere.",
        "In this case, investigators obtained a photo from a neighbour's camera.",
    ],
)
def test_a_sentence_opening_like_a_caption_is_kept(line: str) -> None:
    assert line in kept(clean(BODY + line + "\n"))


@pytest.mark.parametrize(
    "line",
    [
        "In this Oct. 5, 2023, file photo, the minister speaks to reporters in Seoul.",
        "In this photo released by KCNA, leader Kim Jong Un inspects a factory.",
        "In this image made from video, smoke rises over the port.",
        "In this Tuesday, Oct. 10, 2017 photo, firefighters battle a blaze in Santa Rosa.",
        "In this Monday, Nov. 12, 2018, aerial photo, homes lie in ruins in Paradise.",
    ],
)
def test_a_caption_opening_in_this_photo_is_removed(line: str) -> None:
    ct = clean(BODY + line + "\n")
    assert line not in kept(ct) and "caption" in rules(ct)


def test_a_key_questions_line_before_news_paragraphs_is_no_faq_tail() -> None:
    text = (
        BODY + "Key questions\n"
        "The plan now goes to the state, which must approve any new borrowing.\n"
        "A ruling is expected in the spring, the clerk said.\n"
    )
    ct = clean(text)
    assert "faq" not in rules(ct)
    assert "A ruling is expected in the spring, the clerk said." in kept(ct)


def test_via_after_a_sentence_is_no_photo_caption() -> None:
    line = "The full statement was later posted online (via KCNA Watch)"
    assert line in kept(clean(BODY + line + "\n"))  # was dropped whole as a caption
    ct = clean(BODY + "The full statement was later posted online. (via KCNA Watch)\n")
    assert "The full statement was later posted online." in kept(ct)
    assert "credit" in rules(ct)


@pytest.mark.parametrize(
    ("line", "rest"),
    [
        (
            "WASHINGTON The number of children relying on food stamps rose again last year.",
            "The number of children relying on food stamps rose again last year.",
        ),
        (
            "Oroville >> Now is not the time to quit your day job in hopes of striking it rich.",
            "Now is not the time to quit your day job in hopes of striking it rich.",
        ),
        # an initialism and a spaced dash are no dateline
        (
            "U.S. - China trade talks resumed in Geneva on Monday after a pause.",
            "U.S. - China trade talks resumed in Geneva on Monday after a pause.",
        ),
        (
            "NASDAQ The index fell 2 percent on Monday, its worst day in a month.",
            "NASDAQ The index fell 2 percent on Monday, its worst day in a month.",
        ),
        (
            "CONCACAF President Victor Montagliani said the final would go ahead.",
            "CONCACAF President Victor Montagliani said the final would go ahead.",
        ),
        # a name goes on after an acronym: no dateline
        (
            "NAACP President Derrick Johnson said the ruling was a setback for voters.",
            "NAACP President Derrick Johnson said the ruling was a setback for voters.",
        ),
        (
            "NASCAR Officials fined the team after the race on Sunday, the series said.",
            "NASCAR Officials fined the team after the race on Sunday, the series said.",
        ),
    ],
)
def test_datelines_without_a_separator(line: str, rest: str) -> None:
    assert kept(clean(line + "\n" + BODY))[0] == rest
