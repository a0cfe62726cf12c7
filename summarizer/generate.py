"""Step 6: ask the model for a brief, read its answer, fall back to extraction.

* ``build_messages`` renders the numbered, outlet-labelled evidence and a short instruction
  (the prompt is kept compact: prefill dominates latency);
* ``parse_output`` turns the model's text into a headline and ``Draft`` sentences with the
  evidence numbers each one claims, tolerating bullets, numbering, ``[1][2]`` or ``[1, 2]``,
  missing brackets, repeated sentences and a last sentence cut off by the token cap;
* ``generate_brief_drafts`` calls the model and falls back to ``extractive_drafts`` (the
  selected evidence, verbatim) when the model fails or writes nothing usable.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from summarizer.backends.base import ChatMessage, GenerationConfig, GenerationResult, Generator
from summarizer.cite import headline_supported
from summarizer.errors import GenerationCancelled, InputError
from summarizer.types import Draft, Evidence, Sentence, SentenceGroup

log = logging.getLogger(__name__)

#: Stop strings added to every request: the model sometimes starts a second answer.
DEFAULT_STOP: tuple[str, ...] = ("\n\n\n", "\nEvidence:", "<|im_end|>", "<|endoftext|>")

MAX_LABEL_OUTLETS = 3
HEADLINE_MAX_WORDS = 14
HEADLINE_MAX_CHARS = 160
MIN_DRAFT_WORDS = 3
#: Drafts handed to the cite step, as a multiple of the sentences asked for.
SPARE_DRAFTS = 2
_NEAR_DUP_JACCARD = 0.75
_NEAR_DUP_CONTAINMENT = 0.9

#: Everything that does not depend on the story sits in the system message, so the
#: prompt of every brief starts with the same tokens and llama.cpp reuses their KV cache.
SYSTEM_PROMPT = (
    "You are a careful news editor. You write neutral briefs that use only facts "
    "stated in the numbered evidence. Combine facts from different outlets, copy names "
    "and numbers exactly, and end each sentence with the numbers of the evidence it uses."
)


@dataclass(frozen=True, slots=True)
class GenerationOutcome:
    """What the generate step hands to the cite step."""

    headline: str | None
    drafts: list[Draft]
    result: GenerationResult | None
    fallback: bool
    fallback_reason: str | None = None


# ---------------------------------------------------------------- rendering

_DATELINE = re.compile(
    r"^\s*[A-Z][A-Za-z0-9.,'’ ]{1,60}?\([A-Za-z .&'’-]{1,40}\)\s*(?:--|—|–|-)\s*"
    r"|^\s*[A-Z][A-Z.,'’ -]{2,40}\s(?:--|—|–)\s+"
)


def strip_dateline(text: str) -> str:
    """Drop a leading wire dateline such as ``SEOUL, Oct. 20 (Yonhap) --``."""
    m = _DATELINE.match(text)
    if m and m.end() < len(text):
        return text[m.end() :]
    return text


def evidence_text(group: SentenceGroup) -> str:
    """The representative sentence as shown to the model: one line, no dateline."""
    return " ".join(strip_dateline(group.representative.text).split())


def outlet_label(group: SentenceGroup) -> str:
    """``AP, Yonhap`` (at most three outlets, then ``+N``)."""
    outlets = list(group.outlets)
    shown = ", ".join(outlets[:MAX_LABEL_OUTLETS])
    if len(outlets) > MAX_LABEL_OUTLETS:
        shown += f" +{len(outlets) - MAX_LABEL_OUTLETS}"
    return shown


def evidence_line(n: int, group: SentenceGroup, days: Mapping[str, date] | None = None) -> str:
    """One evidence line exactly as it appears in the prompt: ``(AP, Yonhap) text [3]``.

    The number sits where a citation goes, so a sentence the model copies carries it. With
    ``days`` (article id -> publication date, for a story reported over several days) the
    label gives the day the line was first reported: ``(AP, Yonhap; Jan 19)``.
    """
    label = outlet_label(group)
    if days:
        first = min((days[a] for a in group.article_ids if a in days), default=None)
        if first is not None:
            label += f"; {first:%b} {first.day}"
    return f"({label}) {evidence_text(group)} [{n}]"


#: Said after dated evidence (a story reported over several days), so a later report's
#: figure is written instead of the first day's rumour, forecast or early count.
LATEST_REQUEST = (
    "Each line gives the day it was first reported. Where a later line updates an "
    "earlier one, write the later state."
)


def build_messages(
    evidence: Sequence[Evidence],
    *,
    n_sentences: int,
    headline_hint: str | None = None,
    days: Mapping[str, date] | None = None,
) -> list[ChatMessage]:
    """Chat messages asking for a headline and an ``n_sentences`` brief with evidence numbers.

    The reply form is a numbered list of exactly ``n_sentences`` lines: both models follow
    it (and stop after the last line), while a free-form request gave one sentence, and
    evidence numbers in front of each line were read as list numbering.
    """
    if not evidence:
        raise InputError("no evidence to write a brief from", field="evidence")
    if n_sentences < 1:
        raise InputError(f"n_sentences must be at least 1, not {n_sentences}", "n_sentences")
    lines = "\n".join(evidence_line(e.n, e.group, days) for e in evidence)
    hint = ""
    if headline_hint and headline_hint.strip():
        hint = f"One outlet's headline: {' '.join(headline_hint.split())}\n"
    if days:
        hint += LATEST_REQUEST + "\n"
    form = "\n".join(f"{i}. <sentence> [<evidence numbers>]" for i in range(1, n_sentences + 1))
    user = (
        f"Evidence, one numbered fact per line:\n{lines}\n\n{hint}"
        f"Write a headline and a neutral {n_sentences}-sentence news brief from the "
        f"evidence, in this form:\nHeadline: <headline>\n{form}"
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


# ---------------------------------------------------------------- parsing

_CITE = re.compile(
    r"\[\s*(?:(?:evidence|ev\.?|source|ref\.?|e|s)\s*)?#?"
    r"(\d{1,3}(?:\s*(?:,|;|&|and|-|–)\s*#?\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
# "(1, 2)" or "(evidence 1)" is only read as a citation right before the end of a sentence
# or line, another citation, or another such group ("(1)(3)", "(2), (3)").
_PAREN_CITE = re.compile(
    r"\((?:(?:evidence|source)\s*)?(\d{1,2}(?:\s*,\s*\d{1,2})*)\)"
    r"(?=\s*[.!?]?\s*(?:$|\[|,?\s*\((?:(?:evidence|source)\s*)?\d))",
    re.IGNORECASE,
)
# full-width brackets, as some chat models write them: 【1】
_WIDE_BRACKETS = str.maketrans({"【": "[", "】": "]", "［": "[", "］": "]"})
# a reasoning block some chat models write before their answer
_THINK = re.compile(r"<think>.*?(?:</think>|$)|</think>", re.DOTALL | re.IGNORECASE)
# the prompt's evidence header and its lines, echoed back: "(AP, Yonhap) text [3]"
_ECHO_HEADER = re.compile(r"^\W*evidence\b[^:\n]*:\s*$", re.IGNORECASE)
_ECHO_LINE = re.compile(r"^\s*\([^()]{1,120}\)\s+\S.*\[\d{1,3}\]\s*$")
# a template placeholder copied literally: "[n]", "[..]", "<sentence>"
_PLACEHOLDER = re.compile(
    r"\[\s*(?:n|x|\.{2,3}|…|\?|<[^>]*>|(?:evidence )?numbers?)\s*\]|<(?:sentence|headline)>",
    re.IGNORECASE,
)
_PARTIAL_CITE = re.compile(r"\[[\d,;&\s#-]*$")
_LEADING_CITE = re.compile(r"^\s*\[\s*\d{1,3}(?:\s*[,;&-]\s*\d{1,3})*\s*\]")
# an outlet label echoed after a leading number: "(AP, Yonhap) " or "AP - " or "Yonhap: "
_ECHOED_LABEL = re.compile(
    r"^\s*(?:\([^)]{1,80}\)|[A-Z][\w.&' ]{0,40}?\s+[-–—]|[A-Z][\w.&']{0,20}:)\s*"
)
# "1." "1)" "(1)" "#1." and, before a word, "1:" "1 -": not "10 - 15 people", "2 : 1 vote"
_BULLET = re.compile(
    r"^\s*(?:[-*•·–>]+|#?\d{1,2}\s*[.)]|#?\d{1,2}\s*[:\-–](?=\s+\D)|\(\d{1,2}\))\s+"
)
_HEADLINE = re.compile(r"^\W*(?:headline|title)\s*\**\s*[:\-–]\s*(.*)$", re.IGNORECASE)
_LABEL = re.compile(
    r"^\W*(?:(?:news )?brief|summary|(?:sentence|line|point)\s*\d{1,2})\s*\**\s*[:.)]\s*",
    re.IGNORECASE,
)
# an outlet label copied from the evidence layout: "(AP, Yonhap) The talks ..."
_OUTLET_PREFIX = re.compile(r"^\((?:[A-Z][^()]{0,60})\)\s+(?=[\"“A-Z])")
_META = re.compile(
    r"^\W*(?:here is|here's|here are|sure[,!.]|certainly[,!.]|below is|"
    r"the following (?:is|are)\b|note\s*:|"
    r"sources?\s*:|references?\s*:|evidence\s*:|citations?\s*:)",
    re.IGNORECASE,
)
# the model speaking of its input: "The article states that a mayor resigned" is "A mayor
# resigned"; a brief cites outlets, it does not narrate "the article" or "the evidence"
# (a hedge, "the evidence suggests that", is no framing to drop; nor is "the source", which
# may be an outlet's unnamed source)
_FRAMING = re.compile(
    r"^(?:(?:the|this|these|both|all)\s+(?:(?:provided|given)\s+)?"
    r"(?:articles?|evidence|texts?|passages?)(?:\s+\[?\d{1,3}\]?)?\s+"
    r"(?:states?|says?|reports?|notes?|mentions?|explains?|adds?|highlights?|confirms?"
    r"|reveals?)\s+that\s+"
    r"|according\s+to\s+the\s+(?:(?:provided|given)\s+)?"
    r"(?:articles?|evidence|texts?|passages?)(?:\s+\[?\d{1,3}\]?)?\s*,\s*)",
    re.IGNORECASE,
)
_TERMINAL = re.compile(r"[.!?][\"'”’)]*$")
_BOUNDARY = re.compile(r"([.!?])([\"'”’)]*)\s+(?=[\"“'‘(]?[A-Z0-9])")
_ABBREV = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt gov sen rep st jr sr inc corp co ltd vs no "
    "jan feb mar apr aug sept sep oct nov dec u.s u.k u.n e.g i.e etc".split()
)
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")


def _numbers_in(spec: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|&|and)\s*", spec, flags=re.IGNORECASE):
        part = part.replace("#", "").strip()
        rng = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part)
        if rng:
            lo, hi = int(rng.group(1)), int(rng.group(2))
            if lo <= hi <= lo + 10:
                out.extend(range(lo, hi + 1))
            continue
        if part.isdigit():
            out.append(int(part))
    return out


# what goes on a time after "a.m." or "p.m.": a day, a month, a zone ("9 a.m. ET", "10:12
# a.m. Norvik time"); a capital after it otherwise opens the next sentence ("8 p.m. US
# officials said ...")
_TIME_GOES_ON = re.compile(
    r"\s+(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d"
    r"|(?:Eastern|Central|Mountain|Pacific|Atlantic|Alaska|Hawaii|Greenwich)\b"
    r"|[A-Z][a-z]+\s+time\b|local\s+time\b"
    r"|(?:GMT|UTC|BST|CET|CEST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|ET|PT|CT|MT)\b)"
)


def _split_sentences(text: str) -> list[str]:
    """A small splitter for the model's own prose (abbreviation-aware)."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if m.group(1) == "." and (last in _ABBREV or re.fullmatch(r"[a-z]", last)):
            continue
        if m.group(1) == "." and last in ("a.m", "p.m") and _TIME_GOES_ON.match(text, m.end(1)):
            continue  # "10:12 a.m. Norvik time on Wednesday": the time goes on
        out.append(text[start : m.end(2)].strip())
        start = m.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return [s for s in out if s]


