"""Collapsing sentences that several articles repeat into ``SentenceGroup`` records.

Three levels, from the surest to the loosest:

1. **exact**: the same text after normalisation (case, punctuation, quotes, whitespace);
2. **near**: almost the same words: a word changed (``fuzz.ratio`` of the normalised
   texts at least ``near_threshold``), or one sentence is the other trimmed (a shortened
   quote: ``fuzz.partial_ratio`` at least ``near_threshold`` with the shorter text at
   least half as long and ``MIN_CONTAINED_WORDS`` long);
3. **paraphrase**: the same fact in other words: embedding cosine at least
   ``paraphrase_threshold``.

Near and paraphrase links must also pass a lexical guard (``facts_conflict``): two
sentences that each carry a number, or a name, that the other lacks state different facts
("killed 12" / "killed 15"; "met Lavrov" / "met Putin") and never merge; nor do a negated
and a plain statement. One sentence may simply say less than the other (a trimmed quote).

Sentences of one article merge only when they are exact repeats (a caption or pull-quote
printed twice): an article that restates its own lead later usually adds detail, and a
group is meant to count how many *sources* say something. A group therefore holds at most
one distinct sentence per article.

Grouping is agglomerative with a complete-linkage check against chaining: links are taken
strongest first (near before paraphrase, then by similarity) and two groups merge only if
*every* cross pair is linked (near, or cosine at least ``paraphrase_threshold -
chain_slack``) and passes the guard, so A~B and B~C do not pull in C when A and C differ.

The representative of a group is its most central and most complete member: the score is
the mean cosine to the other members plus the share of the group's content words the
member contains (ties: the earliest). Centrality picks the wording most outlets share;
completeness prefers the untrimmed version of a quote.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np
from rapidfuzz import fuzz, process

from summarizer.errors import InputError
from summarizer.types import DedupStats, Sentence, SentenceGroup

DEFAULT_PARAPHRASE_THRESHOLD = 0.78
DEFAULT_NEAR_THRESHOLD = 90.0
DEFAULT_CHAIN_SLACK = 0.10
CONTAINMENT_MIN_COSINE = 0.6  # pairs checked for a trimmed quote (partial_ratio is costly)
MIN_CONTAINED_WORDS = 5  # content words of the shorter sentence, for a containment link
MIN_CONTAINED_SHARE = 0.5  # trimmed quote: the shorter text is at least this share long
CONTAINMENT_SHARE = 0.85  # or: this share of its content words appear in the longer one
FUZZY_WORD_RATIO = 85.0
QUOTE_MIN_WORDS = 5  # this many words of a quotation, repeated word for word, link two sentences

NEGATIONS = frozenset(
    "not no never neither nor none nobody nothing nowhere cannot n't without".split()
)
# words that say an act did not happen, for grouping only ("failed to arrest the suspect" is
# not "arrested the suspect"); the citer reads negation with its own rules
_FAILED = frozenset("failed fail fails unable".split())
# Capitalised words that are not names (sentence openers, titles, calendar words).
NOT_NAMES = frozenset(
    """
    a an the this that these those he she it they we i you his her its their our my your
    him them us me who which what when where why how there here then than so if and or but
    for yet as at by in into of on to from with about after before during while since
    until over under between among through is are was were be been has have had do does
    did will would should can could may might must not no all any some many more most
    each every both either neither other such only also just even still now later today
    tonight yesterday tomorrow last next first one two three said says say told according
    however meanwhile although though because despite instead mr mrs ms dr gov sen rep
    president vice minister ministers secretary chairman leader chief official officials
    spokesman spokeswoman spokesperson prime foreign deputy general state senior former
    acting monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec
    """.split()
)
SCALE_WORDS = {
    "thousand": "e3", "million": "e6", "mn": "e6", "billion": "e9", "bn": "e9",
    "trillion": "e12", "tn": "e12",
}  # fmt: skip
# after an amount of money only: "$5m" is five million, "100m" may be metres
MONEY_SCALES = {"k": "e3", "m": "e6", "b": "e9"}
# Words for opposite outcomes of one event, in pairs of classes: a sentence that uses one
# class and not the other states another fact than one that uses only the other ("shares
# rose" / "shares fell"; "Spain beat Italy" / "Spain lost to Italy"; "North Korea" /
# "South Korea"), when the two words also share a neighbouring word (the thing that rose or
# fell: ``opposite_words``). Comparatives ("more" / "less", "higher" / "lower") are not
# listed: "A raised less than B" is "B raised more than A", which the citer's role check
# tells apart. Nor are "declined" and "refused", which mostly decline to comment. The same
# fact told from the other side ("Italy lost to Spain" / "Spain beat Italy") is kept apart
# too: that costs a merge, or a correct sentence refused, never a wrong fact served.
OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(up.split()), frozenset(down.split()))
    for up, down in (
        (
            "rose rise rises rising risen increased increase increases increasing gained "
            "gains jumped jumps surged surges soared soars climbed climbs grew grows",
            "fell fall falls falling fallen decreased decrease decreases decreasing lost "
            "dropped drops plunged plunges slumped slumps tumbled tumbles sank sinks shrank "
            "shrinks",
        ),
        ("won win wins winning beat beats defeated defeats", "lost lose loses losing"),
        ("approved approve approves approving", "rejected reject rejects rejecting vetoed"),
        ("passed", "rejected vetoed failed"),
        (
            "confirmed confirm confirms confirming admitted admit admits admitting",
            "denied deny denies denying",
        ),
        ("accepted accept accepts", "rejected reject rejects"),
        ("acquitted acquit acquits", "convicted convict convicts"),
        ("upheld uphold upholds", "overturned overturn overturns"),
        ("allowed allow allows", "banned ban bans barred blocked"),
        ("raised raise raises hiked", "lowered lowers cut cuts slashed"),
        ("north northern", "south southern"),
        ("east eastern", "west western"),
    )
)
# Verb stems whose subject and object cannot swap without changing the fact: "Spain beat
# Italy" is not "Italy beat Spain" (meeting or talking is symmetric and not listed).
DIRECTED = (
    "beat", "defeat", "accus", "criticiz", "criticis", "blam", "sued", "attack", "invad",
    "visit", "host", "invit", "thank", "urg", "warn", "replac", "succeed", "overtook",
    "overtak", "outpac", "endors", "prais", "condemn", "arrest", "kill", "acquir", "bought",
    "sold", "paid", "hired", "fired", "elected", "interview", "telephon", "called",
    "lost", "lose",
)  # fmt: skip


_CONTEXT_SKIP = frozenset(
    "a an the to of in on at by for and or its his her their was were is are be been has "
    "have had will would that this after before".split()
)
CONTEXT_REACH = 6  # words on each side of an opposite word that say what it is about


def _contexts(seq: Sequence[str], cls: frozenset[str]) -> set[str] | None:
    """The words within ``CONTEXT_REACH`` of each word of ``cls`` in ``seq`` (None: none)."""
    hits = [i for i, w in enumerate(seq) if w in cls]
    if not hits:
        return None
    out: set[str] = set()
    for i in hits:
        for w in (*seq[max(0, i - CONTEXT_REACH) : i], *seq[i + 1 : i + 1 + CONTEXT_REACH]):
            if w not in _CONTEXT_SKIP and w not in cls:
                out.add(w)
    return out


def opposite_words(a: Sequence[str], others: Sequence[Sequence[str]]) -> bool:
    """Whether sentence ``a`` (its lower-case words in order) says the opposite of the
    sentences ``others``: for one of ``OPPOSITES``, ``a`` uses one class and not the
    other, none of ``others`` uses that class, and one of them uses the other class next
    to a word ``a`` has next to its own ("shares rose 5%" / "shares fell 5%"; not
    "shares rose" / "the company lost a lawsuit")."""
    for up, down in OPPOSITES:
        a_up, a_down = _contexts(a, up), _contexts(a, down)
        if (a_up is None) == (a_down is None):
            continue  # neither class, or both
        mine, same, opposite = (a_up, up, down) if a_up is not None else (a_down, down, up)
        assert mine is not None
        if any(not same.isdisjoint(o) for o in others):
            continue  # the other side says it too
        for o in others:
            theirs = _contexts(o, opposite)
            if theirs is not None and theirs & mine:
                return True
    return False


_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
# what punctuation says about a number, kept as words by the exact level's normal form:
# "-5C" / "5C", "$5" / "£5", "3%" / "3", "3-1" / "3.1" are different texts
_NUMBER_MARKS = (
    (re.compile(r"(?<![\w.])[-−](?=\d)"), " minus "),
    (re.compile(r"(?<=\d)\.(?=\d)"), "point"),
    (re.compile(r"(?<=\d)-(?=\d)"), "to"),
    (re.compile(r"%"), " percent "),
    (re.compile(r"\$"), " dollar "),
    (re.compile(r"£"), " pound "),
    (re.compile(r"€"), " euro "),
    (re.compile(r"¥"), " yen "),
)
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:-\d+)?|[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+)*")
_YEAR_RANGE = re.compile(r"^((?:19|20)\d\d)-(\d\d)$")
_POSSESSIVE = re.compile(r"'s$")
_ACRONYM = re.compile(r"(?<![^\W\d_])(?:[A-Z]\.){2,}")
_QUOTATION = re.compile(r'"([^"]{8,}?)"')


def _currency_word(m: re.Match[str]) -> str:
    """ "₹" -> " indian rupee sign ": a currency symbol kept as words."""
    return f" {unicodedata.name(m.group(), 'currency').lower()} "


# currency symbols beyond $ £ € ¥ (Unicode category Sc), which punctuation stripping
# would drop: "₹500 crore" is not "₽500 crore"
_OTHER_CURRENCY = re.compile(
    "[" + "".join(
        c for c in map(chr, range(0x20A0, 0x20C1)) if unicodedata.category(c) == "Sc"
    ) + "¢¤฿₠]"
)  # fmt: skip


def normalize_sentence(text: str) -> str:
    """Case-, punctuation- and whitespace-insensitive form used for the exact level; the
    punctuation of a number (sign, decimal point, range, percent, currency) is kept."""
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    t = _OTHER_CURRENCY.sub(_currency_word, t)
    if any(c.isdigit() or c in "$£€¥%" for c in t):
        for rx, word in _NUMBER_MARKS:
            t = rx.sub(word, t)
    t = _NON_WORD.sub(" ", t)
    return _SPACE.sub(" ", t).strip()


@dataclass(frozen=True, slots=True)
class NamePhrase:
    """Adjacent capitalised words ("Kim Jong Un") and the content words around them."""

    tokens: frozenset[str]
    context: frozenset[str]  # up to ``NAME_CONTEXT`` content words on each side


@dataclass(frozen=True, slots=True)
class Facts:
    """What the lexical guard compares: numbers, name phrases, negation."""

    numbers: frozenset[str]
    names: tuple[NamePhrase, ...]
    negated: bool
    seq: tuple[str, ...] = ()  # every word in order, lower case, possessives removed
    # each number with the content words beside it ("killed 12 people": killed, people)
    number_words: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self.seq)

    @property
    def name_tokens(self) -> frozenset[str]:
        return frozenset(t for phrase in self.names for t in phrase.tokens)


NAME_CONTEXT = 2
MONTHS = {
    name: i % 12 + 1
    for i, name in enumerate(
        "january february march april may june july august september october november "
        "december jan feb mar apr may jun jul aug sep oct nov dec".split()
    )
} | {"sept": 9}
NUMBER_WORDS = {
    w: str(i + 3)
    for i, w in enumerate(
        "three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "dozen": "12",
}  # fmt: skip
_TENS = {
    w: 10 * (i + 2)
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_UNITS = {w: i + 1 for i, w in enumerate("one two three four five six seven eight nine".split())}
# "twenty-five" is one number, 25 (spelt with a hyphen, as style books ask)
COMPOUND_NUMBER = re.compile(
    r"\b(" + "|".join(_TENS) + r")-(" + "|".join(_UNITS) + r")\b", re.IGNORECASE
)


def compound_number(tens: str, unit: str) -> str | None:
    """ "twenty", "five" -> "25"; None unless a tens word and a unit word."""
    t, u = _TENS.get(tens.lower()), _UNITS.get(unit.lower())
    return str(t + u) if t is not None and u is not None else None


_PIECE = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)*(?:-\d+)?)"
    r"|(?P<word>[^\W\d_]+(?:'[^\W\d_]+)*(?:-[^\W\d_]+)*)"
    r"|(?P<punct>[^\w\s'])"
)


def _numbers(token: str, prev: str | None, nxt: str | None) -> list[str]:
    """The numbers a token states, in one canonical spelling.

    Digits ("1,000" -> "1000"; "5.4 billion" and "$5.4bn" -> "5.4e9"; "2024-25" -> 2024,
    2025), number words from three up ("one" and "two" are mostly not counts: "the two
    countries"), and days of the month as dates ("Sept. 8" and "September 8" -> "m9-8").
    """
    low = token.lower()
    if not token[0].isdigit():
        return [NUMBER_WORDS[p] for p in low.split("-") if p in NUMBER_WORDS]
    if prev is not None and prev.lower() in MONTHS and len(token) <= 2:
        month = MONTHS[prev.lower()]
        return [f"m{month}-{int(token)}", f"mon:{month}"]
    m = _YEAR_RANGE.match(token)
    if m:  # 2024-25 -> 2024, 2025
        return [m.group(1), m.group(1)[:2] + m.group(2)]
    scale = SCALE_WORDS.get(nxt.lower(), "") if nxt else ""
    return [part.replace(",", "") + scale for part in token.split("-")]


# one and two, read as numbers for grouping where they count ("two people were killed" is
# not "three people were killed"), not after words that make them pronouns ("no one")
_SMALL_NUMBERS = {"one": "1", "two": "2"}
_NOT_COUNTING = frozenset("no any every some the this that each which someone".split())
# amounts without a number: "hundreds of people" is not "thousands of people"
_VAGUE_AMOUNTS = frozenset("dozens scores hundreds thousands millions billions".split())
_ORDINALS = {
    w: f"#{i + 1}"
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth".split()
    )
}
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_FULL_MONTHS = {w: MONTHS[w] for w in list(MONTHS)[:12]}


# a weekday up to five words after one of these dates the report, not the event ("state
# media said Friday" / "said in a statement on Thursday": outlets in other time zones)
_REPORTING = frozenset("said says reported announced told added stated confirmed".split())


def _word_facts(
    tok: str, prev: str | None, nxt: str | None, first: bool, reported: bool = False
) -> list[str]:
    """What a word states as a number or a date, for grouping: one and two, "a million",
    vague amounts ("hundreds"), ordinals ("second"), weekdays and months named alone
    ("on Monday", "in March"; not "may" or a sentence's first "March"). ``reported``: a
    verb of reporting comes just before, so a weekday dates the report."""
    low = tok.lower()
    before = prev.lower() if prev else None
    if low in _SMALL_NUMBERS and before not in _NOT_COUNTING:
        return [_SMALL_NUMBERS[low]]
    if low in SCALE_WORDS and before in ("a", "one"):
        return ["1" + SCALE_WORDS[low]]  # "a million dollars" / "a billion dollars"
    if low in _VAGUE_AMOUNTS and not (prev and (prev[0].isdigit() or before in NUMBER_WORDS)):
        return ["~" + low]
    if low in _ORDINALS:
        return [_ORDINALS[low]]
    if tok[0].isupper() and low in _WEEKDAYS:
        return [] if reported else ["day:" + low]
    if (
        tok[0].isupper()
        and low in _FULL_MONTHS
        and not first
        and not (
            low == "may" and prev and prev[0].isupper()  # "Theresa May"
        )
    ):
        day_follows = nxt is not None and nxt.isdigit() and len(nxt) <= 2
        return [] if day_follows else [f"mon:{_FULL_MONTHS[low]}"]
    return []


_CURRENCY_WORDS = {"dollar": "$", "pound": "£", "euro": "€", "yen": "¥"}
_AFTER_NUMBER = re.compile(
    r"\s*(?:(?:thousand|million|billion|trillion|mn|bn|tn|k|m|b)\b\s*)?"
    r"(%|percent\b|per\s+cent\b|(?:dollar|pound|euro)s?\b|yen\b)",
    re.IGNORECASE,
)


def number_marks(text: str, start: int, end: int) -> tuple[str, str]:
    """``(prefix, suffix)`` marks of the number at ``text[start:end]``: a minus sign and a
    currency ("-5", "$5", "US$5", "5 dollars" -> "$"), and a percent ("5%", "5 percent",
    "5 per cent" -> "%"). "$5 million" and "£5 million" state different amounts, "-5C" is
    not "5C" and "5%" is not "5"."""
    before = text[max(0, start - 5) : start].rstrip()
    cur = before[-1] if before[-1:] in ("$", "£", "€", "¥") else ""
    if cur == "$":  # "C$5", "HK$5", "A$5" are other dollars; "US$5" is "$5"
        prefix = re.search(r"(?<![A-Za-z])([A-Z]{1,3})\$$", before)
        if prefix and prefix.group(1) != "US":
            cur = prefix.group(1) + "$"
    elif before[-1:] and unicodedata.category(before[-1]) == "Sc":
        cur = before[-1]  # "₹500", "₽500"
    sign = ""
    if start > 0 and text[start - 1] in "-−" and (start < 2 or not text[start - 2].isalnum()):
        sign = "-"
    pct = ""
    m = _AFTER_NUMBER.match(text, end)
    if m:
        word = m.group(1).lower()
        if word == "%" or word.startswith("per"):
            pct = "%"
        elif not cur:
            cur = _CURRENCY_WORDS[word.rstrip("s") if word != "yen" else word]
    return sign + cur, pct


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Casing seen in the surrounding texts, to tell names from ordinary words."""

    lower: frozenset[str] = frozenset()  # words seen in lower case
    inner_caps: frozenset[str] = frozenset()  # words seen capitalised after a sentence start

    @classmethod
    def of(cls, texts: Sequence[str]) -> Vocabulary:
        lower: set[str] = set()
        inner: set[str] = set()
        for t in texts:
            for pos, tok in enumerate(_TOKEN.findall(_prep(t))):
                base = _POSSESSIVE.sub("", tok.lower())
                if tok[0].islower():
                    lower.add(base)
                elif pos > 0 and tok[0].isupper():
                    inner.add(base)
        return cls(frozenset(lower), frozenset(inner))


def _prep(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    t = COMPOUND_NUMBER.sub(lambda m: compound_number(m.group(1), m.group(2)) or "", t)
    return _ACRONYM.sub(lambda m: m.group().replace(".", ""), t)  # U.S. -> US


def extract_facts(text: str, vocab: Vocabulary | None = None) -> Facts:
    """Numbers, name phrases and negation of a sentence.

    A name is a capitalised word that is not in ``NOT_NAMES``, not seen in lower case in
    the surrounding texts and not an all-capitals word of six letters or more; a sentence's
    first word must also be seen capitalised inside some sentence. Adjacent names (no
    punctuation between them) form one phrase ("Kim Jong Un").
    """
    vocab = vocab or Vocabulary()
    prepped = _prep(text)
    found = list(_PIECE.finditer(prepped))
    pieces = [(m.lastgroup or "", m.group()) for m in found]
    words = [(k, t) for k, t in pieces if k != "punct"]
    numbers: list[str] = []
    numbered: list[tuple[str, int]] = []  # (number, position in ``words``)
    negated = False
    # Name runs as (first, last) indexes into ``pieces``; punctuation ends a run.
    runs: list[tuple[int, int, set[str]]] = []
    current: tuple[int, set[str]] | None = None
    first_word = True
    word_pos = 0
    for idx, (kind, tok) in enumerate(pieces):
        is_name = False
        if kind != "punct":
            prev = words[word_pos - 1][1] if word_pos > 0 else None
            nxt = words[word_pos + 1][1] if word_pos + 1 < len(words) else None
            if kind == "num":
                cur, pct = number_marks(prepped, found[idx].start(), found[idx].end())
                money = bool(cur) and cur[-1] != "-" and nxt is not None
                scale = MONEY_SCALES.get(nxt.lower(), "") if money and nxt else ""
                found_here = [cur + n + scale + pct for n in _numbers(tok, prev, nxt)]
            else:
                reported = any(
                    w.lower() in _REPORTING for _, w in words[max(0, word_pos - 5) : word_pos]
                )
                found_here = _numbers(tok, prev, nxt) + _word_facts(
                    tok, prev, nxt, first_word, reported
                )
            numbers.extend(found_here)
            numbered.extend((n, word_pos) for n in found_here)
        if kind == "word":
            low = tok.lower()
            if low in NEGATIONS or low in _FAILED or low.endswith("n't"):
                negated = True
            base = _POSSESSIVE.sub("", low)
            is_name = (
                len(tok) > 1
                and tok[0].isupper()
                and base not in NOT_NAMES
                and base not in vocab.lower
                and not (tok.isupper() and len(tok) > 5)
                and (not first_word or base in vocab.inner_caps)
            )
            if is_name:
                if current is None:
                    current = (idx, set())
                parts = _POSSESSIVE.sub("", tok).split("-")
                current[1].update(  # "Jong-un" keeps "un"; "US-led" drops "led"
                    p.lower() for p in parts if p[:1].isupper() or p.lower() not in vocab.lower
                )
            first_word = False
        if kind != "punct":
            word_pos += 1
        if not is_name and current is not None:
            runs.append((current[0], idx - 1, current[1]))
            current = None
    if current is not None:
        runs.append((current[0], len(pieces) - 1, current[1]))

    in_name = {k for first, last, _ in runs for k in range(first, last + 1)}
    # The content words around each name: not punctuation, not common words, not names.
    plain = [
        (k, _POSSESSIVE.sub("", t.lower()))
        for k, (kind, t) in enumerate(pieces)
        if kind != "punct" and k not in in_name and t.lower() not in NOT_NAMES
    ]
    names = tuple(
        NamePhrase(
            frozenset(toks),
            frozenset(
                [w for k, w in plain if k < first][-NAME_CONTEXT:]
                + [w for k, w in plain if k > last][:NAME_CONTEXT]
            ),
        )
        for first, last, toks in runs
    )
    seq = tuple(
        _POSSESSIVE.sub("", t.lower()) if kind == "word" else t
        for kind, t in pieces
        if kind != "punct"
    )

    def beside(pos: int) -> set[str]:
        """The content words within two words of position ``pos``."""
        near = seq[max(0, pos - 2) : pos] + seq[pos + 1 : pos + 3]
        return {w for w in near if w not in NOT_NAMES and not w[0].isdigit() and len(w) > 2}

    number_words: dict[str, set[str]] = {}
    for n, pos in numbered:
        number_words.setdefault(n, set()).update(beside(pos))
    return Facts(
        frozenset(numbers),
        names,
        negated,
        seq,
        tuple((n, frozenset(ws)) for n, ws in number_words.items()),
    )


# what may follow the shared start of two spellings of one name: Sergei / Sergey, Korea /
# Korean, Zelensky / Zelenskiy / Zelenskyy; not Niger / Nigeria, Paul / Paula, Mali / Malawi
_NAME_ENDINGS = frozenset("s n an ns ans ese i y ey ei iy yy ie".split()) | {""}
# words that make another place of a name: "South Sudan" is not "Sudan", "New York" not "York"
_PLACE_MAKERS = frozenset(
    "north south east west northern southern eastern western upper lower new".split()
)


def _variant(a: str, b: str) -> bool:
    """Two spellings of one name: the same start and an inflection or a transliteration's
    ending after it, or (Qaeda / Qaida) one letter changed inside a word of the same length
    and start. Iceland / Ireland, Austria / Australia and Gambia / Zambia are not."""
    if len(a) < 4 or len(b) < 4:
        return False
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    if k >= 4 and a[k:] in _NAME_ENDINGS and b[k:] in _NAME_ENDINGS:
        return True
    return (
        len(a) == len(b) and a[:2] == b[:2] and sum(x != y for x, y in zip(a, b, strict=True)) == 1
    )


def _token_match(tok: str, others: frozenset[str]) -> bool:
    return tok in others or any(_variant(tok, o) for o in others)


def _same_name(p: frozenset[str], q: frozenset[str]) -> bool:
    """One phrase is a short form of the other ("Kim" / "Kim Jong Un"; not Jane / John Doe,
    nor Sudan / South Sudan)."""
    if (p ^ q) and (p ^ q) <= _PLACE_MAKERS:
        return False  # "South Sudan" / "Sudan"; not "North Korea's Kim" / "Kim"
    return all(_token_match(t, q) for t in p) or all(_token_match(t, p) for t in q)


_PASSIVE = frozenset("was were is are been being be".split())


def _roles(f: Facts, verb: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(doer, done-to): the name phrases nearest before and after the first ``verb`` of
    ``f``, swapped in the passive ("Italy were beaten by Spain")."""
    names = f.name_tokens
    at = next((i for i, w in enumerate(f.seq) if w == verb), None)
    if at is None:
        return None
    left = next((w for w in reversed(f.seq[:at]) if w in names), None)
    right = next((w for w in f.seq[at + 1 :] if w in names), None)
    if left is None or right is None:
        return None

    def phrase(word: str) -> frozenset[str]:
        return next(p.tokens for p in f.names if word in p.tokens)

    doer, done_to = phrase(left), phrase(right)
    if doer == done_to:
        return None
    passive = at > 0 and f.seq[at - 1] in _PASSIVE and verb.endswith(("ed", "en", "wn"))
    return (done_to, doer) if passive else (doer, done_to)


def _swapped(a: Facts, b: Facts) -> bool:
    """The same two names on either side of the same directed verb, in the other order
    ("Spain beat Italy" / "Italy beat Spain"); "Zelensky said Russia attacked Kyiv" and
    "Russia attacked Kyiv, Zelensky said" keep their roles."""
    if len(a.names) < 2 or len(b.names) < 2:
        return False
    for verb in a.words & b.words:
        if not verb.startswith(DIRECTED):
            continue
        ra, rb = _roles(a, verb), _roles(b, verb)
        if (
            ra is not None
            and rb is not None
            and _same_name(ra[0], rb[1])
            and _same_name(ra[1], rb[0])
            and not _same_name(ra[0], rb[0])
        ):
            return True
    return False


# Kinds of number-like facts, each compared only with its own kind: "on Monday" is no
# other fact than "on March 3", "hundreds" none other than "more than 300", "first
# approved in 2020" none other than "approved in December 2020" ("" is every plain number
# and date)
_FACT_KINDS = ("", "day:", "mon:", "~", "#")


def _of_kind(numbers: frozenset[str], kind: str) -> frozenset[str]:
    if kind:
        return frozenset(n for n in numbers if n.startswith(kind))
    return frozenset(n for n in numbers if not n.startswith(_FACT_KINDS[1:]))


def _numbers_swapped(a: Facts, b: Facts) -> bool:
    """The same numbers beside other words: "killed 12 and injured 30" / "killed 30 and
    injured 12" (not "12 people were killed and 30 hurt" / "30 were hurt and 12 people
    killed", where each number keeps a word)."""
    shared = _of_kind(a.numbers, "") & _of_kind(b.numbers, "")
    if len(shared) < 2:
        return False
    wa, wb = dict(a.number_words), dict(b.number_words)
    empty: frozenset[str] = frozenset()
    for n in shared:
        for m in shared - {n}:
            # each number keeps none of its words and takes the other's, both ways
            if (
                not wa.get(n, empty) & wb.get(n, empty)
                and not wa.get(m, empty) & wb.get(m, empty)
                and wa.get(n, empty) & wb.get(m, empty)
                and wa.get(m, empty) & wb.get(n, empty)
            ):
                return True
    return False


def facts_conflict(a: Facts, b: Facts) -> str | None:
    """Why two sentences state different facts, or None when they may say the same.

    * negation: one is negated, the other not;
    * numbers: each has a number the other lacks ("killed 12" / "killed 15"; for this,
      "two", "a million", "hundreds", "second", "Monday" and "in March" are numbers too), or
      the same numbers stand beside other words ("killed 12 and injured 30" / "killed 30
      and injured 12");
    * names: a name found only in one sentence stands where a name found only in the
      other stands (they share a neighbouring content word: "met Lavrov" / "met Putin");
    * opposites: one says "rose", "won", "approved" or "North" where the other says only
      "fell", "lost", "rejected" or "South" (``OPPOSITES``);
    * roles: the same two names swap places around a directed verb ("Spain beat Italy" /
      "Italy beat Spain").
    A sentence that merely says less (a trimmed quote, a dropped clause) does not conflict.
    """
    if a.negated != b.negated:
        return "negation"
    for kind in _FACT_KINDS:
        mine, theirs = _of_kind(a.numbers, kind), _of_kind(b.numbers, kind)
        if (mine - theirs) and (theirs - mine):
            return "numbers"
    if _numbers_swapped(a, b):
        return "numbers"
    if opposite_words(a.seq, [b.seq]):
        return "opposites"
    if _swapped(a, b):
        return "roles"
    a_alone = [p for p in a.names if not any(_same_name(p.tokens, q.tokens) for q in b.names)]
    b_alone = [q for q in b.names if not any(_same_name(q.tokens, p.tokens) for p in a.names)]
    for pa in a_alone:
        for pb in b_alone:
            if pa.context & pb.context:
                return "names"
    return None


# ---------------------------------------------------------------------- grouping


def _content_words(norm: str) -> frozenset[str]:
    return frozenset(w for w in norm.split() if w not in NOT_NAMES and len(w) > 2)


def _quotations(text: str) -> tuple[str, ...]:
    """Normalised quotations of ``QUOTE_MIN_WORDS`` words or more."""
    out = []
    for m in _QUOTATION.finditer(_prep(text)):
        q = normalize_sentence(m.group(1))
        if len(q.split()) >= QUOTE_MIN_WORDS:
            out.append(q)
    return tuple(out)


def _word_in(word: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    # Inflections and spelling variants: convenience / convenient, Sergei / Sergey.
    return len(word) >= 5 and any(
        len(w) >= 5 and fuzz.ratio(word, w) >= FUZZY_WORD_RATIO for w in words
    )


def _contained(short: frozenset[str], long_: frozenset[str]) -> float:
    """Share of ``short``'s content words found in ``long_``."""
    if not short:
        return 0.0
    return sum(_word_in(w, long_) for w in short) / len(short)


@dataclass(frozen=True, slots=True)
class _Rules:
    paraphrase_threshold: float
    near_threshold: float
    chain_slack: float


class _Judge:
    """Pairwise decisions over one batch of sentences (texts, facts, cosines, ratios).

    Copies of one text (syndicated wire copy repeats whole sentences) are judged once:
    the per-text data (normal form, facts, words, quotations, cosines, ratios) is kept
    per distinct text, its *slot*, and a sentence index maps to its slot. Copies are
    grouped together at the exact level before any pair is judged, and a group never
    takes two sentences of one article, so one pair of texts decides for all their copies.
    """

    def __init__(self, sentences: Sequence[Sentence], vecs: np.ndarray, rules: _Rules) -> None:
        self.rules = rules
        first: dict[str, int] = {}
        self.reps: list[int] = []  # the first sentence of each distinct text
        self.slot: list[int] = []
        for i, sent in enumerate(sentences):
            k = first.setdefault(sent.text, len(self.reps))
            if k == len(self.reps):
                self.reps.append(i)
            self.slot.append(k)
        texts = [sentences[i].text for i in self.reps]
        self.norms = [normalize_sentence(t) for t in texts]
        vocab = Vocabulary.of([x.text for x in sentences])
        self.facts = [extract_facts(t, vocab) for t in texts]
        self.articles = [x.article_id for x in sentences]
        self.words = [_content_words(n) for n in self.norms]
        self.quotes = [_quotations(t) for t in texts]
        rep_vecs = vecs[self.reps]
        self.cos = rep_vecs @ rep_vecs.T
        self.ratio = process.cdist(
            self.norms, self.norms, scorer=fuzz.ratio, dtype=np.float32, workers=1
        )

    def norm(self, i: int) -> str:
        return self.norms[self.slot[i]]

    def exact(self, i: int, j: int) -> bool:
        a, b = self.slot[i], self.slot[j]
        return bool(self.norms[a]) and self.norms[a] == self.norms[b]

    def near(self, i: int, j: int) -> bool:
        """A word changed, or one text is the other trimmed (facts not checked here)."""
        a, b = self.slot[i], self.slot[j]
        thr = self.rules.near_threshold
        if self.ratio[a, b] >= thr:
            return True
        if self.cos[a, b] < CONTAINMENT_MIN_COSINE:
            return False
        (short, s_words), (long_, l_words) = sorted(
            ((self.norms[a], self.words[a]), (self.norms[b], self.words[b])),
            key=lambda x: len(x[0]),
        )
        if self._shares_quote(a, b) or self._shares_quote(b, a):
            return True
        if len(s_words) < MIN_CONTAINED_WORDS:
            return False
        if (
            len(short) >= MIN_CONTAINED_SHARE * len(long_)
            and fuzz.partial_ratio(short, long_) >= thr
        ):
            return True
        return _contained(s_words, l_words) >= CONTAINMENT_SHARE

    def _shares_quote(self, a: int, b: int) -> bool:
        """Does text b repeat word for word a long stretch of a quotation of text a (slots)?"""
        if not self.quotes[a]:
            return False
        other = self.norms[b].split()
        for q in self.quotes[a]:
            qw = q.split()
            m = SequenceMatcher(None, qw, other, autojunk=False).find_longest_match(
                0, len(qw), 0, len(other)
            )
            span = qw[m.a : m.a + m.size]
            if m.size >= QUOTE_MIN_WORDS and len(_content_words(" ".join(span))) >= 3:
                return True
        return False

    def level(self, i: int, j: int) -> str | None:
        """ "exact", "near", "paraphrase" or None for the pair (i, j)."""
        if self.exact(i, j):
            return "exact"
        if self.articles[i] == self.articles[j]:
            return None
        if facts_conflict(self.facts[self.slot[i]], self.facts[self.slot[j]]) is not None:
            return None
        if self.near(i, j):
            return "near"
        if self.cos[self.slot[i], self.slot[j]] >= self.rules.paraphrase_threshold:
            return "paraphrase"
        return None

    def compatible(self, i: int, j: int) -> bool:
        """May i and j sit in one group (the complete-linkage check)?"""
        if self.exact(i, j):
            return True
        if self.articles[i] == self.articles[j]:
            return False
        if facts_conflict(self.facts[self.slot[i]], self.facts[self.slot[j]]) is not None:
            return False
        floor = self.rules.paraphrase_threshold - self.rules.chain_slack
        return bool(self.cos[self.slot[i], self.slot[j]] >= floor) or self.near(i, j)

    def candidate_links(self) -> list[tuple[int, float, int, int]]:
        """(level rank, -similarity, i, j) for every near or paraphrase pair, strongest first.

        One pair per two distinct texts, between their first sentences.
        """
        n = len(self.reps)
        art_ids = {a: k for k, a in enumerate(dict.fromkeys(self.articles))}
        art = np.array([art_ids[self.articles[r]] for r in self.reps])
        floor = min(CONTAINMENT_MIN_COSINE, self.rules.paraphrase_threshold)
        mask = (self.cos >= floor) | (self.ratio >= self.rules.near_threshold)
        mask &= art[:, None] != art[None, :]
        has_words = np.array([bool(w) for w in self.words])
        mask &= has_words[:, None] & has_words[None, :]
        mask &= np.triu(np.ones((n, n), dtype=bool), k=1)
        links: list[tuple[int, float, int, int]] = []
        for a, b in zip(*(x.tolist() for x in np.nonzero(mask)), strict=True):
            i, j = self.reps[a], self.reps[b]
            level = self.level(i, j)
            if level == "near":
                links.append((0, -float(max(self.ratio[a, b], 100 * self.cos[a, b])), i, j))
            elif level == "paraphrase":
                links.append((1, -float(self.cos[a, b]), i, j))
        links.sort()
        return links


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        self.parent[drop] = keep
        self.members[keep] = sorted(self.members[keep] + self.members.pop(drop))
        return keep


def _check_inputs(sentences: Sequence[Sentence], vectors: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vectors, dtype=np.float32)
    if vecs.ndim != 2 or vecs.shape[0] != len(sentences):
        raise InputError(
            f"vectors must have one row per sentence: {len(sentences)} sentences, "
            f"vectors of shape {vecs.shape}"
        )
    if not np.all(np.isfinite(vecs)):
        raise InputError("vectors contain NaN or infinite values")
    seen: set[tuple[str, int]] = set()
    for s in sentences:
        if s.key in seen:
            raise InputError(f"sentence {s.key} (article, index) appears twice")
        seen.add(s.key)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    out: np.ndarray = vecs / np.maximum(norms, 1e-12)
    return out


def _rules(paraphrase_threshold: float, near_threshold: float, chain_slack: float) -> _Rules:
    if not 0.0 < paraphrase_threshold <= 1.0:
        raise InputError(f"paraphrase_threshold must lie in (0, 1], not {paraphrase_threshold}")
    if not 0.0 < near_threshold <= 100.0:
        raise InputError(f"near_threshold must lie in (0, 100], not {near_threshold}")
    if not 0.0 <= chain_slack < paraphrase_threshold:
        raise InputError(f"chain_slack must lie in [0, paraphrase_threshold), not {chain_slack}")
    return _Rules(paraphrase_threshold, near_threshold, chain_slack)


def dedup_sentences(
    sentences: Sequence[Sentence],
    vectors: np.ndarray,
    *,
    paraphrase_threshold: float = DEFAULT_PARAPHRASE_THRESHOLD,
    near_threshold: float = DEFAULT_NEAR_THRESHOLD,
    chain_slack: float = DEFAULT_CHAIN_SLACK,
) -> tuple[list[SentenceGroup], DedupStats]:
    """Group the sentences that say the same thing; ``vectors[i]`` embeds ``sentences[i]``.

    Every sentence ends up in exactly one group (most in a group of one). Groups are
    numbered in the order of their first member in ``sentences``; members keep that order.
    """
    rules = _rules(paraphrase_threshold, near_threshold, chain_slack)
    vecs = _check_inputs(sentences, vectors)
    n = len(sentences)
    if n == 0:
        return [], DedupStats(0, 0)
    judge = _Judge(sentences, vecs, rules)
    uf = _UnionFind(n)

    # Level 1: exact repeats (within one article too).
    first_of: dict[str, int] = {}
    for i in range(n):
        key = judge.norm(i)
        if key:
            uf.union(first_of.setdefault(key, i), i)

    # Levels 2 and 3, strongest link first, with the complete-linkage check.
    for _, _, i, j in judge.candidate_links():
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj:
            continue
        gi, gj = uf.members[ri], uf.members[rj]
        if {judge.articles[k] for k in gi} & {judge.articles[k] for k in gj}:
            continue  # one distinct sentence per article
        # copies of one text decide alike: one sentence per distinct text on each side
        ti = list({judge.slot[k]: k for k in gi}.values())
        tj = list({judge.slot[k]: k for k in gj}.values())
        if all(judge.compatible(a, b) for a in ti for b in tj):
            uf.union(ri, rj)

    groups: list[SentenceGroup] = []
    roots = sorted({uf.find(i) for i in range(n)}, key=lambda r: uf.members[r][0])
    for gid, root in enumerate(roots):
        idx = uf.members[root]
        groups.append(
            SentenceGroup(
                id=gid,
                representative=sentences[_representative(idx, judge)],
                members=tuple(sentences[k] for k in idx),
            )
        )
    return groups, DedupStats(sentences_in=n, groups=len(groups))


def _representative(idx: Sequence[int], judge: _Judge) -> int:
    """The member that best states what the group agrees on (see the module docstring)."""
    if len(idx) == 1:
        return idx[0]
    words = [judge.words[judge.slot[k]] for k in idx]
    counts: dict[str, int] = {}
    for ws in words:
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    shared = {w for w, c in counts.items() if c > 1}
    # copies share a slot: the mean cosine to the other members is worked out per distinct
    # text (slot counts times the slots' cosines), not per pair of members
    slots = [judge.slot[k] for k in idx]
    distinct, where, count = np.unique(slots, return_inverse=True, return_counts=True)
    sub = judge.cos[np.ix_(distinct, distinct)].astype(np.float64)
    mean_to_others = (sub @ count - np.diag(sub)) / (len(idx) - 1)
    best, best_key = idx[0], (-np.inf, 0)
    seen: set[int] = set()
    for pos, k in enumerate(idx):
        u = int(where[pos])
        if u in seen:
            continue  # a later copy ties with the first and loses to it
        seen.add(u)
        coverage = len(words[pos] & shared) / len(shared) if shared else 0.0
        extra = len(words[pos] - shared)
        key = (round(float(mean_to_others[u]) + coverage, 6), -extra)
        if key > best_key:
            best, best_key = k, key
    return best


def pair_level(
    a: Sentence,
    b: Sentence,
    vectors: np.ndarray,
    *,
    paraphrase_threshold: float = DEFAULT_PARAPHRASE_THRESHOLD,
    near_threshold: float = DEFAULT_NEAR_THRESHOLD,
    context: Sequence[str] = (),
) -> str | None:
    """The level at which two sentences link ("exact", "near", "paraphrase"), or None.

    ``vectors``: their two embedding rows; ``context``: other texts whose casing tells
    names from ordinary words. For inspection and tests: ``dedup_sentences`` applies the
    same rules to every pair.
    """
    rules = _rules(paraphrase_threshold, near_threshold, DEFAULT_CHAIN_SLACK)
    vecs = _check_inputs([a, b], vectors)
    judge = _Judge([a, b], vecs, rules)
    if context:
        vocab = Vocabulary.of([a.text, b.text, *context])
        judge.facts = [extract_facts(a.text, vocab), extract_facts(b.text, vocab)]
    return judge.level(0, 1)
