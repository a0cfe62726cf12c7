"""Step 1: keep the article, drop the page around it.

``clean_text`` never edits characters: it decides which slices of the original text to
keep. Each kept slice becomes a ``Segment`` (a contiguous slice of the original, trimmed of
whitespace), so a sentence found in ``CleanText.text`` maps back to exact offsets.
Everything dropped is listed in ``CleanText.removed`` as ``(orig_start, orig_end, rule)``.

The rules are general, by line shape and position rather than by site:

* whole lines: photo captions and credits, gallery and player furniture ("Full Screen",
  "1 / 11"), bylines, slug lines, "Follow …" / newsletter / share / app / "Click here"
  promos, related-link lists and "Label: headline" teasers, copyright and contributor
  credits, editor's notes, embedded social posts, link lists (``a | b | c``), URL or
  e-mail lines, mostly-markup lines, short lines without final punctuation (headings,
  credits), title-case lines without final punctuation (teaser headlines), a title line
  at the top, lines repeated within the article, and lines listed in ``common_lines``
  (see ``find_repeated_lines``);
* joins: a sentence broken over two lines (the second starting in lower case) becomes one
  segment that spans the line break;
* tails: a "Frequently Asked Questions" block and everything after it, and a trailing run
  of question/answer pairs;
* parts of lines: dateline prefixes ("SEOUL, Oct. 20 (Yonhap) -- ", "ROME - "), label
  prefixes ("UPDATED: "; not a transcript's speakers, "OBAMA: ..." on line after line,
  which stay), a related-story widget glued to a sentence
  ("headline 2024-01-15 07:47 | Section" + sentence), a trailing agency credit
  ("… briefing. (Yonhap)") and trailing furniture ("… decades. Advertisement").

Not handled: inline HTML tags inside a kept line stay (removing them would split a
sentence); such lines are kept unless markup makes up most of the line.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from summarizer.errors import InputError
from summarizer.types import CleanText, Segment

__all__ = ["clean_text", "find_repeated_lines", "lines_outside", "normalize_line"]

# ------------------------------------------------------------------ character classes

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_LINE = re.compile(r"[^\r\n\u2028\u2029\x85\x0b\x0c]+")
_QUOTES_CLOSE = "\"'”’»)]"
# a line "ends like a sentence" when its last visible characters are these (Latin, CJK and
# full-width, Devanagari, Arabic and Urdu, Armenian, Ethiopic and Burmese sentence ends, then
# closing quotes or brackets)
_END_PUNCT = re.compile(r"(?:[.!?…。．！？।؟۔։።။]|\.\.\.)[\"'”’»)\]*」』）】]*$")
# what may follow a sentence's end on a line without being text: invisible format
# characters (zero-width, direction marks, soft hyphen), HTML tags and entities, a
# footnote mark, a pilcrow
_NOISE_CHARS = "".join(
    [
        "\u00ad",
        *map(chr, range(0x200B, 0x2010)),
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2060, 0x206A)),
        "\ufeff",
        "¶",
    ]
)
_NOISE_PIECE_AT_END = re.compile(r"(?:&(?:[a-zA-Z]{2,8}|#\d{2,5});|\[\d{1,3}\])\Z")


def _strip_trailing_noise(s: str) -> str:
    """``s`` without the noise after its last visible character, taken off from the end
    (linear time: a pattern anchored at the end would be tried from every position)."""
    while True:
        t = s.rstrip().rstrip(_NOISE_CHARS)
        if t.endswith(">"):
            k = t.rfind("<", max(0, len(t) - 302))
            if k >= 0 and ">" not in t[k:-1]:
                t = t[:k]
        elif t.endswith((";", "]")):
            m = _NOISE_PIECE_AT_END.search(t, max(0, len(t) - 12))
            if m:
                t = t[: m.start()]
        if t == s:
            return t
        s = t


_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_FULL_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}},\s+\d{{4}}\b")

# ------------------------------------------------------------------ whole-line rules

_FURNITURE = re.compile(
    r"""(?ix)^(?:
        full\s*screen | \d+\s*/\s*\d+ | (?:page\s+)?\d+\s+of\s+\d+
      | recommended(?:\s+(?:videos?|stories|reading|for\s+you))?
      | advertisements? | sponsored(?:\s+content)? | ad | paid\s+content
      | story\s+continues(?:\s+below)?(?:\s+advertisement)? | continue\s+reading.{0,40}
      | related(?:\s+(?:gallery|videos?|stories|articles|content|coverage|links?|news))?:?
      | further\s+reading | more\s+on\s+this(?:\s+story)? | alertme | top\s+stories
      | (?:share|tweet|pin|email|e-mail|print|comment|save|copy\s+link|copy)
        (?:[\s|/,]+(?:share|tweet|pin|email|e-mail|print|comments?|save|copy\s+link|copy
        |facebook|twitter|whatsapp|linkedin|reddit|messenger|this(?:\s+(?:article|story))?))*
      | share\s+(?:this|on)\b.{0,40}
      | (?:hide|show)\s+transcript(?:\s+(?:hide|show)\s+transcript)?
      | loading(?:\s+video)?(?:\.\.\.|…)?(?:\s+loading(?:\s+video)?(?:\.\.\.|…)?)*
      | text\s+size\b.{0,20} | [-+] | reset\b.{0,120}
      | article(?:\s+excerpt)? | \|\|.{0,40}\|\| | watch(?:\s+(?:video|now|live))?
      | play(?:\s+video)? | skip\s+ad | close | menu | back\s+to\s+top | view\s+(?:gallery|comments)
      | (?:photo\s+)?gallery | getty\s+images | \d+\s+comments?
      | (?:\d+|an?|one)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago
      | listen(?:\s+to\s+this\s+(?:article|story))?(?:\s+\d+\s+min)?
      | subscribe(?:\s+now)? | sign\s+(?:up|in)(?:\s+now)? | log\s+in
      | [_\-=*~#•·.]{3,} | [\W_]+
    )$""",
)
_CAPTION_PREFIX = re.compile(
    r"""(?ix)^\W{0,3}(?:
        view\s+larger\s+image | enlarge\s+this\s+image | toggle\s+caption | hide\s+caption
      | image\s+(?:copyright|caption|source|credit) | images?\s*: | photos?\s*: | photos?\s+credit
      | \(photo | photo\s+(?:by|courtesy) | photograph\s*: | pictured\s*: | caption\s*:
      | file\s*(?:photo|image)? \s*[-–—:] | file\s+(?:photo|image)\b
      | in\s+this\s+(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+)?(?:\w+\.?\s+){0,3}
        (?:\d{1,2},\s+\d{4},?\s+)?(?:[\w-]+\s+){0,2}
        (?:photo|image|picture|handout)(?:graph)?s?
        (?=\s*,|\s+(?:taken|released|provided|made|from|shot|distributed|obtained|posted
        |shared|shows|showing|of|by|dated|courtesy|supplied|issued)\b)
      | this\s+(?:\w+\s+){0,2}(?:photo|image|picture)\s+(?:shows|taken|released|provided|made)
      | provided\s+by\s+(?-i:[A-Z]) | courtesy\s+(?:of\b|photo) | credit\s*: | getty\s+images\b
    )""",
)
# a credit in brackets that names a photo, versus one that names only a news agency
_PHOTO_CREDIT = re.compile(
    r"(?i)\b(?:Photos?|Image|Images|via|Getty|Courtesy|Pool|File|Handout|iStock\w*"
    r"|Shutterstock|Press\s+Service|NurPhoto|Sipa)\b"
)
_AGENCY_CREDIT = re.compile(
    r"\b(?:AP|Associated\s+Press|Reuters|AFP|Yonhap|EPA|Xinhua|KCNA|KCTV|Bloomberg|Anadolu"
    r"|Kyodo|Newsis|News1|UPI|TASS|Sputnik)\b"
)
# words that say a line describes a picture
_CAPTION_CUE = re.compile(
    r"(?i)\b(?:in\s+this\s+(?:\w+\s+)?(?:photo|image|picture)|this\s+(?:\w+\s+)?(?:photo|image)"
    r"|photo\s+(?:released|taken|provided|shows|made)|pictured|file\s+photo|shake\s+hands"
    r"|shakes\s+hands|poses?\s+for)\b"
    r"|,\s*(?:left|right|center|centre|second\s+(?:left|right)|front|rear|top|bottom),"
    r"|\((?:L|R|C|left|right|center|centre)\)"
)
# "(via KCNA Watch)" after a sentence names where a statement was found: the sentence
# is news, and only the bracket goes (``_strip_trailing``)
_VIA_SOURCE = re.compile(r"(?i)^\s*via\s+[A-Z@][\w&.'’@ -]{0,60}$")
_TRAILING_PAREN = re.compile(r"\(([^()]{1,80})\)[\s\"'”’]*$")
_AGENCY_ONLY = re.compile(
    r"^(?:[A-Z][A-Za-z&.'-]*|[A-Z]{2,}\d*)(?:[ /-](?:[A-Z][A-Za-z&.'-]*|\d+)){0,3}$"
)
_CAPTION_CREDIT_TAIL = re.compile(
    r"[.!?][\"'”’)]*\s+((?:[A-Z][\w&'’.-]*|[-–—/|]|via|of|and|the|for)"
    r"(?:\s+(?:[A-Z][\w&'’.-]*|[-–—/|]|via|of|and|the|for)){0,6})\s*$"
)
_BYLINE = re.compile(
    r"(?i)^(?:by|written\s+by|posted\s+by|story\s+by|words\s+by|reported\s+by)\s+[A-Z]",
)
_SLUG = re.compile(
    r"(?i)\(ATTN:|^date\s+\d{4}-\d{2}-\d{2}\b|^\((?:LEAD|URGENT|\d+(?:st|nd|rd|th)\s+LD)\)"
)
# (rule, cheap lower-case keywords that must occur, pattern)


# (rule, a lower-case keyword the line must contain, pattern): a pattern runs only on lines
# that contain its keyword, which keeps the scan cheap on long articles
_PROMO_TABLE: tuple[tuple[str, str, str], ...] = (
    (
        "follow",
        "follow",
        r"(?:^|[.!?]\s+)-?\s*follow\s+(?:us\b|me\b|@\w|[^.!?]{0,60}?\b(?:on|at|via)"
        r"\s+(?:@\w|https?://|(?:twitter|facebook|instagram|tiktok|threads|linkedin|youtube|rss|x)\b))",
    ),
    (
        "related",
        "read",
        r"^read\s*(?:more|or\s+share|:)|\bread\s+more\s*$|\bread\s+more\s+about\s*:",
    ),
    (
        "related",
        "related",
        r"^related\s*(?::|(?:headlines|content|coverage|stories|articles|links"
        r"|video)\b)",
    ),
    ("related", "more", r"^more\s*:"),
    ("related", "also", r"^(?:see\s+also|also\s+see|also\s+read)\b|^also\s*:"),
    ("related", "like", r"^you\s+(?:may|might)\s+also\s+like\b"),
    ("related", "", r"^(?:trending|most\s+(?:popular|read)|don'?t\s+miss)\s*(?::|$)"),
    (
        "related",
        ":",
        r"^(?:watch|videos?|photos?|gallery|archive|listen|podcast|sponsored"
        r"|advertisement)\s*:|^photo\s+gallery\b",
    ),
    # not "told them to click here" or "users who click here": news about a scam
    ("promo", "click", r"(?<!\bto )(?<!\bwho )(?<!\bthey )click\s+here\b"),
    ("promo", "sign up", r"(?:^|[.!?]\s+)sign\s+up\b.{0,80}\b(?:newsletter|inbox|email|alerts?)\b"),
    (
        "promo",
        "subscribe",
        r"(?:^|[.!?,:;]\s+|\b(?:and|please)\s+)subscribe\b.{0,60}\b(?:newsletter|today|now|channel|podcast)\b",
    ),
    ("promo", "newsletter", r"\bnewsletter\b.{0,80}\b(?:sign\s+up|subscribe|inbox)\b"),
    ("promo", " app", r"(?:^|[.!?]\s+|:\s+)(?:download|get)\s+(?:the|our)\b.{0,60}\bapp\b"),
    ("promo", "push", r"\bget\s+push\s+notifications\b"),
    ("promo", "submit", r"\bsubmit\s+your\b.{0,40}\btips?\b"),
    ("promo", "want", r"\bwant\s+(?:stories|more)\s+like\s+th"),
    ("promo", "this ", r"\b(?:email|share)\s+this\s+(?:story|article)\b"),
    (
        "promo",
        "listen",
        r"\blisten\s+(?:for\s+free|now|on)\b.{0,80}\b(?:podcasts?|spotify|apple)\b",
    ),
    ("promo", "issue", r"\bpick\s+up\s+(?:the|a)\s+(?:new|latest|current)\s+issue\b"),
    ("promo", "stands", r"\bon\s+stands\s+now\b"),
    ("promo", "featured", r"^this\s+(?:report|story|article)\s+was\s+featured\s+in\b"),
    ("promo", "alexa", r"(?:^|[.!?,;:]\s+)(?:just\s+)?ask\s+alexa\b"),
    ("promo", "", r"^(?:email|e-mail|contact|reach)\s+(?:the\s+)?(?:reporter|writer|author|us)\b"),
    (
        "credit",
        "contributed",
        r"\bcontributed\s+(?:to\s+)?(?:this\s+)?(?:report|story|article)"
        r"(?:ing)?[.)]*$",
    ),
    # names only after "by", up to a ";", ")" or the end: "Reporting by The Washington Post
    # revealed ..." is a sentence
    (
        "credit",
        " by",
        r"^\(?(?:additional\s+)?(?:reporting|writing|editing)\s+by"
        r"(?:\s*(?-i:[A-Z][\w.'’-]*|and|in|&|,)){1,12}\s*(?:[;)]|\.?\s*$)",
    ),
    ("credit", "information", r"^information\s+from\s*:"),
    ("credit", "h/t", r"^\[?\s*h/t\b"),
    ("credit", "source", r"^(?:source|sources)\s*:\s*\S.{0,60}$"),
    ("credit", "rights", r"\ball\s+rights\s+reserved\b"),
    ("embedded_post", "twitter.com", r"pic\.twitter\.com/"),
    ("embedded_post", "t.co", r"https?://t\.co/"),
    ("embedded_post", "(@", r"\(@\w{1,30}\)\s+\w+\s+\d{1,2},\s+\d{4}\s*$"),
)
_PROMOS = tuple((rule, key, re.compile(rx, re.I)) for rule, key, rx in _PROMO_TABLE)

_NOTE = re.compile(
    r"(?i)^\W{0,3}(?:(?:editor'?s'?\s+note|correction|clarification)\s*[:,-]"
    r"|for\s+the\s+record\s*[:,]\s*\d|for\s+the\s+record\s*:)"
    r"|^\(?\s*(?:\(c\)|©|copyright\s*(?:©|\(c\)|\d{4}|(?-i:[A-Z])|$))"
)
# the e-mail part has bounded pieces: "\S+@\S+" rescans a long run of non-space from
# every word boundary in it (quadratic time on a minified or run-together line)
_URL = re.compile(
    r"https?://\S+|www\.\S+"
    r"|\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[a-z]{2,24}\b|@\w+"
)
_TAG = re.compile(r"<[^<>]{0,300}>|&(?:[a-z]{2,8}|#\d{2,5});")
_SCRIPT_OPEN = re.compile(r"(?i)<(script|style|noscript)\b")
_BULLET = re.compile(r"^[-–•*·▪]\s+\w")
_LABEL = re.compile(r"^[\"'“‘(]?([A-Za-z][\w'’&./ -]{0,40}?)\s*:\s+\S")
_CAPS_LABEL = re.compile(r"^([A-Z][A-Z0-9'’&./-]*(?:\s+[A-Z][A-Z0-9'’&./-]*){0,3})\s*:\s+(?=\S)")
_FAQ_HEAD = re.compile(
    r"(?i)^\W{0,3}(?:frequently\s+asked\s+questions|faqs?|q\s*&\s*a|questions\s+and\s+answers"
    r"|people\s+also\s+ask|key\s+questions)\b\W{0,3}$"
)
_QUESTION = re.compile(
    r"(?i)^(?:q\d*\s*[:.)]\s*)?(?:what|how|why|who|whom|whose|when|where|which|is|are|was|were|do|does"
    r"|did|can|could|will|would|should|has|have|had)\b"
)

# ------------------------------------------------------------------ part-of-line rules

# a bracket of capitalised words, but not a politician's party and state: "(R-S.C.)"
_AGENCY = r"\((?![RDI]-[A-Z])(?:[A-Z][A-Za-z0-9&.'’-]*)(?:[ /](?:[A-Z0-9][A-Za-z0-9&.'’-]*)){0,3}\)"
_CITY_CAPS = r"[A-Z][A-Z.'’-]{1,}(?:\s+[A-Z][A-Z.'’-]*){0,3}"
_CITY_ANY = r"[A-Z][A-Za-z.'’-]+(?:\s+[A-Z][A-Za-z.'’-]+){0,3}"
_REGION = r"(?:,\s+[A-Z][A-Za-z.'’-]+(?:\s+[A-Z][A-Za-z.'’-]+){0,3})?"
_DATE = rf"(?:,?\s+{_MONTH}\s+\d{{1,2}})?"
_DATELINE_AGENCY = re.compile(
    rf"(?:{_CITY_ANY}{_REGION}{_DATE}\s*)?{_AGENCY}\s*(?:--|[-–—]|:)\s*(?=[\"'“‘A-Z0-9])"
)
# a hyphen with no spaces is a compound ("U.S.-China trade", "NATO-Russia talks") unless a
# word that opens sentences follows it ("KYIV-The", "ROME-Behind the ...") or the caps are
# a city of five letters or more that is no organisation ("WASHINGTON-Senate ...",
# "MOSCOW-Ukraine said ...", not "ASEAN-China")
_SENTENCE_OPENER = (
    r"(?:The|A|An|He|She|It|They|We|I|In|On|At|As|After|Before|Behind|When|While|With|For"
    r"|From|This|That|These|Those|There|Two|Three|Police|Officials|President)\b"
)
# not an initialism with full stops ("U.S. - China trade talks"): no city is written so
_NOT_INITIALS = r"(?!(?:[A-Z]\.){2,3}(?:\s|$))"
_NOT_ACRONYM = r"(?<!ASEAN)(?<!NASDAQ)(?<!UNESCO)(?<!UNICEF)(?<!INTERPOL)(?<!NAFTA)(?<!BRICS)"
_PLAIN_OPENER = (
    r"(?:The|A|An|He|She|It|They|We|In|On|At|As|After|Before|When|While|With|For|From"
    r"|This|That|These|Those|There)\s"
)
_DATELINE_CAPS = re.compile(
    rf"{_NOT_INITIALS}{_CITY_CAPS}{_REGION}{_DATE}"
    rf"(?:\s+--\s*|\s+[-–—]\s+|\s*[–—](?=[A-Z][a-z])|-(?={_SENTENCE_OPENER})"
    rf"|{_NOT_ACRONYM}(?<=[A-Z]{{5}})-(?=[A-Z][a-z])"
    # "WASHINGTON The number of ...": a city in capitals, then a word that opens a
    # sentence and never goes on a name ("CONCACAF President ...", "NASCAR Officials ..."
    # are names, so "WASHINGTON President ..." keeps its dateline)
    rf"|{_NOT_ACRONYM}(?<=[A-Z]{{5}})\s+(?={_PLAIN_OPENER})"
    r"|:\s+|\s+>>\s+)"
    r"(?=[\"'“‘A-Z0-9])"
    # "Oroville >> Now is not the time ...": a place in title case before ">>"
    rf"|{_CITY_ANY}\s+>>\s+(?=[\"'“‘A-Z0-9])"
)
_TIMESTAMP_PREFIX = re.compile(
    rf"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+)?{_MONTH}\s+\d{{1,2}},\s+\d{{4}}"
    r"(?:,?\s+\d{1,2}:\d{2}\s*(?:[AaPp]\.?[Mm]\.?)?(?:\s+[A-Z]{2,4})?)?\s*(?:--|[-–—]|\|)\s+(?=[A-Z\"“])"
)
_WIDGET_TIME = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}\.?\s+\d{1,2}:\d{2}(?::\d{2})?\s*\|\s*")
_WIDGET_SECTION = re.compile(r"[A-Z][\w&'’.-]*(?:\s+[A-Z&][\w&'’.-]*){0,4}")
_TRAILING_FURNITURE = re.compile(
    r"(?i)([.!?][\"'”’)]*)\s+(?:advertisement|read\s+more|recommended\s+videos?|share\s+this"
    r"(?:\s+(?:article|story))?|full\s+screen|continue\s+reading|story\s+continues\s+below)\W*$"
)

_ALPHA_WORD = re.compile(r"(?<![\w'’-])[^\W\d_][\w'’-]*")
_SHAPE_RULES = frozenset({"heading", "headline", "teaser"})
_REST_RULES = frozenset(
    {"furniture", "heading", "headline", "teaser", "promo", "related", "follow", "credit"}
)
_TERMINAL_LOOKBACK = 400  # end-anchored checks look only at a line's tail (linear time)


# ------------------------------------------------------------------ helpers


def normalize_line(line: str) -> str:
    """The comparison form of a line: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", line).casefold().split())


def _ends_like_sentence(s: str) -> bool:
    tail = s[-_TERMINAL_LOOKBACK:]
    return bool(_END_PUNCT.search(_strip_trailing_noise(tail)))


def _title_case_ratio(s: str) -> float:
    """The share of words (from their first letter) that start with a capital."""
    words = _ALPHA_WORD.findall(s)
    if not words:
        return 0.0
    return sum(1 for w in words if w[0].isupper()) / len(words)


@dataclass
class _Line:
    """One line of the original text and what is kept of it."""

    start: int  # trimmed start (original offsets)
    end: int
    keep: list[tuple[int, int]] = field(default_factory=list)
    removed: list[tuple[int, int, str]] = field(default_factory=list)

    def drop(self, rule: str) -> None:
        self.removed = [(self.start, self.end, rule)]
        self.keep = []

    @property
    def kept(self) -> bool:
        return bool(self.keep)


# how a sentence of site furniture opens: an imperative to the reader, or the page itself
_FURNITURE_OPENERS = frozenset(
    """check read sign click follow subscribe watch share download continue scroll listen
    join visit tap copyright advertisement photo photos video videos image images
    story article updated""".split()
)
# a short shared line that speaks of the page is furniture whatever its first word
_PAGE_PHRASE = re.compile(
    r"(?i)\b(?:developing\s+story|this\s+(?:story|article|page|post)|for\s+reading"
    r"|(?:has|have)\s+been\s+updated|story\s+continues)\b"
)


def _starts_lower(text: str, pos: int) -> bool:
    """Whether ``text`` at ``pos`` opens in lower case: a sentence running on from the line
    before ("said on Tuesday ...", also "iPhone sales ..." and "mRNA vaccines ...": a
    heading glued to them costs less than a sentence cut in two)."""
    return text[pos : pos + 1].islower()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Move ``start``/``end`` inwards past whitespace (and zero-width characters)."""
    while start < end and (text[start].isspace() or text[start] in _ZERO_WIDTH):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _ZERO_WIDTH):
        end -= 1
    return start, end


# ------------------------------------------------------------------ line classification


def _without_trailing_furniture(s: str) -> str:
    """``s`` without a trailing "Advertisement" / "Read more" after its last sentence."""
    tail = s[-_TERMINAL_LOOKBACK:]
    f = _TRAILING_FURNITURE.search(tail)
    if f:
        return s[: len(s) - len(tail) + f.start(1) + len(f.group(1))]
    return s


# a sentence that ends inside a line and another that starts after it ("... on Friday
# night. One of them ..."); not after an abbreviation ("Gov. Newsom", "Mrs. May"), and
# not at "!" or "?", which headlines use ("That's one way to dominate New York! Nude ...")
_INNER_SENTENCE_END = re.compile(r"\b([A-Za-z]*[a-z]{2}|\d+)\.[\"”’)]?\s+[\"“‘(]?[A-Z][a-z]")
_TITLE_ABBREVIATIONS = frozenset(
    "mrs gov sen rep gen col capt cmdr sgt maj adm rev prof dept univ jan feb mar apr jun "
    "jul aug sep sept oct nov dec est inc corp ltd bros vs pres atty supt insp det msgr "
    "hon amb sens reps govs ave blvd hwy rte mt ft st "
    # US states as newsrooms abbreviate them ("Calif. wildfire forces ...")
    "ala ariz ark calif colo conn del fla ill ind kan mass mich minn miss mont neb nev okla "
    "ore penn tenn tex wash wis wyo".split()
)


def _is_title(s: str) -> bool:
    """A first line shaped like a headline: no final punctuation, not too long, and no
    sentence ending inside it (a lead paragraph that lost its last full stop is news:
    "Police said ... on Friday night. One of them ... officials said on Saturday")."""
    s = _without_trailing_furniture(s)
    n = len(s.split())
    if n > 40 or _ends_like_sentence(s) or (s.endswith(":") and n >= 5):
        return False
    return not any(
        m.group(1).lower() not in _TITLE_ABBREVIATIONS for m in _INNER_SENTENCE_END.finditer(s)
    )


def _credit_after_sentence(tail: str) -> bool:
    """Whether ``tail`` is a sentence followed by an agency credit: "... next week. (AP)"."""
    m = _TRAILING_PAREN.search(tail)
    return bool(
        m
        and _AGENCY_ONLY.match(m.group(1).strip())
        and len(m.group(1).split()) <= 3
        and _ends_like_sentence(tail[: m.start()].rstrip())
    )


def _whole_line_rule(s: str) -> str | None:
    """The rule that removes the whole line ``s`` (already trimmed), or None to keep it.

    The rules in ``_SHAPE_RULES`` rest only on a missing final punctuation mark; the caller
    ignores them for a line that continues into the next (a hard-wrapped sentence).
    """
    s = _without_trailing_furniture(s)
    tail = s[-_TERMINAL_LOOKBACK:]
    words = s.split()
    n = len(words)
    head = s[:400]
    # a trailing credit is cut later (_strip_trailing): the sentence before it still ends
    ends = _ends_like_sentence(tail) or _credit_after_sentence(tail)
    dense = len(s) - s.count(" ")

    # shapes that make a line of any length not article text
    if "<" in s or "&" in s:
        tag_chars = sum(m.end() - m.start() for m in _TAG.finditer(s))
        if tag_chars * 2 >= dense:
            return "markup"
    pipes = s.count(" | ")
    if pipes >= 2 and pipes * 20 >= n:
        return "link_list"
    if n > 150:
        return None  # a long paragraph is never removed whole by the rules below

    if len(s) <= 200 and _FURNITURE.match(s):
        return "furniture"
    if n <= 40 and _SLUG.search(head):
        return "slug"
    if n <= 100 and _CAPTION_PREFIX.match(head):
        return "caption"
    if _NOTE.match(head):
        return "note"
    low = s.lower()
    promo: str | None = None
    count = 0
    for rule, key, rx in _PROMOS:
        if key in low:
            c = sum(1 for _ in rx.finditer(s))
            if c:
                promo = promo or rule
                count += c
    # a long line is a promo only when promos make up several of its sentences
    if promo and (n <= 60 or count >= 3):
        return promo
    if n <= 14 and not ends and _BYLINE.match(head):
        return "byline"
    if n <= 40:
        url_chars = sum(m.end() - m.start() for m in _URL.finditer(s))
        if url_chars and url_chars * 2 >= dense:
            return "url"
        if re.search(r"\|\s*(?:share|comments?|tweet)\s*$", tail, re.I):
            return "link_list"
    # captions: a photo description ending in a credit in brackets or a bare credit
    if n <= 100:
        m = _TRAILING_PAREN.search(tail)
        if m and _PHOTO_CREDIT.search(m.group(1)) and not _VIA_SOURCE.match(m.group(1)):
            return "caption"
        if m and _AGENCY_CREDIT.search(m.group(1)):
            before = s[: len(s) - len(tail) + m.start()].rstrip()
            if _CAPTION_CUE.search(s) or before.endswith(("...", "…")) or not before:
                return "caption"  # else a trailing credit, cut by _strip_trailing
        m2 = _CAPTION_CREDIT_TAIL.search(tail)
        if m2 and (_CAPTION_CUE.search(s) or _FULL_DATE.search(s)):
            credit = m2.group(1)
            if not _ends_like_sentence(credit) and len(credit.split()) <= 6:
                return "caption"
    if not ends:
        if s.endswith(":") and n >= 5:
            return None  # a sentence introducing a quote or a list
        if n <= 8 and not (n >= 4 and _BULLET.match(s)):
            return "heading"
        if n <= 30 and _title_case_ratio(s) >= 0.6:
            return "headline"
        lab = _LABEL.match(head)
        if lab and n <= 40 and len(lab.group(1).split()) <= 5:
            return "teaser"  # "Label: headline or caption without a full stop"
    return None


def _strip_prefix(text: str, line: _Line) -> None:
    """Remove a dateline / timestamp / label prefix at the start of a kept line."""
    if not line.keep:
        return
    a, b = line.keep[0]
    s = text[a : min(b, a + 300)]
    for rule, rx in (
        ("dateline", _DATELINE_AGENCY),
        ("dateline", _DATELINE_CAPS),
        ("timestamp", _TIMESTAMP_PREFIX),
    ):
        m = rx.match(s)
        if m and m.end() < b - a:
            rest = text[a + m.end() : b]
            if len(rest.split()) >= 3:
                na, nb = _trim(text, a + m.end(), b)
                line.removed.append((a, na, rule))
                line.keep[0] = (na, nb)
                return


def _strip_inline_datelines(text: str, line: _Line) -> None:
    """Split a kept line around a dateline glued after an earlier sentence."""
    out: list[tuple[int, int]] = []
    for a, b in line.keep:
        s = text[a:b]
        pieces: list[tuple[int, int]] = []
        cursor = 0
        for m in re.finditer(r"[.!?][\"'”’]?\s+(?=[A-Z])", s):
            if m.end() < cursor:
                continue
            d = _DATELINE_AGENCY.match(s, m.end())
            if not d or d.end() >= len(s):
                continue
            pieces.append((cursor, m.end()))
            line.removed.append((a + m.end(), a + d.end(), "dateline"))
            cursor = d.end()
        pieces.append((cursor, len(s)))
        for pa, pb in pieces:
            ta, tb = _trim(text, a + pa, a + pb)
            if ta < tb:
                out.append((ta, tb))
    line.keep = out


def _strip_widget(text: str, line: _Line) -> None:
    """Cut a related-story widget ("headline 2024-01-15 07:47 | Section") out of a line."""
    out: list[tuple[int, int]] = []
    for a, b in line.keep:
        s = text[a:b]
        m = _WIDGET_TIME.search(s)
        if not m:
            out.append((a, b))
            continue
        # where the widget's headline starts: the line start, or after the last sentence end
        head_start = 0
        before = s[: m.start()]
        for e in re.finditer(r"[a-z0-9%\"'”’)]{2}[.!?][\"'”’]?\s+(?=[A-Z])", before):
            head_start = e.end()
        # the section name runs until a lowercase letter glued to a capital ("KoreaPeskov");
        # with a space after it, where it ends cannot be told from the next sentence's
        # capitals ("| World North Korean leader ..."), so only its first word goes
        sec = _WIDGET_SECTION.match(s, m.end())
        cut = m.end()
        if sec:
            seg = sec.group(0)
            glue = re.search(r"[a-z)][A-Z\"“]", seg)
            if glue:
                cut = m.end() + glue.start() + 1
            else:
                cut = m.end() + len(seg.split()[0])
        if head_start > 0:
            ta, tb = _trim(text, a, a + head_start)
            if ta < tb:
                out.append((ta, tb))
        line.removed.append((a + head_start, a + cut, "widget"))
        ta, tb = _trim(text, a + cut, b)
        if ta < tb:
            out.append((ta, tb))
    line.keep = out


def _strip_trailing(text: str, line: _Line) -> None:
    """Remove a trailing agency credit "(Yonhap)" or furniture word after the last sentence."""
    if not line.keep:
        return
    a, b = line.keep[-1]
    tail_start = max(a, b - _TERMINAL_LOOKBACK)
    s = text[tail_start:b]
    m = _TRAILING_PAREN.search(s)
    if m and (
        (_AGENCY_ONLY.match(m.group(1).strip()) and len(m.group(1).split()) <= 3)
        or _VIA_SOURCE.match(m.group(1))
    ):
        before = text[a : tail_start + m.start()].rstrip()
        if _ends_like_sentence(before[-_TERMINAL_LOOKBACK:]):
            nb = a + len(before)
            line.removed.append((nb, b, "credit"))
            line.keep[-1] = (a, nb)
            return
    f = _TRAILING_FURNITURE.search(s)
    if f:
        nb = tail_start + f.start(1) + len(f.group(1))
        line.removed.append((nb, b, "furniture"))
        line.keep[-1] = _trim(text, a, nb)


def _caps_label(text: str, line: _Line) -> str | None:
    """An ALL-CAPS "LABEL: …" line: strip the label before a sentence, else drop the line."""
    a, b = line.keep[0]
    s = text[a : min(b, a + 200)]
    m = _CAPS_LABEL.match(s)
    if not m or len(m.group(1)) < 3:
        return None
    rest = text[a + m.end() : b]
    n = len(rest.split())
    if n > 40:
        return None  # a long paragraph (e.g. a transcript "SPEAKER: ...") stays whole
    if _ends_like_sentence(rest[-_TERMINAL_LOOKBACK:]) and n >= 4:
        na, nb = _trim(text, a + m.end(), b)
        line.removed.append((a, na, "label"))
        line.keep[0] = (na, nb)
        return None
    return "teaser"


# labels of page furniture, never a speaker's name ("UPDATE:", "READ MORE:", "PHOTOS:")
_FURNITURE_LABEL_WORDS = frozenset(
    """update updated updates related watch read more see also photo photos video videos
    listen breaking editor's editors note attn click sign subscribe advertisement source
    sources correction clarification full story live latest recommended follow share image
    caption credit credits trending top news alert opinion analysis exclusive""".split()
)


def _speaker_labels(text: str, lines: Sequence[_Line]) -> frozenset[str]:
    """The ALL-CAPS labels of a transcript ("OBAMA: ...", "LEHRER: ..."): at least two
    speakers, one of them on two lines or more, none a word of page furniture. A dateline
    ("SEOUL: ...") labels one line; these label who is speaking, and stay."""
    counts: Counter[str] = Counter()
    for ln in lines:
        m = _CAPS_LABEL.match(text[ln.start : min(ln.end, ln.start + 200)])
        if m and len(m.group(1)) >= 3:
            counts[m.group(1)] += 1
    words = {k: set(re.findall(r"[a-z']+", k.lower().replace("’", "'"))) for k in counts}
    speakers = {k for k in counts if not words[k] & _FURNITURE_LABEL_WORDS}
    if len(speakers) < 2 or not any(counts[k] >= 2 for k in speakers):
        return frozenset()
    return frozenset(speakers)


def _line_breaks(gap: str) -> int:
    """Line breaks in the gap between two lines; a paragraph separator counts as two."""
    ones = sum(gap.count(c) for c in "\n\r\u2028\x85\x0b\x0c") - gap.count("\r\n")
    return ones + 2 * gap.count("\u2029")


def _join_continued(text: str, lines: list[_Line], continues: list[bool]) -> None:
    """Make one segment of a sentence broken over two kept lines."""
    for i in range(len(lines) - 1):
        ln, nxt = lines[i], lines[i + 1]
        if not (continues[i] and ln.keep and nxt.keep):
            continue
        a, b = ln.keep[-1]
        na, nb = nxt.keep[0]
        if b == ln.end and na == nxt.start and not _ends_like_sentence(text[a:b]):
            nxt.keep[0] = (a, nb)
            ln.keep.pop()


# ------------------------------------------------------------------ lines in context


def _is_related_head(ln: _Line) -> bool:
    return any(rule == "related" for _, _, rule in ln.removed) and not ln.kept


def _related_lists(text: str, lines: list[_Line]) -> None:
    """Drop the list of story links under a related-stories heading ("ALSO:", "Also
    see:"): the run of lines after it that do not end like sentences."""
    for i, ln in enumerate(lines):
        if not _is_related_head(ln):
            continue
        prev = ln
        for j in range(i + 1, len(lines)):
            nxt = lines[j]
            if _line_breaks(text[prev.end : nxt.start]) > 1:
                break  # a blank line: the list is over (or was never there)
            prev = nxt
            if not nxt.kept:
                continue
            s = text[nxt.start : nxt.end]
            if _ends_like_sentence(s) or s.endswith((":", ",")) or len(s.split()) > 20:
                break
            if j + 1 < len(lines) and _starts_lower(text, lines[j + 1].start):
                break  # a paragraph wrapped over lines, not a list of links
            nxt.drop("related")


# a line that points at something shown with it: "See highlights from his show below:",
# "Here is a report on ...:", "Watch the video:"
_POINTS_AT_EMBED = re.compile(
    r"\b(?:below|here|the\s+following)\s*:$|^(?:Watch|See|View|Listen\s+to|Here\s+(?:is|are)|Here['’]s)\b"
)
_SENTENCE_INSIDE = re.compile(r"[.!?][\"'”’)]*\s")


def _embed_lead_ins(text: str, lines: list[_Line]) -> None:
    """Drop a line that only introduces an embed the cleaner removed: one sentence ending
    in ":" that points at it ("See highlights from his show, which included a tribute to
    Prince, below:"), followed by a dropped line or by nothing. A line with a sentence
    before its lead-in, or one whose next line stays, is left whole."""
    for i, ln in enumerate(lines):
        if ln.keep != [(ln.start, ln.end)]:
            continue
        s = text[ln.start : ln.end]
        if not s.endswith(":") or _SENTENCE_INSIDE.search(s) or len(s.split()) > 30:
            continue
        if not _POINTS_AT_EMBED.search(s):
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or not nxt.kept:
            ln.drop("lead_in")


# ------------------------------------------------------------------ tails


def _faq_tail(text: str, lines: list[_Line]) -> None:
    """Drop a generated FAQ / Q&A tail: a "FAQ" or "Q&A" heading and all after it, when
    the article before it is at least as long and a question follows it. An
    interview printed as questions and answers after a one-line introduction is the
    article itself."""
    for i, ln in enumerate(lines):
        if ln.end - ln.start <= 60 and _FAQ_HEAD.match(text[ln.start : ln.end]):
            if i == 0:
                return
            before = sum(x.end - x.start for x in lines[:i] if x.kept)
            after = sum(x.end - x.start for x in lines[i + 1 :] if x.kept)
            if before < after:
                return
            if not any(
                x.kept and text[x.start : x.end].rstrip(_QUOTES_CLOSE).endswith("?")
                for x in lines[i + 1 :]
            ):
                return  # a "Key questions" line before news paragraphs is no FAQ
            for later in lines[i:]:
                later.drop("faq")
            return


def _qa_tail(text: str, lines: list[_Line]) -> None:
    """Drop a trailing run of question lines each followed by one to three answer lines."""
    kept = [ln for ln in lines if ln.kept]
    i = len(kept) - 1
    questions = 0
    block_start = len(kept)
    while i >= 0:
        answers = 0
        while i >= 0 and answers <= 3:
            s = text[kept[i].start : kept[i].end]
            if s.rstrip(_QUOTES_CLOSE).endswith("?"):
                break
            answers += 1
            i -= 1
        if i < 0 or answers == 0 or answers > 3:
            break
        q = text[kept[i].start : kept[i].end]
        if not (_QUESTION.match(q) and len(q.split()) <= 30):
            break
        questions += 1
        block_start = i
        i -= 1
    body = block_start
    if questions >= 2 and body >= 3 and body >= len(kept) - body:
        for ln in kept[block_start:]:
            ln.drop("qa")


# ------------------------------------------------------------------ public API


def find_repeated_lines(texts: Iterable[str], min_texts: int = 3, max_words: int = 5) -> set[str]:
    """Lines (in ``normalize_line`` form) found in at least ``min_texts`` different texts.

    Lines without final punctuation count. Lines that end like a sentence count only when
    they are two words or fewer ("Read more.", "Continue reading."), or ``max_words`` or
    fewer and open like site furniture, with an imperative or a word about the page
    ("Check back for updates.", "This is a developing story.", "Thank you for reading."):
    outlets that republish the same wire copy share whole sentences, short ones too ("He
    was 84.", "No one was injured."), and those are news, not boilerplate. Pass the
    result to ``clean_text(..., common_lines=...)``.
    """
    if min_texts < 2:
        raise InputError("min_texts must be at least 2", field="min_texts")
    counts: dict[str, int] = {}
    for t in texts:
        seen: set[str] = set()
        found = [m for m in _LINE.finditer(t) if m.group(0).strip()]
        for i, m in enumerate(found):
            raw = m.group(0).strip()
            words = raw.split()
            if _ends_like_sentence(raw) and len(words) > 2:
                bare = [w.strip("\"'“‘(.,!?”’)").lower() for w in words]
                furniture = bare[0] in _FURNITURE_OPENERS or bool(_PAGE_PHRASE.search(raw))
                if len(words) > max_words or not furniture:
                    continue
            if _wrapped(t, found, i):
                continue  # a piece of a hard-wrapped sentence is news, not furniture
            key = normalize_line(raw)
            if key and key not in seen:
                seen.add(key)
                counts[key] = counts.get(key, 0) + 1
    return {k for k, c in counts.items() if c >= min_texts}


def _wrapped(text: str, found: Sequence[re.Match[str]], i: int) -> bool:
    """Whether line ``i`` is part of a sentence wrapped over lines: it runs on into a next
    line that starts in lower case, or it starts in lower case after a line that does not
    end like a sentence, with a single line break between them."""

    def joined(a: re.Match[str], b: re.Match[str]) -> bool:
        head = b.group(0).lstrip()
        return (
            bool(head)
            and _starts_lower(head, 0)
            and _line_breaks(text[a.end() : b.start()]) == 1
            and not _ends_like_sentence(a.group(0).rstrip())
        )

    return (i + 1 < len(found) and joined(found[i], found[i + 1])) or (
        i > 0 and joined(found[i - 1], found[i])
    )


def lines_outside(text: str, spans: Iterable[Sequence[int]]) -> set[str]:
    """The lines of ``text`` (in ``normalize_line`` form) that none of ``spans`` touches.

    ``spans`` are sentence offsets into ``text`` from an earlier cleaning; the lines it
    dropped are among these (with the lines the article's own rules drop anyway), so
    passing them as ``common_lines`` repeats a cleaning that depended on other articles.
    """
    ranges = sorted((int(a), int(b)) for a, b in spans)
    out: set[str] = set()
    j = 0
    for m in _LINE.finditer(text):
        while j < len(ranges) and ranges[j][1] <= m.start():
            j += 1
        if j < len(ranges) and ranges[j][0] < m.end():
            continue  # a sentence lies (partly) on this line
        key = normalize_line(m.group(0))
        if key:
            out.add(key)
    return out


def clean_text(
    article_id: str,
    text: str,
    common_lines: set[str] | frozenset[str] | None = None,
    title: str | None = None,
) -> CleanText:
    """Keep the article's own text; see the module docstring for the rules.

    ``common_lines``: normalised lines to drop wherever they appear (boilerplate repeated
    across outlets, from ``find_repeated_lines``); ``title``: the known headline, dropped
    where a line near the top repeats it. Returns an empty ``CleanText`` when nothing is
    left (the caller decides whether that is an error).
    """
    if not isinstance(text, str):
        raise InputError(f"text must be a string, not {type(text).__name__}", field="text")
    lines: list[_Line] = []
    for m in _LINE.finditer(text):
        a, b = _trim(text, m.start(), m.end())
        if a < b:
            lines.append(_Line(a, b, keep=[(a, b)]))

    base: dict[int, str | None] = {}  # line index -> _whole_line_rule, computed once

    def rule_of(j: int) -> str | None:
        if j not in base:
            base[j] = _whole_line_rule(text[lines[j].start : lines[j].end])
        return base[j]

    ran_on: dict[int, bool] = {}

    def continues(i: int) -> bool:
        """Line ``i`` runs on into the next: one line break, then lower-case article text.

        The next line may itself have a heading's shape when it runs on in turn (a
        paragraph hard-wrapped over three or more short lines). Computed along the chain
        without recursion, once per line.
        """
        chain: list[int] = []
        j = i
        while True:
            if j in ran_on:
                result = ran_on[j]
                break
            if not (
                j + 1 < len(lines)
                and _starts_lower(text, lines[j + 1].start)
                and _line_breaks(text[lines[j].end : lines[j + 1].start]) == 1
            ):
                result = False
                break
            nxt = rule_of(j + 1)
            if nxt is None or nxt not in _SHAPE_RULES:
                result = nxt is None
                break
            chain.append(j)
            j += 1
        for k in (*chain, j):
            ran_on[k] = result
        return result

    title_key = normalize_line(title) if title else ""
    speakers = _speaker_labels(text, lines)
    seen: set[str] = set()
    first_content = True
    in_script = False
    for i, ln in enumerate(lines):
        s = text[ln.start : ln.end]
        if in_script:
            ln.drop("markup")
            if re.search(r"(?i)</(?:script|style|noscript)>", s):
                in_script = False
            continue
        so = _SCRIPT_OPEN.search(s[:200])
        if so and not re.search(rf"(?i)</{so.group(1)}>", s):
            in_script = True
            ln.drop("markup")
            continue
        key = normalize_line(s) if len(s) <= 2000 else s
        if common_lines and key in common_lines:
            ln.drop("common")
            continue
        if title_key and key == title_key and first_content:
            ln.drop("title")
            continue
        if key in seen and not (
            # the tail of a hard-wrapped sentence ("said on Tuesday in a statement.") may
            # repeat an earlier tail; it is that sentence's text, not a repeated line
            i > 0
            and _starts_lower(s, 0)
            and _line_breaks(text[lines[i - 1].end : ln.start]) == 1
            and not _ends_like_sentence(text[lines[i - 1].start : lines[i - 1].end])
        ):
            ln.drop("duplicate")
            continue
        seen.add(key)
        rule = rule_of(i)
        if rule in _SHAPE_RULES and continues(i):
            rule = None
        elif rule is None and first_content and _is_title(s) and not continues(i):
            rule = "title"
        label = _CAPS_LABEL.match(s[:200])
        if rule is None and label and label.group(1) not in speakers:
            rule = _caps_label(text, ln)
        if rule is not None:
            ln.drop(rule)
            continue
        first_content = False
        _strip_widget(text, ln)
        if not (label and label.group(1) in speakers):
            _strip_prefix(text, ln)  # "OBAMA: ..." in a transcript is no dateline
        _strip_inline_datelines(text, ln)
        _strip_trailing(text, ln)
        # what is left of a line after a prefix/suffix cut may itself be furniture
        if ln.keep and len(ln.keep) == 1:
            a, b = ln.keep[0]
            if (a, b) != (ln.start, ln.end):
                rest_rule = _whole_line_rule(text[a:b])
                if rest_rule in _REST_RULES:
                    ln.removed.append((a, b, rest_rule))
                    ln.keep = []

    _related_lists(text, lines)
    _embed_lead_ins(text, lines)
    _faq_tail(text, lines)
    _qa_tail(text, lines)
    _join_continued(text, lines, [bool(ln.keep) and continues(i) for i, ln in enumerate(lines)])

    segments: list[Segment] = []
    parts: list[str] = []
    removed: list[tuple[int, int, str]] = []
    pos = 0
    for ln in lines:
        for ra, rb, rule in ln.removed:
            ra, rb = _trim(text, ra, rb)
            if ra < rb:
                removed.append((ra, rb, rule))
        for a, b in ln.keep:
            a, b = _trim(text, a, b)
            if a >= b:
                continue
            if parts:
                pos += 1  # the joining newline
            segments.append(Segment(clean_start=pos, orig_start=a, length=b - a))
            parts.append(text[a:b])
            pos += b - a
    removed.sort()
    return CleanText(
        article_id=article_id,
        text="\n".join(parts),
        segments=tuple(segments),
        removed=tuple(removed),
    )