def _clean_line(line: str) -> str:
    line = _PLACEHOLDER.sub("", line.replace("**", "").replace("__", "")).strip()
    line = re.sub(r"^#+\s*(?!\d)", "", line)  # a heading mark, not "#1"
    line = _BULLET.sub("", line)
    line = _LABEL.sub("", line)
    line = _OUTLET_PREFIX.sub("", line)
    return line.strip()


# a straight double quote that closes a quotation (after the quoted words' punctuation,
# before a space or the end) and one that opens one (at the start or after a space, before
# a word)
_CLOSING_STRAIGHT = re.compile(r'(?<=[.,!?…])"(?=\s|$)')
_OPENING_STRAIGHT = re.compile(r'(?:^|(?<=[\s(]))"(?=\w)')


def mend_quotes(sentence: str) -> str:
    """A sentence cut from a quotation that runs across sentences, with the quotation
    marks it lacks: ``People were screaming," said Josefina Manalo.`` gets its opening
    mark, ``"We heard a loud noise.`` its closing one. A sentence whose marks pair up, or
    that does not plainly start or end inside a quotation, is left as it is."""
    text = sentence.strip()
    if not text:
        return sentence
    straight = text.count('"')
    if straight % 2 == 1 and "“" not in text and "”" not in text:
        first = text.index('"')
        last = text.rindex('"')
        if first > 0 and _CLOSING_STRAIGHT.match(text, first):
            return '"' + text
        if _OPENING_STRAIGHT.match(text, last) and last == first:
            return text + '"'
        return sentence
    if straight == 0 and text.count("“") != text.count("”"):
        opens, closes = text.find("“"), text.find("”")
        if closes != -1 and (opens == -1 or closes < opens):
            return "“" + text  # the quotation began in the sentence before
        if opens != -1 and text.rfind("”") < text.rfind("“"):
            return text + "”"  # it goes on in the next one
    return sentence


def _clean_headline(text: str) -> str | None:
    text = _CITE.sub("", _PLACEHOLDER.sub("", text))
    text = text.strip().strip("\"'“”‘’*").strip()
    text = text.rstrip(".").strip()
    words = text.split()
    if not words:
        return None
    if len(words) > 2 * HEADLINE_MAX_WORDS:
        text = " ".join(words[: 2 * HEADLINE_MAX_WORDS])
    return text


@dataclass(slots=True)
class _Piece:
    text: str
    hints: list[int]
    clean_end: bool  # ended with terminal punctuation or a citation


def _pieces(line: str, n_evidence: int | None = None) -> list[_Piece]:
    """Split one output line into sentence pieces, each with the numbers cited after it.

    With ``n_evidence``, a parenthesised number that names no evidence line ("aged (52).")
    is the sentence's own text, not a citation.
    """

    def paren_cite(m: re.Match[str]) -> str:
        nums = _numbers_in(m.group(1))
        if n_evidence is not None and not all(1 <= n <= n_evidence for n in nums):
            return m.group(0)
        return "[" + m.group(1) + "]"

    line = _PARTIAL_CITE.sub("", line)
    line = _PAREN_CITE.sub(paren_cite, line)
    if _LEADING_CITE.match(line):
        return _echo_pieces(line)
    segments: list[_Piece] = []
    pos = 0
    for m in _CITE.finditer(line):
        before = line[pos : m.start()]
        nums = _numbers_in(m.group(1))
        if not before.strip():
            if segments:
                segments[-1].hints.extend(nums)
                segments[-1].clean_end = True
            else:  # a line that starts with "[3] ..." (an echoed evidence line)
                segments.append(_Piece("", nums, False))
        else:
            segments.append(_Piece(before, nums, True))
        pos = m.end()
    tail = line[pos:]
    if tail.strip() or not segments:
        segments.append(_Piece(tail, [], False))

    merged: list[_Piece] = []
    for seg in segments:
        text = seg.text
        # punctuation that follows a citation ("... Monday [1]. Next") closes the previous one
        lead = re.match(r"^\s*([.!?;:,]+)", text)
        if lead and merged:
            if lead.group(1)[0] in ".!?":
                merged[-1].text = merged[-1].text.rstrip() + lead.group(1)[0]
            text = text[lead.end() :]
        if not merged and not text.strip() and not seg.text.strip():
            merged.append(_Piece("", list(seg.hints), False))
            continue
        if merged and not merged[-1].text.strip():  # leading "[3]": hints for what follows
            prev = merged.pop()
            text = re.sub(r"^\s*\([^)]{1,80}\)\s*", "", text)  # the echoed "(AP, Yonhap)"
            seg = _Piece(text, prev.hints + seg.hints, seg.clean_end)
        stripped = text.strip()
        continues = bool(stripped) and (stripped[0].islower() or stripped[0] in ",;:")
        if merged and continues and not _TERMINAL.search(merged[-1].text.rstrip()):
            merged[-1].text = merged[-1].text.rstrip() + " " + stripped
            merged[-1].hints.extend(seg.hints)
            merged[-1].clean_end = seg.clean_end
        elif stripped:
            merged.append(_Piece(stripped, list(seg.hints), seg.clean_end))
        elif merged:
            merged[-1].hints.extend(seg.hints)

    out: list[_Piece] = []
    for piece in merged:
        if not piece.text.strip():
            out.append(piece)
            continue
        sentences = _split_sentences(piece.text)
        for i, sent in enumerate(sentences):
            last = i == len(sentences) - 1
            out.append(
                _Piece(
                    sent,
                    piece.hints if last else [],
                    (piece.clean_end if last else False) or bool(_TERMINAL.search(sent)),
                )
            )
    return out


def _echo_pieces(line: str) -> list[_Piece]:
    """A line in the prompt's own layout, ``[1] (AP) text [2] Yonhap - text``: numbers lead."""
    out: list[_Piece] = []
    pending: list[int] = []
    matches = list(_CITE.finditer(line))
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(line)
        text = _ECHOED_LABEL.sub("", line[m.end() : end]).strip()
        pending.extend(_numbers_in(m.group(1)))
        if not text:
            continue
        nums, pending = pending, []
        sentences = _split_sentences(text)
        for i, sent in enumerate(sentences):
            last = i == len(sentences) - 1
            out.append(
                _Piece(sent, nums if i == 0 else [], not last or bool(_TERMINAL.search(sent)))
            )
    if pending:  # numbers after the last sentence, or a line of bare numbers
        if out:
            out[-1].hints.extend(pending)
        else:
            out.append(_Piece("", pending, False))
    return out


def _norm_tokens(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def near_duplicate(a: str, b: str) -> bool:
    """Whether two sentences say the same thing (token Jaccard or containment)."""
    ta, tb = _norm_tokens(a), _norm_tokens(b)
    if not ta or not tb:
        return ta == tb
    inter = len(ta & tb)
    if inter / len(ta | tb) >= _NEAR_DUP_JACCARD:
        return True
    return inter / min(len(ta), len(tb)) >= _NEAR_DUP_CONTAINMENT


def dedupe_drafts(drafts: Sequence[Draft]) -> list[Draft]:
    """Drop sentences that repeat an earlier one (the first is kept, with both hints)."""
    out: list[Draft] = []
    for d in drafts:
        for i, kept in enumerate(out):
            if near_duplicate(kept.text, d.text):
                out[i] = Draft(text=kept.text, hints=tuple(dict.fromkeys(kept.hints + d.hints)))
                break
        else:
            out.append(d)
    return out


def parse_output(text: str, n_evidence: int | None = None) -> tuple[str | None, list[Draft]]:
    """Read the model's answer: ``(headline or None, drafts)``.

    A last sentence that neither ends in punctuation nor carries a citation was cut by the
    token cap and is dropped; so are fragments (fewer than three words) and chatter lines.
    ``n_evidence`` (the number of evidence lines) tells a parenthesised citation "(3)" from
    a number of the text "(52)"; without it every such number is read as a citation.
    """
    text = _THINK.sub("", text.translate(_WIDE_BRACKETS))
    text = text.replace("\r\n", "\n").replace("```", "\n")
    headline: str | None = None
    pieces: list[_Piece] = []
    for raw in _answer_lines(text):
        h = _headline_line(raw)
        if h:
            if headline is None:
                headline = _clean_headline(h.group(1))
            continue
        line = _clean_line(raw)
        if not line or _META.match(line) or line.endswith(":"):
            continue
        line_pieces = _pieces(line, n_evidence)
        for p in line_pieces:
            if not p.text and p.hints and pieces:  # a line of bare numbers: previous sentence
                pieces[-1].hints.extend(p.hints)
                pieces[-1].clean_end = True
            elif p.text:
                pieces.append(p)
    drafts: list[Draft] = []
    for i, p in enumerate(pieces):
        sent = _without_framing(p.text.strip())
        if re.fullmatch(r"[\"“][^\"“”]+[\"”]", sent):
            sent = sent[1:-1].strip()
        if not p.clean_end:
            if headline is None and i == 0 and not drafts and len(sent.split()) <= 20:
                headline = _clean_headline(sent)  # an unlabelled title line
            continue  # a fragment or a sentence cut by the token cap
        if not _TERMINAL.search(sent):
            sent = sent.rstrip(",;:-–— ")
            if not _TERMINAL.search(sent):
                sent += "."
        if len(_WORD.findall(sent)) < MIN_DRAFT_WORDS:
            continue
        drafts.append(Draft(text=sent, hints=tuple(dict.fromkeys(p.hints))))
    return headline, dedupe_drafts(drafts)


def _without_framing(sentence: str) -> str:
    """``sentence`` less a lead-in about the model's input ("The article states that",
    "According to the evidence,"), its first letter then in capitals."""
    m = _FRAMING.match(sentence)
    if not m or m.end() >= len(sentence):
        return sentence
    rest = sentence[m.end() :]
    return rest[0].upper() + rest[1:]


def _headline_line(line: str) -> re.Match[str] | None:
    """``Headline: ...`` (or ``Title: ...``), bold or list-numbered or not."""
    return _HEADLINE.match(_BULLET.sub("", line.replace("**", "")))


# a line that goes on with the sentence before it: lower case, a number, or its citation
_CONTINUATION = re.compile(r"^\s*(?:[a-z0-9]|\[\s*\d|\(\d)")


def _answer_lines(text: str) -> list[str]:
    """The non-empty lines of an answer, an echoed evidence list left out and a numbered
    sentence that runs on to the next line joined to it."""
    out: list[str] = []
    echo = False
    for raw in text.split("\n"):
        if not raw.strip():
            echo = False
            continue
        if _ECHO_HEADER.match(raw):
            echo = True
            continue
        if echo and _ECHO_LINE.match(raw):
            continue
        echo = False
        prev = out[-1] if out else ""
        if (
            prev
            and _BULLET.match(prev)
            and not _headline_line(prev)
            and not re.search(r"(?:[.!?:][\"'”’)]*|[\])])\s*$", prev)
            and _CONTINUATION.match(raw)
            and not _BULLET.match(raw)
        ):
            out[-1] = prev.rstrip() + " " + raw.strip()
            continue
        out.append(raw)
    return out


# ---------------------------------------------------------------- fallback


def extractive_drafts(evidence: Sequence[Evidence], n_sentences: int) -> list[Draft]:
    """The top ``n_sentences`` evidence by score, in reading order, text verbatim."""
    if n_sentences < 1:
        raise InputError(f"n_sentences must be at least 1, not {n_sentences}", "n_sentences")
    top = sorted(evidence, key=lambda e: (-e.score, e.n))[:n_sentences]
    return [
        Draft(text=evidence_text(e.group), hints=(e.n,)) for e in sorted(top, key=lambda e: e.n)
    ]


_CLAUSE_BREAK = re.compile(r",|;|:|\s(?:as|after|while|amid|but|which|who)\s|\s--?\s|\s—\s")


_OPENS_QUOTE = re.compile(r"^\W*[\"“‘]")
# a label an article puts before a sentence ("Summary: ...", "UPDATE: ..."): not headline
# (a speaker's name before a colon, "Trump: ...", stays: the claim is the speaker's)
_HEADLINE_LABEL = re.compile(
    r"^(?:summary|update|updated|breaking(?:\s+news)?|watch|exclusive|analysis|opinion"
    r"|editor['’]s\s+note|live|photos?|video|read\s+more|related|correction)\s*:\s+(?=\S)",
    re.IGNORECASE,
)


def make_headline(evidence: Sequence[Evidence]) -> str:
    """A fallback headline: the top evidence's first clause, at most ~14 words; the top
    line that does not open a quotation when there is one ("\"If Mitt Romney is the
    nominee" cut from a quotation is no headline)."""
    if not evidence:
        return ""
    ranked = sorted(evidence, key=lambda e: (-e.score, e.n))
    plain = [e for e in ranked if not _OPENS_QUOTE.match(evidence_text(e.group))]
    return headline_from_sentence(evidence_text((plain or ranked)[0].group))


def headline_from_sentence(sentence: str) -> str:
    """A sentence cut down to a headline: its longest first clause of 6 to ~14 words.

    Without such a clause the first ``HEADLINE_MAX_WORDS`` words and an ellipsis. At most
    ``HEADLINE_MAX_CHARS`` characters, cut at a space when there is one (a run of text
    with no space, such as a long link, is cut where the limit falls).
    """
    text = " ".join(sentence.split()).rstrip(".!? ")
    text = _HEADLINE_LABEL.sub("", text, count=1) or text
    words = text.split()
    if len(words) <= HEADLINE_MAX_WORDS:
        return _clip_chars(text)
    cut = None
    for m in _CLAUSE_BREAK.finditer(text):
        n_words = len(text[: m.start()].split())
        if n_words > HEADLINE_MAX_WORDS:
            break
        if n_words >= 6:
            cut = m.start()
    if cut is not None:
        return _clip_chars(text[:cut].strip().rstrip(",;:").rstrip())
    return _clip_chars(" ".join(words[:HEADLINE_MAX_WORDS]).rstrip(",;:") + "…")


def clip_headline(text: str) -> str:
    """At most ``HEADLINE_MAX_CHARS`` characters, cut at a space when there is one."""
    return _clip_chars(" ".join(text.split()))


def _clip_chars(text: str) -> str:
    if len(text) <= HEADLINE_MAX_CHARS:
        return text
    head = text[: HEADLINE_MAX_CHARS - 1]
    space = head.rfind(" ")
    if space > 0:
        head = head[:space]
    return head.rstrip(",;: ") + "…"


# ---------------------------------------------------------------- the call


_ATTRIBUTION_VERBS = r"(?:reported|reports|said|says|stated|states|noted|notes|wrote|writes|added)"


# what a label's removal must not leave at the front: the rest of the reporting clause
# ("AP reported on Tuesday, citing two sources, that ..." -> "on Tuesday, citing ...")
# what a label's removal must not leave at the front: the rest of the reporting clause
# ("AP reported on Tuesday, citing two sources, that ..." -> "on Tuesday, citing ...");
# only looked at where the label's "that" was not taken with it
_CLAUSE_LEFT = re.compile(
    r"^(?:(?:on|in|at|last|this|earlier|later|late|citing|quoting|after|before|that)\b|,)",
    re.IGNORECASE,
)


def _names_as_source(outlet: str, said: str) -> bool:
    """Whether the evidence gives ``outlet`` (its name as written, capitals and all) as
    the source of a claim: "The Daily Sentinel reported ...", "according to Reuters",
    "told the Daily Sentinel". A dateline's "(Yonhap)" or "time" in "the first time" do
    not count."""
    name = rf"(?<![\w-]){re.escape(outlet.strip())}(?![\w-])"
    return (
        re.search(
            rf"{name}\s*,?\s+(?i:{_ATTRIBUTION_VERBS})\b"
            rf"|(?i:according\s+to|told|citing)\s+(?i:the\s+)?{name}",
            said,
        )
        is not None
    )


def strip_outlet_attribution(
    text: str, outlets: Sequence[str], evidence_texts: Sequence[str] = ()
) -> str:
    """Drop a copied evidence label: ``AP reported that X.`` / ``According to AP, X.`` -> ``X.``

    The citations name the outlets; the label in the text only repeats the prompt's layout.
    An outlet that an evidence text itself gives as the source of a claim ("The Daily
    Sentinel reported ..., citing two sources") is part of the story: the claim is that
    outlet's, and dropping its name would serve it as fact. Nor is a label dropped when
    what follows it is the rest of its reporting clause ("AP reported on Tuesday, citing
    ..., that").
    """
    said = " ".join(evidence_texts)
    names = sorted(
        {o for o in outlets if o.strip() and not _names_as_source(o, said)},
        key=len,
        reverse=True,
    )
    if not names:
        return text
    alt = "|".join(re.escape(o) for o in names)
    reporting = re.compile(
        rf"^(?:the\s+)?(?:{alt})\s*,?\s+{_ATTRIBUTION_VERBS}(?P<that>\s+that)?\s+(?=\S)",
        re.IGNORECASE,
    )
    according = re.compile(rf"^according\s+to\s+(?:the\s+)?(?:{alt})\s*,\s+(?=\S)", re.IGNORECASE)
    m = reporting.match(text)
    if m is not None:
        rest = text[m.end() :]
        if m.group("that") is None and _CLAUSE_LEFT.match(rest):
            return text
    else:
        rest = according.sub("", text, count=1)
    if rest == text:
        # the bare label echoed in front of the sentence: "(AP) X.", "AP: X.", or a label
        # that no sentence would open with ("Yonhap (via a daily) X.")
        closed = "|".join(re.escape(o) for o in names if o.rstrip().endswith(")"))
        bare = rf"\((?:{alt})\)|(?:{alt})\s*(?::|--?|–|—)" + (f"|(?:{closed})" if closed else "")
        rest = re.sub(rf"^(?:{bare})\s*(?=[A-Z\"“‘'])", "", text, count=1)
    if rest == text or len(rest.split()) < MIN_DRAFT_WORDS:
        return text
    return rest[0].upper() + rest[1:]


def generation_config(
    max_new_tokens: int, repeat_penalty: float, timeout_s: float | None, n_sentences: int
) -> GenerationConfig:
    """Greedy decoding with the default stop strings; room for ``n_sentences`` at least."""
    tokens = max(max_new_tokens, 32 + 40 * n_sentences)
    return GenerationConfig(
        max_new_tokens=tokens,
        stop=DEFAULT_STOP,
        temperature=0.0,
        repeat_penalty=repeat_penalty,
        timeout_s=timeout_s,
    )


# ---------------------------------------------------------------- how long a brief takes

# A made-up story for timing a generator on a brief-shaped prompt.
_PROBE_SENTENCES = (
    "The city council met on Tuesday evening to vote on the harbour plan.",
    "The plan would rebuild the old ferry terminal and add a cycle path along the water.",
    "Supporters said the project would bring jobs and visitors to the east side of town.",
    "Opponents worried about the cost, the noise of construction and the loss of parking.",
    "The mayor said a final decision would come after a public hearing next month.",
    "The state has already promised part of the money, according to the mayor's office.",
)
# Prompt tokens of a brief beyond its evidence: instructions, layout, chat template.
PROMPT_OVERHEAD_TOKENS = 130


def _probe_messages(tag: int) -> list[ChatMessage]:
    """A brief prompt over the made-up story; ``tag`` makes its evidence unlike any other's."""
    evidence = []
    for i, text in enumerate(_PROBE_SENTENCES):
        if i == 0:
            text = text.replace("Tuesday evening", f"Tuesday evening (session {tag})")
        outlet = "Harbour Daily" if i % 2 else "Coast Radio"
        sent = Sentence(f"probe-{i % 2}", outlet, i, 0, len(text), text)
        evidence.append(Evidence(n=i + 1, group=SentenceGroup(i, sent, (sent,)), score=1.0))
    return build_messages(evidence, n_sentences=2)


def estimate_brief_seconds(
    generator: Generator,
    *,
    prompt_tokens: int,
    new_tokens: int,
    probe_tokens: int = 48,
    repeat_penalty: float = 1.0,
) -> float | None:
    """Seconds a brief of ``prompt_tokens`` in and ``new_tokens`` out should take here.

    Times one short brief on a made-up story (a prompt of the real shape, ~260 tokens in,
    ``probe_tokens`` out, greedy, the default stop strings; 48 tokens reach past the
    headline into copied evidence, where prompt-lookup decoding runs at a brief's pace),
    after a one-token call that absorbs first-call costs, and scales its prefill and
    decode speeds. The probe's evidence differs on every call, so a backend that reuses
    a cached prompt prefix (llama.cpp) reuses only what a real brief would: the
    instructions. None when the generator does not report the two phases or stopped too
    early to time decoding.
    """
    stamp = time.time_ns() % 1_000_000
    generator.generate(_probe_messages(stamp), GenerationConfig(max_new_tokens=1))
    result = generator.generate(
        _probe_messages(stamp + 1),
        GenerationConfig(
            max_new_tokens=probe_tokens,
            stop=DEFAULT_STOP,
            temperature=0.0,
            repeat_penalty=repeat_penalty,
        ),
    )
    if result.prompt_tokens < 1 or result.prefill_s <= 0 or result.completion_tokens < 4:
        return None
    # Tokens served from the prompt cache (the instructions) cost nothing in the probe,
    # and will cost nothing in a real brief either.
    cached = int(result.extra.get("prompt_cached_tokens", 0))
    prefill_rate = max(1, result.prompt_tokens - cached) / result.prefill_s
    decode_rate = (result.completion_tokens - 1) / max(result.decode_s, 1e-6)
    return max(1, prompt_tokens - cached) / prefill_rate + new_tokens / decode_rate


def _fallback(
    evidence: Sequence[Evidence],
    n_sentences: int,
    reason: str,
    result: GenerationResult | None,
) -> GenerationOutcome:
    """An extractive brief. Its headline is left to the caller (an outlet's own title
    first): a model whose answer could not be used has not earned its headline either."""
    log.warning("extractive fallback: %s", reason)
    return GenerationOutcome(
        headline=None,
        drafts=extractive_drafts(evidence, n_sentences) if evidence else [],
        result=result,
        fallback=True,
        fallback_reason=reason,
    )


def generate_brief_drafts(
    generator: Generator,
    evidence: Sequence[Evidence],
    *,
    n_sentences: int,
    config: GenerationConfig,
    headline_hint: str | None = None,
    days: Mapping[str, date] | None = None,
) -> GenerationOutcome:
    """Ask the model for a brief; fall back to the evidence itself if nothing usable comes.

    Up to ``SPARE_DRAFTS`` x ``n_sentences`` drafts come back, in the model's order: the
    cite step keeps the first ``n_sentences`` it can support, so a line of chatter the
    parser let through does not take a real sentence's place. The model's headline is
    kept only when the evidence bears it out (:func:`summarizer.cite.headline_supported`);
    otherwise, and on a fallback, the outcome has none and the caller picks one.
    """
    if not evidence:
        return _fallback(evidence, n_sentences, "no evidence fits the model's budget", None)
    messages = build_messages(
        evidence, n_sentences=n_sentences, headline_hint=headline_hint, days=days
    )
    stops = tuple(dict.fromkeys(config.stop + DEFAULT_STOP))
    config = replace(config, stop=stops)
    try:
        result = generator.generate(messages, config)
    except GenerationCancelled:
        raise  # the service is stopping: no brief at all, rather than a stand-in stored
    except Exception as exc:  # any backend failure becomes an extractive brief
        log.exception("generation failed")
        return _fallback(evidence, n_sentences, f"generation failed: {exc}", None)
    headline, drafts = parse_output(result.text, len(evidence))
    valid = range(1, len(evidence) + 1)
    outlets = [o for e in evidence for o in e.group.outlets]
    said = [evidence_text(e.group) for e in evidence]
    drafts = [
        Draft(
            strip_outlet_attribution(d.text, outlets, said),
            tuple(h for h in d.hints if h in valid),
        )
        for d in drafts
    ]
    drafts = dedupe_drafts(drafts)[: SPARE_DRAFTS * n_sentences]
    if not drafts:
        reason = (
            "generation timed out before a usable sentence"
            if result.finish_reason == "timeout"
            else "the model wrote no usable sentence"
        )
        return _fallback(evidence, n_sentences, reason, result)
    if headline is not None:
        headline = clip_headline(headline)
        if not headline_supported(
            headline, [evidence_text(e.group) for e in evidence], outlets=outlets
        ):
            log.info("model headline not borne out by the evidence: %r", headline)
            headline = None
    return GenerationOutcome(
        headline=headline,
        drafts=drafts,
        result=result,
        fallback=False,
        fallback_reason=None,
    )
