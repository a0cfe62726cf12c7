"""Step 7: align every draft sentence with the evidence sentences that support it.

A draft is scored against every member sentence of every evidence group: embedding
cosine plus the lexical overlap of names, numbers and content words; the evidence numbers
the model wrote are a small bonus, not the truth. Embeddings do not tell a right fact
from a wrong one, so the cited sentences must also pass hard checks:

* every number in the draft appears in them (``1,000`` = ``1000``, ``two`` = ``2``);
* every capitalised name in the draft (past its first word) appears in them;
* no negation mismatch (``not``/``never``/``denied`` on one side only);
* no reversal: a comparison (``A raised more than B``) or a directed action
  (``A visited B``) whose two sides are swapped, or a ``more``/``less`` flip.

A sentence whose only support is somebody's quoted words (inside quotation marks in
every cited article, the speaker named in none of the cited sentences) is not served as
fact unless it keeps the quotation marks or names who says so: a brief must not turn a
quoted opinion into the brief's own voice. The same holds for a sentence that copies only
the quoted words of a sentence that names its speaker. Single quotation marks count when
a sentence opens with one, or sits inside a quotation opened earlier in its paragraph:
with a left single quote (``‘``), or with a straight one at a word's start before a
capital, which any later straight quote that ends a word closes (a straight single quote
is an apostrophe as often as not). Nor is a sentence served that says "I" or "we"
outside quotation marks (a columnist's aside, "our correspondent says"): that is the
writer's voice, not the brief's.

A sentence that merges two facts may be supported by two or three groups together, when
their union passes the checks. Each supported sentence cites every member of its
supporting groups, plus every other group that supports it alone; ``quote`` is the exact
slice ``article.text[start:end]``.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from summarizer.dedup import (
    COMPOUND_NUMBER,
    DIRECTED,
    MONEY_SCALES,
    SCALE_WORDS,
    compound_number,
    number_marks,
    opposite_words,
)
from summarizer.errors import InputError
from summarizer.types import (
    Article,
    BriefSentence,
    Citation,
    Draft,
    Evidence,
    Sentence,
    fold_accents,
)

log = logging.getLogger(__name__)

W_COSINE = 0.6
W_FACTS = 0.15
W_CONTENT = 0.25
HINT_BONUS = 0.05
FAIL_FACTOR = 0.5  # support of a sentence failing a hard check is multiplied by this
POOL = 6  # groups considered for combinations
MAX_COMBINATION = 3
COMBINATION_FLOOR = 0.6  # a group joins a combination only above floor * threshold

# ---------------------------------------------------------------- lexical features

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")
_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20",
    # ordinals from third up ("first" and "second" are mostly not ranks: "the first time");
    # read as the number, since they are as often fractions ("a third of voters" is "one in
    # three"); as evidence they also support the rank in digits ("3rd", ``_all_numbers``)
    "third": "3", "fourth": "4", "fifth": "5", "sixth": "6", "seventh": "7", "eighth": "8",
    "ninth": "9", "tenth": "10", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
    "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
}  # fmt: skip
_STOP = frozenset(
    """a an the and or but so nor if then than as at by for from in into of on onto to with
    without over under about after before during since until while when where which who whom
    whose what why how that this these those there here it its he she they them his her their
    we our us you your i me my is are was were be been being am has have had do does did will
    would shall should can could may might must not no never also both each all any some many
    most more less other another such only own same very just still yet now today yesterday
    tomorrow meanwhile however although though because amid despite according said says say
    told tell new mr mrs ms dr one""".split()
)
_TITLES = frozenset(
    """president minister foreign prime secretary leader chairman chairwoman chief governor
    gov senator sen rep representative general gen state official officials ministry
    spokesperson spokesman spokeswoman deputy vice premier ambassador king queen prince
    princess pope mayor director ceo chancellor commander party committee council agency news
    media department government national central supreme court house senate congress
    parliament army navy police first lady sir lord north south east west""".split()
)
_NEGATION = frozenset(
    "not no never none nobody nothing neither nor cannot denied deny denies denying "
    "refused refuses refuse".split()
)
_MORE = frozenset("more greater higher larger bigger better ahead above older longer".split())
_LESS = frozenset("less fewer lower smaller worse behind below younger shorter".split())
_DIRECTED = DIRECTED
_PASSIVE_AUX = frozenset("was were been being is are".split())


_ORDINAL_WORDS = frozenset("third fourth fifth sixth seventh eighth ninth tenth".split())
_ORDINAL_SUFFIX = re.compile(r"(?:st|nd|rd|th)(?![^\W\d_])", re.IGNORECASE)
_MONTH_NAMES = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# "June 21st", "the 3rd of March", "21st March": a day of the month, the same as "June 21"
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTH_NAMES})\.?\s+\Z", re.IGNORECASE)
_MONTH_AFTER = re.compile(rf"\s+(?:of\s+)?(?:{_MONTH_NAMES})\b", re.IGNORECASE)
# "the 50th anniversary" is "50 years since": a rank that counts years
_YEARS_RANKED = re.compile(r"\s+(?:anniversary|birthday)\b", re.IGNORECASE)


def _ordinal(text: str, start: int, end: int) -> bool:
    """Whether the digits at ``text[start:end]`` are a rank: "70th", "3rd", "21st"; not a
    day of the month ("June 21st", "the 3rd of March") nor a count of years ("the 50th
    anniversary")."""
    suffix = _ORDINAL_SUFFIX.match(text, end)
    if suffix is None:
        return False
    after = suffix.end()
    return not (
        _MONTH_BEFORE.search(text[max(0, start - 12) : start])
        or _MONTH_AFTER.match(text, after)
        or _YEARS_RANKED.match(text, after)
    )


def _norm_number(tok: str) -> str:
    t = tok.replace(",", "")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t


def _stem(word: str) -> str:
    """A crude stem that gives "approve", "approved", "approves" and "approving" alike."""
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("e") and len(word) >= 5:
        return word[:-1]
    return word


_MONTHS = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june",
    "jul": "july", "aug": "august", "sep": "september", "sept": "september",
    "oct": "october", "nov": "november", "dec": "december",
}  # fmt: skip


def _name_key(tok: str) -> str:
    t = tok.lower()
    for poss in ("'s", "’s"):
        if t.endswith(poss):
            t = t[:-2]
            break
    t = t.rstrip("'’")
    t = fold_accents(t)  # "Zoë" and "Zoe", "Özdemir" and "Ozdemir" are one name
    return _MONTHS.get(t, t)


@dataclass(frozen=True, slots=True)
class Facts:
    """The lexical facts of one sentence."""

    tokens: tuple[str, ...]  # lower-case, possessives removed
    entity: tuple[bool, ...]  # token is a capitalised name (any position) or a number
    numbers: frozenset[str]
    names: frozenset[str]  # capitalised names after the first word (required)
    initial: str | None  # the first word, when it may be a name (soft)
    content: frozenset[str]  # stems of content words
    negations: tuple[int, ...]  # token positions of negation cues
    # the first word read as a named subject: no punctuation after it, not a number word or
    # an -ly adverb ("Twelve people ...", "Additionally, ...", "Separately ..."); and
    # whether a capitalised word follows it (a full name: "Phil Robertson")
    subject: str | None = None
    subject_named: bool = False


def text_facts(text: str) -> Facts:
    """Tokens, numbers, names, content stems and negation cues of ``text``."""
    text = _ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    text = COMPOUND_NUMBER.sub(lambda m: compound_number(m.group(1), m.group(2)) or "", text)
    found = list(_TOKEN.finditer(text))
    raw = [m.group(0) for m in found]
    tokens: list[str] = []
    entity: list[bool] = []
    numbers: set[str] = set()
    names: set[str] = set()
    content: set[str] = set()
    negations: list[int] = []
    initial: str | None = None
    for i, tok in enumerate(raw):
        # "12 billion" and "12 million" are different numbers: a scale word joins its number
        scale = SCALE_WORDS.get(raw[i + 1].lower(), "") if i + 1 < len(raw) else ""
        if tok[0].isdigit():
            num = _norm_number(tok)
            tokens.append(num)
            entity.append(True)
            if _ordinal(text, found[i].start(), found[i].end()):
                numbers.add("#" + num)  # "the 70th launch" states no 70 of anything
                continue
            before, after = number_marks(text, found[i].start(), found[i].end())
            if before.endswith(("$", "£", "€", "¥")) and i + 1 < len(raw):
                scale = scale or MONEY_SCALES.get(raw[i + 1].lower(), "")  # "$5m", "£2bn"
            numbers.add(before + num + scale + after)
            continue
        low = _name_key(tok)
        tokens.append(low)
        if low in _NUMBER_WORDS:
            before, after = number_marks(text, found[i].start(), found[i].end())
            numbers.add(before + _NUMBER_WORDS[low] + scale + after)  # "ten percent"
        elif low in _SCALE_ALONE and (
            i == 0 or not (raw[i - 1][0].isdigit() or raw[i - 1].lower() in _NUMBER_WORDS)
        ):
            # "a million people" is not "a billion people"; "a million dollars" is "$1e6"
            before, after = number_marks(text, found[i].start(), found[i].end())
            numbers.add(before + "1" + SCALE_WORDS[low] + after)
        if low in _NEGATION or low.endswith("n't") or low.endswith("n’t"):
            negations.append(i)
        # "May" inside a sentence is the month, not the verb
        is_name = (
            tok[0].isupper()
            and (low not in _STOP or (tok == "May" and i > 0))
            and low not in _TITLES
            and len(low) > 1
        )
        entity.append(is_name)
        if is_name:
            if i == 0:
                initial = low
            else:
                names.add(low)
        if low not in _STOP and len(low) >= 3:
            content.add(_stem(low))
    subject: str | None = None
    subject_named = False
    if (
        initial is not None
        and len(raw) > 1
        and not text[found[0].end() : found[1].start()].strip()
        and initial not in _NUMBER_WORDS
        and not initial.endswith("ly")
        and not raw[1][0].isdigit()
    ):
        subject = initial
        subject_named = raw[1][0].isupper() and raw[1].lower() not in _STOP
    # "one" is too often a pronoun to be required as a number
    required_numbers = {n for n in numbers if not (n == "1" and "1" not in raw)}
    return Facts(
        tokens=tuple(tokens),
        entity=tuple(entity),
        numbers=frozenset(required_numbers) if required_numbers else frozenset(),
        names=frozenset(names),
        initial=initial,
        subject=subject,
        subject_named=subject_named,
        content=frozenset(content),
        negations=tuple(negations),
    )


def _same_name(a: str, b: str) -> bool:
    """Exact, or a name and its adjective or another spelling: Russia/Russian,
    Ukraine/Ukrainian, China/Chinese, Sergei/Sergey, Somali/Somalia. Names that share their
    start and are other people or places (Paul/Paula, Niger/Nigeria) match too: the ends
    of words cannot tell the two kinds apart."""
    if a == b:
        return True
    short = min(len(a), len(b))
    if short < 4 or abs(len(a) - len(b)) > 4:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= max(4, short - 1)


def _has_name(name: str, tokens: set[str]) -> bool:
    return name in tokens or any(_same_name(name, t) for t in tokens)


_SCALE_ALONE = frozenset({"thousand", "million", "billion", "trillion"})
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())


def _contradicts(draft: Facts, source: Facts) -> bool:
    """Whether a source sentence states a number or a day of the week where the draft
    states another: each has one the other lacks. Saying less is no contradiction."""
    d_days = {t for t in draft.tokens if t in _WEEKDAYS}
    s_days = {t for t in source.tokens if t in _WEEKDAYS}
    if d_days - s_days and s_days - d_days:
        return True
    d_all, s_all = _all_numbers(draft), _all_numbers(source)
    return bool(draft.numbers - s_all) and bool(source.numbers - d_all)


def _all_numbers(facts: Facts) -> set[str]:
    """Numbers including ``one``, for the evidence side, each also without its currency
    and percent: a draft that says "5 million" where the evidence says "$5 million" says
    less, while one that says "£5 million", or "5" for "-5", says something else."""
    out = set(facts.numbers)
    out.update(_NUMBER_WORDS[t] for t in facts.tokens if t in _NUMBER_WORDS)
    out.update("#" + _NUMBER_WORDS[t] for t in facts.tokens if t in _ORDINAL_WORDS)
    out.update([_unmarked(n) for n in out])
    return out


# a currency mark before an amount: "$", "C$", "HK$", "₹" (``number_marks``)
_CURRENCY_MARK = re.compile(r"^(?:[A-Z]{0,3}[$£€¥]|[^\w\s.,-])+")


def _unmarked(number: str) -> str:
    """``number`` without its currency and percent; a minus sign stays ("-5" is not "5"),
    and so does a rank's mark ("#70", the 70th, is not 70)."""
    if number.startswith("#"):
        return number
    sign = "-" if number.startswith("-") else ""
    return sign + _CURRENCY_MARK.sub("", number.lstrip("-")).rstrip("%")


def lexical_overlap(draft: Facts, other: Facts) -> tuple[float, float]:
    """(fact coverage, content coverage) of ``draft`` by ``other``, each 0..1."""
    content = len(draft.content & other.content) / len(draft.content) if draft.content else 0.0
    wanted = list(draft.numbers) + list(draft.names)
    if draft.initial is not None:
        wanted.append(draft.initial)
    if not wanted:
        return content, content
    tokens = set(other.tokens)
    numbers = _all_numbers(other)
    hit = sum(1 for w in draft.numbers if w in numbers)
    hit += sum(1 for w in wanted[len(draft.numbers) :] if _has_name(w, tokens))
    return hit / len(wanted), content


def support_score(cosine: float, draft: Facts, other: Facts) -> float:
    """Cosine and lexical overlap combined, 0..1 (no hint bonus, no checks)."""
    facts, content = lexical_overlap(draft, other)
    score = W_COSINE * max(0.0, cosine) + W_FACTS * facts + W_CONTENT * content
    return float(min(1.0, max(0.0, score)))


_HEADLINE_SMALL = frozenset("a an the of to in on at for and or nor but with from by as vs".split())


def _title_case(text: str) -> bool:
    """Whether a headline capitalises (nearly) every word, so capitals do not mark names."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if w.lower() not in _HEADLINE_SMALL]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _union(facts: Iterable[Facts]) -> tuple[set[str], set[str], set[str]]:
    """The numbers (in every written form), tokens and content words of ``facts`` together:
    what a sentence or headline drawn from all of them may state."""
    numbers: set[str] = set()
    tokens: set[str] = set()
    content: set[str] = set()
    for f in facts:
        numbers |= _all_numbers(f)
        tokens.update(f.tokens)
        content |= f.content
    return numbers, tokens, content


def headline_supported(headline: str, evidence: Sequence[str], outlets: Sequence[str] = ()) -> bool:
    """Whether a model's headline says only what the evidence says.

    Every number in it occurs in the evidence, and so does its first word when that may be
    a name (a headline's subject comes first: "Varna council approves ..."), as a word or
    the stem of one. In sentence case so does every capitalised word after the first, and
    at least half of its content words are the evidence's. In title case ("Coast Guard
    Investigates Hoax Caller") capitals mark no names, and headlines put events in verbs
    of their own, so at least two thirds of its content words must be the evidence's
    instead. An outlet of ``outlets`` that the evidence text never names is not a
    headline's actor ("Harbour Post Approves Budget"). A refusal or chatter, a headline
    in another script, or one that brings a number of its own fails. A name of its own
    after the first word can still pass in title case when the rest is the evidence's.
    """
    facts = text_facts(headline)
    if not facts.content:
        return False
    ev_facts = [text_facts(text) for text in evidence]
    numbers, tokens, content = _union(ev_facts)
    # a negated headline needs the same negation in the evidence ("Council does not approve
    # ..." over "approved"); a plain one fails where the evidence negates its words and no
    # evidence line states them plainly (one "not" among a dozen lines that also state
    # the fact is not held against it)
    if facts.negations:
        if _negation_mismatch(facts, ev_facts):
            return False
    elif any(f.negations and _negation_mismatch(facts, [f]) for f in ev_facts) and not any(
        not f.negations and len(facts.content & f.content) >= 2 for f in ev_facts
    ):
        return False
    if opposite_words(facts.tokens, [f.tokens for f in ev_facts]):
        return False  # "Council Rejects Harbour Budget" over "approved"

    def known(word: str) -> bool:
        return _has_name(word, tokens) or _stem(word) in content

    if not facts.numbers <= numbers:
        return False
    if facts.initial is not None and not known(facts.initial):
        return False
    said = " ".join(evidence).lower()
    low = headline.lower()
    if any(o.strip() and o.lower() in low and o.lower() not in said for o in outlets):
        return False
    shared = len(facts.content & content)
    if _title_case(headline):
        return 3 * shared >= 2 * len(facts.content)
    if not all(known(n) for n in facts.names):
        return False
    return 2 * shared >= len(facts.content)


_CARDINALS = {w: n for w, n in _NUMBER_WORDS.items() if w not in _ORDINAL_WORDS}
_COUNTED_REACH = 3  # the words a count counts: "8 Endangered Species", "40 Queen Conchs"


_CLAUSE_END = re.compile(r"[.!?;:,()\[\]—–]")


def _counts(text: str, reach: int) -> list[tuple[str, list[str]]]:
    """Each bare count in ``text`` (digits or a number word from three up, not money, a
    percentage, a year, a score or a label such as "G20") with what it counts: the content
    words of the next ``reach`` words, up to a function word, a punctuation mark or the
    next number ("eight critically endangered rhinos" in "... rhinos to ..."). An empty
    list is a count of something named elsewhere ("killed 12, officials said")."""
    text = COMPOUND_NUMBER.sub(lambda m: compound_number(m.group(1), m.group(2)) or "", text)
    found = list(_TOKEN.finditer(text))
    out: list[tuple[str, list[str]]] = []
    for i, m in enumerate(found):
        tok = m.group(0)
        value: str | None
        if tok[0].isdigit():
            value = ("#" if _ordinal(text, m.start(), m.end()) else "") + _norm_number(tok)
        else:
            value = _CARDINALS.get(tok.lower())
        if value is None or value in ("1", "2") or any(number_marks(text, m.start(), m.end())):
            continue  # "the two girls": one and two are mostly not counts
        if tok.isdigit() and len(tok) == 4 and 1000 <= int(tok) <= 2100:
            continue  # a year is a date, not a count
        if m.start() > 0 and (text[m.start() - 1].isalpha() or text[m.start() - 1] in "/-"):
            continue  # "G20", "MH17", "9/11": a label
        words: list[str] = []
        end = m.end()
        rest = found[i + 1 :]
        k = _partitive(text, end, rest)
        if k:  # "eight out of 14 rhinos", "three of the victims": the part counts the whole
            end, rest = rest[k - 1].end(), rest[k:]
        if value.startswith("#") and tok[0].isdigit() and rest and rest[0].start() == m.end():
            end, rest = rest[0].end(), rest[1:]  # the "th" of "70th"
        for n in rest[: reach + 1]:
            w = n.group(0).lower()
            if _CLAUSE_END.search(text[end : n.start()]):
                break
            end = n.end()
            if w in SCALE_WORDS:
                continue  # "5 million people" counts people
            if w[0].isdigit() or w in _NUMBER_WORDS or w in _STOP or len(w) < 3:
                break
            words.append(w)
            if len(words) >= reach:
                break
        out.append((value, words))
    return out


_DETERMINERS = frozenset("the its their his her our those these".split())


def _partitive(text: str, end: int, rest: Sequence[re.Match[str]]) -> int:
    """How many tokens of ``rest`` (those after a count ending at ``end``) make a partitive
    that leads to what is counted: "out of 14", "of the", "of its 20"; 0 for none."""
    k = 0
    words = [n.group(0).lower() for n in rest[:5]]

    def joined(upto: int) -> bool:  # no punctuation between the count and token ``upto``
        start = end if upto == 0 else rest[upto - 1].end()
        return not _CLAUSE_END.search(text[start : rest[upto].start()])

    if k < len(words) and words[k] == "out" and joined(k):
        k += 1
    if k >= len(words) or words[k] != "of" or not joined(k):
        return 0
    k += 1
    if k < len(words) and words[k] in _DETERMINERS and joined(k):
        k += 1
    if k < len(words) and (words[k][0].isdigit() or words[k] in _CARDINALS) and joined(k):
        k += 1
    return k if k > 1 else 0  # a bare "of" ("five of them"): nothing counted here


def _same_counted(word: str, other: str) -> bool:
    """One word, or the same stem ("rhino", "rhinos"): the first six letters of a long
    word ("countries" is not "counties"), five of a middling one, three of a short one."""
    n = 6 if len(word) >= 7 else 5 if len(word) >= 5 else 3
    return other.startswith(word[:n])


def _miscounted(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline counts, with its number, what the texts count only with
    another: "5 Rhinos Die" over "Eight rhinos died ... five rangers were hurt".

    The headline's words right after its number are what it counts. A word fails where
    the texts count it with another number right before it ("eight rhinos") and never
    with this one. A word the texts do not count ("3 Killed in Blast" over "a blast killed
    three people"), or a number the texts use without naming what it counts ("killed 12,
    officials said"), is the headline's own phrasing, not a miscount.

    A headline that keeps the texts' words for a count but swaps its noun counts something
    else: "8 Critical Endangered Species" over "eight critically endangered black rhinos".
    Where the headline shares a word with a phrase the texts count with its number, the
    headline must count that phrase's noun ("rhinos")."""
    wanted = [(v, w) for v, w in _counts(headline, _COUNTED_REACH) if w]
    if not wanted:
        return False
    counted: dict[str, set[str]] = {}  # number -> the words right after it
    phrases: dict[str, list[list[str]]] = {}  # number -> each phrase it counts
    bare: set[str] = set()  # numbers the texts use with nothing counted after them
    for text in texts:
        for value, words in _counts(text, _COUNTED_REACH + 1):
            counted.setdefault(value, set()).update(words)
            if words:
                phrases.setdefault(value, []).append(words)
            else:
                bare.add(value)
    for value, words in wanted:
        if value in bare:
            continue
        if _swapped_noun(words, phrases.get(value, ())):
            return True
        if (
            value.startswith("#")
            and phrases.get(value)
            and not any(
                _same_counted(word, w) or _same_counted(w, word)
                for p in phrases[value]
                for w in p
                for word in words
            )
        ):
            return True  # "Marks 70th Year" over "its 70th launch of the year"
        for word in words:
            elsewhere = any(
                v != value and any(_same_counted(word, w) for w in ws) for v, ws in counted.items()
            )
            if elsewhere and not any(_same_counted(word, w) for w in counted.get(value, ())):
                return True
    return False


_IRREGULAR_PLURALS = frozenset("children men women police staff cattle sheep fish deer".split())
_ANY_COUNTED = frozenset({"people", "persons"})  # "12 People Killed" over "12 villagers"


def _counted_noun(words: Sequence[str]) -> str | None:
    """The first plural among a count's words, which is what it counts: "rhinos" in
    "critically endangered black rhinos died"; None where none looks plural."""
    for w in words:
        if w in _IRREGULAR_PLURALS or (w.endswith("s") and not w.endswith(("ss", "us", "is"))):
            return w
    return None


def _swapped_noun(words: Sequence[str], phrases: Sequence[Sequence[str]]) -> bool:
    """Whether the headline's counted ``words`` keep the words of a phrase the texts count
    with the same number but count another noun: "8 Endangered Species" over "eight
    endangered rhinos" (not "8 Rhinos Perish" over "eight rhinos died", nor "12 People
    Killed" over "12 villagers killed")."""
    noun = _counted_noun(words)
    if noun is None or noun in _ANY_COUNTED:
        return False

    def has(ws: Sequence[str], word: str) -> bool:
        return any(_same_counted(word, w) or _same_counted(w, word) for w in ws)

    sharing = [p for p in phrases if any(has(p, w) for w in words if w != noun)]
    if not sharing:
        return False
    return not any(
        (their := _counted_noun(p)) is None
        or their in _ANY_COUNTED
        or has([their], noun)
        or has(p, noun)  # "12 Syrians Drown" over "twelve Syrian migrants drowned"
        for p in sharing
    )


# content words a headline may bring beyond the brief it heads (its own verb: "Sues",
# "Investigates"); more is a claim of its own ("sparking international concern")
HEADLINE_NEW_WORDS = 1


def headline_grounded(headline: str, served: Sequence[BriefSentence]) -> bool:
    """Whether a headline says only what the served sentences of its brief and their quotes
    say: :func:`headline_supported` against that text, and at most ``HEADLINE_NEW_WORDS``
    content words of its own. A brief whose weak sentences were refused loses the
    headline drawn from them too."""
    texts = [s.text for s in served if s.supported]
    texts += [c.quote for s in served if s.supported for c in s.citations]
    if not texts or not headline_supported(headline, texts):
        return False
    _, _, content = _union(text_facts(t) for t in texts)
    # "eruption" is the brief's "erupted": a word sharing its first five letters is not new
    prefixes = {w[:5] for w in content if len(w) >= 5}
    new = [w for w in text_facts(headline).content - content if w[:5] not in prefixes]
    if _overcertain(headline, texts):
        return False  # "Plouffe Confirms Court Will ..." over "confident that the court will"
    if wrong_role(headline, texts) is not None:
        return False  # "Prime Minister Vos Resigns" over "Health Minister Clara Vos"
    if dropped_rank(headline, texts) is not None:
        return False  # "Mayor of Tessby Accused" over "the former mayor of Tessby"
    if _claim_as_fact(headline, [s.text for s in served if s.supported]):
        return False  # "Vos Offers Resignation" over "..., citing two unnamed sources"
    if reversed_actors(headline, texts):
        return False  # "Kestrel Mining Accuses Union" over "The union ... accused the company"
    if plan_as_fact(headline, texts):
        return False  # "Plant Closes" over "it would close its Portwell plant"
    if wrong_casualty(headline, texts):
        return False  # "Blast Kills 23" over "12 were killed and 23 injured"
    if denies_the_brief(headline, [s.text for s in served if s.supported]):
        return False  # "No injuries in factory fire" over "taken to hospital with burns"
    return len(new) <= HEADLINE_NEW_WORDS and not _miscounted(headline, texts)


def _claim_as_fact(headline: str, sentences: Sequence[str]) -> bool:
    """Whether the headline states, in no words of attribution, what every served sentence
    that says it (holds half its content words or more, and negates nothing) gives to a
    speaker it does not name ("Health Minister Clara Vos Offers Resignation" over "The
    Daily Sentinel reported, citing two unnamed government sources, that ...", where the
    brief's other such lines are her denials)."""
    if _ATTRIBUTES.search(headline):
        return False
    mine = text_facts(headline).content
    if not mine:
        return False
    prefixes = {w[:5] for w in mine if len(w) >= 5}

    def share(text: str) -> int:
        theirs = text_facts(text).content
        return len(mine & theirs) + len({w for w in theirs - mine if w[:5] in prefixes})

    # a sentence that denies it ("I have not offered my resignation") does not say it
    saying = [t for t in sentences if 2 * share(t) >= len(mine) and not text_facts(t).negations]
    return bool(saying) and all(_FRAMED.search(t) for t in saying)


# verbs that make a claim certain, or settle who is right, with the words of their family
# that a brief may use for them: a headline may use one only where its brief does
# ("confident", "expects" and "said" confirm nothing)
_CERTAINTY_VERBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("confirm", ("confirm",)),
    ("prove", ("prove", "proof", "proven")),
    ("admit", ("admit", "admission")),
    ("guarantee", ("guarantee",)),
    ("conced", ("conced", "concession")),
    ("refut", ("refut",)),
    ("debunk", ("debunk",)),
)
# the other senses: "Senate Confirms Barrett to Supreme Court", "Admitted to Hospital"
_NOT_CERTAINTY = re.compile(
    r"(?i:\bconfirm\w*)\s+(?:[A-Z][\w.'’-]*\s+){1,4}(?:to|as)\b|(?i:\badmitted\s+(?:to|into))\b"
)


def _overcertain(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline makes a claim certain with a verb (confirms, proves, admits,
    concedes, ...) that no word of its family in ``texts`` bears out."""
    words = [w.lower() for w in _TOKEN.findall(_NOT_CERTAINTY.sub(" ", headline))]
    said = " ".join(texts).lower()
    for verb, family in _CERTAINTY_VERBS:
        if any(w.startswith(verb) for w in words) and not any(f in said for f in family):
            return True
    return False


# ---------------------------------------------------------------- headline verbs

_CLAUSE_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*|[,.;:!?()\[\]\"“”—–]")


def _clause_words(text: str) -> list[str]:
    """Lower-case words of ``text`` with possessives removed, and its punctuation marks as
    tokens of their own (a phrase ends at one)."""
    return [re.sub(r"['’]s$", "", w.lower()) for w in _CLAUSE_WORD.findall(text)]


def _is_word(tok: str) -> bool:
    return tok[0].isalnum()


# actions with a doer and a done-to, as verb stems with the endings that keep them a verb
# ("accus": accuse, accuses, accused, accusing; not "accusation")
_ACTIONS = (
    "accus", "blam", "attack", "criticis", "criticiz", "condemn", "prais", "thank", "warn",
    "urg", "endors", "defeat", "replac", "arrest", "kill", "acquir", "hire", "fire", "sack",
    "oust", "invad", "betray", "threaten", "fine", "punish", "reprimand", "rebuk", "slam",
)  # fmt: skip
_ACTION_FORMS = {"sue": "sue", "sues": "sue", "sued": "sue", "suing": "sue", "beat": "beat",
                 "beats": "beat", "beating": "beat", "bought": "buy", "buys": "buy",
                 "sold": "sell", "sells": "sell"}  # fmt: skip
_VERB_ENDINGS = ("", "e", "s", "es", "ed", "d", "ing", "ning", "ned", "ped", "ping")
_BEFORE_VERB = frozenset(
    "also again has have had previously repeatedly publicly formally openly then now "
    "already earlier later once first".split()
)
_PHRASE_PREPOSITIONS = frozenset(
    "at of in on from for with near over under into across after before during".split()
)
_DETERMINER_WORDS = frozenset("the a an its his her their our this that these those".split())


def _action(tok: str) -> str | None:
    if tok in _ACTION_FORMS:
        return _ACTION_FORMS[tok]
    for stem in _ACTIONS:
        if tok.startswith(stem) and tok[len(stem) :] in _VERB_ENDINGS:
            return stem
    return None


def _phrase_before(words: Sequence[str], i: int) -> set[str]:
    """The noun phrase that does the action of the verb at ``i``: the words right before
    it, past adverbs and auxiliaries, and past a prepositional phrase that only places it
    ("The miners' union at Kestrel Mining's site accused ...": the union; "Kestrel Mining
    on Monday rejected ...": Kestrel Mining)."""
    j = i - 1
    while j >= 0 and (words[j] in _BEFORE_VERB or words[j].endswith("ly")):
        j -= 1
    while True:
        phrase: list[str] = []
        while j >= 0 and _is_word(words[j]) and words[j] not in _STOP:
            phrase.append(words[j])
            j -= 1
        if phrase and j >= 0 and words[j] in _PHRASE_PREPOSITIONS:
            j -= 1
            continue
        return set(phrase)


def _phrase_after(words: Sequence[str], i: int) -> set[str]:
    """The noun phrase right after position ``i``, past its determiner."""
    j = i + 1
    while j < len(words) and words[j] in _DETERMINER_WORDS:
        j += 1
    phrase: set[str] = set()
    while j < len(words) and _is_word(words[j]) and words[j] not in _STOP:
        phrase.add(words[j])
        j += 1
    return phrase


def _actions(text: str) -> list[tuple[str, set[str], set[str]]]:
    """(action, who does it, to whom) for each action verb of ``text`` whose sides are
    noun phrases ("The union accused the company": accus, {union}, {company}); a passive
    ("was accused by the union", "Kestrel Accused by Union") takes its doer after "by"."""
    words = _clause_words(text)
    out: list[tuple[str, set[str], set[str]]] = []
    for i, w in enumerate(words):
        verb = _action(w)
        if verb is None:
            continue
        j = i - 1
        participle = w.endswith("ed") or w in ("sued", "bought", "sold", "beaten")
        aux = j >= 0 and words[j] in _PASSIVE_AUX
        passive = aux and participle
        if passive or (participle and i + 1 < len(words) and words[i + 1] == "by"):
            k = next((k for k in range(i + 1, min(i + 4, len(words))) if words[k] == "by"), None)
            doer = _phrase_after(words, k) if k is not None else set()
            done_to = _phrase_before(words, j if passive else i)
        else:  # "A North Carolina couple is suing the producers": the couple sues
            doer, done_to = _phrase_before(words, j if aux else i), _phrase_after(words, i)
        if doer or done_to:
            out.append((verb, doer, done_to))
    return out


def _overlap(a: set[str], b: set[str]) -> bool:
    return any(x == y or _stem(x) == _stem(y) for x in a for y in b)


def reversed_actors(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline swaps who did what to whom: "Kestrel Mining Accuses Union of
    Dumping Tailings" where the texts say "The miners' union ... accused the company". It
    does when a text with the headline's action has its done-to as the doer, and no text
    with that action agrees with the headline on either side."""
    theirs = [a for t in texts for a in _actions(t)]
    for verb, doer, done_to in _actions(headline):
        if not doer or not done_to:
            continue
        same = [(d, t) for v, d, t in theirs if v == verb]
        if any(_overlap(doer, d) or _overlap(done_to, t) for d, t in same):
            continue
        if any(_overlap(done_to, d) or _overlap(doer, t) for d, t in same):
            return True
    return False


# what puts an action in the future, or makes it only possible: "would close", "plans to
# close", "is set to close"
_PLAN_MODALS = frozenset("will would shall could may might".split())
_PLAN_BEFORE_TO = frozenset(
    """plan plans planned planning set due expected expects intend intends intended aim aims
    aimed going want wants wanted hope hopes hoped propose proposes proposed scheduled poised
    likely threaten threatens threatened is are was were""".split()
)
_IRREGULAR_PAST = {
    "rise": "rose", "fall": "fell", "win": "won", "lose": "lost", "hit": "hit", "cut": "cut",
    "shut": "shut", "quit": "quit", "set": "set", "buy": "bought", "sell": "sold",
    "leave": "left", "meet": "met", "take": "took", "give": "gave", "strike": "struck",
    "sink": "sank", "fly": "flew", "begin": "began", "run": "ran", "grow": "grew",
    "hold": "held", "seek": "sought", "make": "made", "pay": "paid", "say": "said",
    "tell": "told", "find": "found", "keep": "kept", "bring": "brought", "build": "built",
    "spend": "spent", "send": "sent", "lead": "led", "beat": "beat", "shoot": "shot",
    "freeze": "froze", "steal": "stole", "break": "broke", "choose": "chose", "drive": "drove",
    "fight": "fought", "speak": "spoke", "withdraw": "withdrew", "overtake": "overtook",
    "undergo": "underwent", "go": "went", "come": "came", "become": "became", "eat": "ate",
    "sweep": "swept", "shake": "shook", "split": "split", "spread": "spread", "draw": "drew",
    "throw": "threw", "swear": "swore", "forbid": "forbade", "bid": "bid", "put": "put",
}  # fmt: skip


def _bases(word: str) -> list[str]:
    """The base forms a third-person verb may have: "closes" -> close, "pushes" -> push,
    "carries" -> carry."""
    out = [word[:-1]]
    if word.endswith("es"):
        out.append(word[:-2])
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    return out


def _planned(words: Sequence[str], k: int) -> bool:
    """Whether the verb at ``k`` is only planned or possible: "would close", "plans to
    close", "will be closed", "could soon close"."""
    j = k - 1
    if j >= 0 and words[j] in ("soon", "eventually", "also", "not", "then"):
        j -= 1
    if j >= 0 and words[j] == "be":
        j -= 1
    if j < 0:
        return False
    if words[j] in _PLAN_MODALS:
        return True
    return words[j] == "to" and j >= 1 and words[j - 1] in _PLAN_BEFORE_TO


def plan_as_fact(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline states as done an action the texts only plan or hedge:
    "Portwell Packaging Plant Closes" where the company "would close its Portwell plant
    by the end of the year". A headline verb in the present ("Closes") fails when the texts
    have it only after "will", "would", "could", "plans to", "is set to" and the like, and
    never in a form that states it ("closes", "closed", "shut")."""
    mine = _clause_words(headline)
    said = [_clause_words(t) for t in texts]
    # words the texts write only with a capital: part of a name ("Castellan
    # Pharmaceuticals Acquires Norvik": "Pharmaceuticals" is no verb)
    lower = {w for t in texts for w in _CLAUSE_WORD.findall(t) if w[:1].islower()}
    # the headline's verb: its first word ending in -s after the first word ("Company
    # Announces Job Cuts": "Announces"; "Cuts" is a noun, and "Workers" the subject)
    verbs = [
        w
        for w in mine[1:]
        if len(w) >= 4
        and w.endswith("s")
        and not w.endswith(("ss", "us", "is"))
        and w not in _STOP
        and (w in lower or not any(w in words for words in said))
    ][:1]
    for w in verbs:
        for base in _bases(w):
            stated = {w, base + "d" if base.endswith("e") else base + "ed"}
            if base in _IRREGULAR_PAST:
                stated.add(_IRREGULAR_PAST[base])
            plan = fact = 0
            for words in said:
                for k, t in enumerate(words):
                    if t == base and _planned(words, k):
                        plan += 1
                    elif t in stated:
                        fact += 1 if not _planned(words, k) else 0
                        plan += 1 if _planned(words, k) else 0
            if plan and not fact:
                return True
    return False


# what a count of people can be: "kills 23" is not "23 were injured"
_CASUALTIES = (
    ("dead", ("kill", "dead", "death", "die", "died", "dies", "dying", "fatal", "perish",
              "toll", "bodies", "drown", "lives")),
    ("hurt", ("injur", "hurt", "wound")),
    ("missing", ("missing",)),
    ("held", ("arrest", "detain", "held", "hostage")),
    ("rescued", ("rescu", "saved", "evacuat")),
)  # fmt: skip
_CASUALTY_REACH = 4


def _casualty(word: str) -> str | None:
    for kind, stems in _CASUALTIES:
        if any(word.startswith(s) for s in stems):
            return kind
    return None


def _casualty_counts(text: str) -> list[tuple[str, str]]:
    """(number, what happened to those it counts) for each count of ``text`` with a word of
    death, injury, missing, arrest or rescue within four words on either side, the nearest
    one (after it on a tie), reading neither across punctuation nor past another number."""
    words = _clause_words(text)
    out: list[tuple[str, str]] = []
    for i, w in enumerate(words):
        value = _norm_number(w) if w[0].isdigit() else _CARDINALS.get(w)
        if value is None or value in ("1", "2"):
            continue
        best: tuple[int, int, str] | None = None
        for step in (1, -1):
            for dist in range(1, _CASUALTY_REACH + 1):
                k = i + step * dist
                if k < 0 or k >= len(words) or not _is_word(words[k]):
                    break
                if words[k][0].isdigit() or words[k] in _CARDINALS:
                    break
                kind = _casualty(words[k])
                if kind is not None:
                    rank = (dist, 0 if step == 1 else 1, kind)
                    if best is None or rank < best:
                        best = rank
                    break
        if best is not None:
            out.append((value, best[2]))
    return out


_COUNT_WORD = r"(?:\d[\d,]*|" + "|".join(sorted(_CARDINALS, key=len, reverse=True)) + ")"
# a toll that a later report raised: "The death toll ... rose to 15", "the number of dead
# has climbed to at least 40"
_TOLL_UPDATE = re.compile(
    r"\b(?:toll|number\s+of\s+(?:the\s+)?(?:dead|deaths|victims|casualties|fatalities)"
    r"|dead|deaths|fatalities)\b[^.;!?]{0,80}?\b(?:rose|risen|rises|rising|climbed|climbs"
    r"|climbing|jumped|increased|grew|grown)\b[^.;!?]{0,12}?\bto\s+(?:at\s+least\s+)?"
    rf"({_COUNT_WORD})\b",
    re.IGNORECASE,
)


def toll_updates(text: str) -> list[str]:
    """The tolls ``text`` says a count rose to ("The death toll ... rose to 15": 15)."""
    out = []
    for m in _TOLL_UPDATE.finditer(text):
        word = m.group(1).lower()
        out.append(_norm_number(word) if word[0].isdigit() else _CARDINALS[word])
    return out


def stale_toll(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline gives a death toll that the texts say has since risen: "12
    killed in ferry disaster" where "the death toll ... rose to 15". A toll the texts
    raise to, any of them, is not stale (which update is the latest is not known)."""
    raised = {v for t in texts for v in toll_updates(t)}
    return bool(raised) and any(
        kind == "dead" and value not in raised for value, kind in _casualty_counts(headline)
    )


# how far a count had gone: "With 62 percent of polling stations reporting", "with 98% of
# votes counted", "(98% counted)"
_COUNTED = re.compile(
    r"(?i)\b(?:with\s+)?(?:about\s+|nearly\s+|almost\s+|over\s+|more\s+than\s+)?"
    r"(\d{1,3}(?:\.\d+)?)\s*(?:percent|per\s+cent|%)\s+(?:of\s+(?:the\s+|all\s+)?"
    r"(?:votes?|ballots|polling\s+stations|precincts|districts|constituencies|returns)\s+"
    r"(?:counted|reporting|tallied|processed)|counted|tallied)\b"
)  # not "40 percent reporting growth": a survey's share, no count
# a count told as early: "held a narrow lead early on Monday as votes were counted",
# "early results", "a partial count"
_EARLY_COUNT = re.compile(
    r"(?i)\b(?:early|partial|preliminary|initial)\s+(?:count|results|returns|figures|tally)"
    r"\b|\bas\s+(?:the\s+)?(?:votes?|ballots)\s+(?:were|are|was|is)\s+(?:still\s+)?"
    r"(?:being\s+)?counted\b"
)
# a count told as (nearly) complete: "near-final results showed", "final results gave"
_FINAL_COUNT = re.compile(
    r"(?i)\bnear[\s-]final\b|\b(?:final|official|complete)\s+(?:results|figures|count)\s+"
    r"(?:showed|show|gave|give|confirmed|confirm)\b"
)
_NEAR_COMPLETE = 90.0  # percent counted from which a count reads as (nearly) complete


# a line that gives a forecast: "Forecasters said Delia could bring winds of up to 120 mph",
# "The storm was forecast to make landfall late Thursday"; not a company's forecast (a
# figure it gave) nor a forecast a line of the outcome recalls ("well below the 9 to 12
# feet forecast earlier in the week": no verb of forecasting)
_FORECAST = re.compile(
    r"(?i)\bforecasters\b|\b(?:is|was|are|were|been)\s+(?:still\s+)?forecast\s+to\b"
    r"|\bforecast(?:ed|s)?\s+that\b|\b(?:forecast|forecasted|predicted|warned)\s+"
    r"(?:that\s+)?[\w'’ -]{0,40}?\b(?:could|would|will|might|may)\b"
    r"|\b(?:is|was|are|were)\s+expected\s+to\s+(?:make\s+landfall|strengthen|intensify"
    r"|weaken|hit|strike|bring)\b"
)


def forecast(text: str) -> bool:
    """Whether ``text`` reports a forecast (``_FORECAST``)."""
    return _FORECAST.search(text) is not None


# a matter still open: a deal in talks ("have opened talks", "clubs remain apart", "have not
# made a formal bid", "a bid that would smash their record", "not for sale"), or a thing
# expected to come ("is set to", "is expected to")
_PENDING = re.compile(
    r"(?i)\b(?:in\s+talks|opened\s+talks|closing\s+in\s+on|close\s+to\s+(?:a\s+|an\s+)?"
    r"(?:deal|agreement|signing)|(?:is|are|was|were)\s+(?:expected|set|poised|likely)\s+to"
    r"|ha(?:ve|s)\s+not\s+(?:yet\s+)?made|not\s+for\s+sale|remain(?:s|ed)?\s+apart"
    r"|(?:bid|offer|deal|move)\s+that\s+would|opening\s+offer|remain(?:s|ed)?\s+interested"
    r"|ha(?:ve|s)\s+sanctioned\s+a\s+bid)\b"
)
# the matter settled: "have signed", "confirmed the signing", "came ashore", "lifted off"
_SETTLED = re.compile(
    r"(?i)\b(?:ha(?:ve|s)\s+(?:signed|completed|agreed|sealed|finali[sz]ed|confirmed)"
    r"|confirmed\s+the\s+(?:signing|deal|sale|merger|takeover|acquisition|transfer)"
    r"|(?:came|has\s+come)\s+ashore|made\s+landfall|lifted\s+off"
    r"|(?:was|were)\s+(?:found\s+guilty|convicted|acquitted|sentenced|approved|signed))\b"
)


# a running measure of a developing story: "about 1,800 acres", "4,600 residents", "Three
# structures", "0 percent contained", "Containment stood at 2 percent"
_MEASURE_UNITS = (
    r"acres|hectares|square\s+miles|residents|homes|houses|structures|buildings|firefighters"
    r"|households|customers|evacuees|percent\s+contained|per\s+cent\s+contained"
)
_MEASURE = re.compile(
    rf"(?i)(?<![\w.,])({_COUNT_WORD}(?:\.\d+)?)\s+(?:more\s+)?({_MEASURE_UNITS})\b"
    r"|\bcontainment\s+(?:stood\s+at|was|reached|rose\s+to)\s+(\d+)\s*(?:percent|per\s+cent|%)"
)


def measures(text: str) -> dict[str, set[str]]:
    """The running measures of ``text``: unit -> the values given ("acres": {"1800"})."""
    out: dict[str, set[str]] = {}
    for m in _MEASURE.finditer(text):
        if m.group(3) is not None:
            unit, value = "percent contained", m.group(3)
        else:
            unit = " ".join(m.group(2).lower().replace("per cent", "percent").split())
            value = m.group(1).lower()
        value = _CARDINALS.get(value, value).replace(",", "")
        out.setdefault(unit, set()).add(value)
    return out


def superseded_measure(text: str, latest: Mapping[str, set[str]]) -> bool:
    """Whether ``text`` gives a running measure (``measures``) that the story's latest day
    (``latest``) gives with other values only: "The Carver Creek Fire was 0 percent
    contained" where the latest day says "11 percent contained"."""
    return any(
        unit in latest and not values & latest[unit] for unit, values in measures(text).items()
    )


def pending(text: str) -> bool:
    """Whether ``text`` tells of a matter still open: a forecast (``forecast``) or a deal
    in talks, a thing expected (``_PENDING``)."""
    return forecast(text) or _PENDING.search(text) is not None


def settled(text: str) -> bool:
    """Whether ``text`` tells that a matter was settled or came (``_SETTLED``)."""
    return _SETTLED.search(text) is not None


# a figure its source revised: "raised its estimate of the number of customers affected
# ... to about 2.1 million, from the 1.3 million it disclosed on Monday"
_FIGURE = r"\d[\d,]*(?:\.\d+)?(?:\s+(?:million|billion|thousand))?"
_REVISED = re.compile(
    r"(?i)\b(?:raised|lowered|revised|increased|cut|updated|corrected)\s+(?:its|their|the|his"
    r"|her)\s+(?:\w+\s+){0,2}?(?:estimate|count|figure|tally|number|total)\b[^.;!?]{0,160}?"
    rf"\bto\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|some\s+)?({_FIGURE})"
    rf"[^.;!?]{{0,60}}?\bfrom\s+(?:the\s+|an?\s+)?(?:about\s+|around\s+|roughly\s+)?({_FIGURE})"
)
_FIGURE_IN = re.compile(rf"(?i)(?<![\w.,]){_FIGURE}(?!\w|[.,]\d)")


def _figure_key(figure: str) -> str:
    return " ".join(figure.lower().replace(",", "").split())


def revised_figures(texts: Sequence[str]) -> dict[str, str]:
    """The figures a story says their source revised: old -> new ("1.3 million" ->
    "2.1 million")."""
    out: dict[str, str] = {}
    for t in texts:
        for m in _REVISED.finditer(t[:100_000]):
            out[_figure_key(m.group(2))] = _figure_key(m.group(1))
    return out


def states_revised_figure(text: str, revised: Mapping[str, str]) -> bool:
    """Whether ``text`` gives a figure its source has since revised (``revised_figures``)
    and not the figure it was revised to: "stole personal information belonging to
    about 1.3 million customers" after "raised its estimate ... to about 2.1 million"."""
    if not revised:
        return False
    figures = {_figure_key(m.group(0)) for m in _FIGURE_IN.finditer(text)}
    return any(old in figures and new not in figures for old, new in revised.items())


def count_progress(texts: Sequence[str]) -> float | None:
    """How far the latest count a story reports had gone, in percent counted (a line that
    calls its results final or near-final counts as ``_NEAR_COMPLETE``); None when it
    reports no count."""
    best: float | None = None
    for t in texts:
        values = [float(m.group(1)) for m in _COUNTED.finditer(t)]
        if _FINAL_COUNT.search(t):
            values.append(_NEAR_COMPLETE)
        values = [v for v in values if v <= 100.0]
        if values:
            best = max(best or 0.0, *values)
    return best


def stale_count(text: str, progress: float | None) -> bool:
    """Whether ``text`` gives a count the story has since taken further (``progress``,
    ``count_progress``): "With 62 percent of polling stations reporting, the National
    Alliance had 30.1 percent" where a later line has 98 percent counted, or a lead "early
    on Monday as votes were counted" where results are near-final. A line that says how
    the count ended, or one nearly done, is not stale."""
    if progress is None or _FINAL_COUNT.search(text):
        return False
    counted = [float(m.group(1)) for m in _COUNTED.finditer(text)]
    if counted:  # two counts near the end ("95 percent" and "98 percent") say alike
        return max(counted) < min(progress, _NEAR_COMPLETE)
    return _EARLY_COUNT.search(text) is not None and progress >= _NEAR_COMPLETE


# a correction: the notice an outlet appends ("Correction: An earlier version of this
# story ... said three workers had been killed.")
_NOTICE = re.compile(
    r"(?i)^\W*(?:correction|clarification)\s*[:—–-]|\ban?\s+earlier\s+version\s+of\s+this\s+"
    r"(?:story|article|report)\b|\b(?:was|were)\s+(?:misstated|misreported|incorrectly\s+"
    r"(?:reported|stated|given))\b"
)
# a figure given up in the text itself: "not 2,000 as initially estimated"
_NOT_AS_REPORTED = re.compile(
    rf"(?i)\bnot\s+({_COUNT_WORD})\s+as\s+(?:first|initially|earlier|previously|originally)\s+"
    r"(?:reported|estimated|stated|said|given|thought)\b"
)


# an amount of money given up: "well short of the 85 million euros some reports claimed"
_MONEY = (
    r"(?:(?:US|A|C|NZ|HK)?[€$£]\s?\d[\d,]*(?:\.\d+)?"
    r"(?:\s*(?:million|billion|trillion|bn|tn|m|k)\b)?"
    r"|\d[\d,]*(?:\.\d+)?\s*(?:million|billion|trillion|bn|tn|m|k)?\s*"
    r"(?:euros?|dollars?|pounds?)\b)"
)
_MONEY_GIVEN_UP = re.compile(
    rf"(?i)\b(?:short\s+of|below|less\s+than|rather\s+than|instead\s+of|not|down\s+from)"
    rf"\s+(?:the\s+)?({_MONEY})\s+(?:that\s+|which\s+|as\s+)?(?:some|earlier|initial|first|"
    r"media|other|press)\s+(?:media\s+)?reports?\s+(?:had\s+)?"
    r"(?:claimed|suggested|said|put|quoted)"
)
_MONEY_AMOUNT = re.compile(rf"(?i)(?<![\w.]){_MONEY}")
_SCALE = {"k": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9, "tn": 1e12}
_SCALE |= {"trillion": 1e12}
_CURRENCY: tuple[tuple[str, str], ...] = (
    ("€", "eur"),
    ("euro", "eur"),
    ("£", "gbp"),
    ("pound", "gbp"),
    ("$", "usd"),
    ("dollar", "usd"),
)
MONEY = "money"  # what a withdrawn amount of money counts (``withdrawn_counts``)


def _money_value(phrase: str) -> str | None:
    """``"€85 million"``, ``"85 million euros"``, ``"€85m"``: "eur 85000000" (currency and
    value; None without a currency)."""
    low = phrase.lower()
    currency = next((c for sign, c in _CURRENCY if sign in low), None)
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(million|billion|trillion|bn|tn|m|k)?\b", phrase, re.I)
    if m is None or currency is None:
        return None
    try:
        value = float(m.group(1).replace(",", ""))
    except ValueError:
        return None
    value *= _SCALE.get((m.group(2) or "").lower(), 1.0)
    return f"{currency} {value:.0f}"


def gives_up_money(text: str) -> bool:
    """Whether ``text`` gives up an amount that other reports gave."""
    return _MONEY_GIVEN_UP.search(text) is not None


# a story that says its study shows no cause: "cannot show that coffee causes the lower
# risk", "does not show that coffee protects the heart", "reverse causation cannot be
# excluded", "an association, not causation"
_NOT_A_CAUSE = re.compile(
    r"(?i)\b(?:cannot|can\s*not|can['’]t|could\s+not|couldn['’]t|does\s+not|doesn['’]t|do\s+not"
    r"|don['’]t|did\s+not|didn['’]t)\s+(?:show|prove|establish|demonstrate|mean)\s+"
    r"(?:that\s+)?(?:[\w'’-]+\s+){0,8}?(?:causes?|caused|causal|causation|protects?|prevents?"
    r"|reduces?|cuts?|lowers?|raises?|increases?|leads?\s+to)\b"
    r"|\breverse\s+causation\b"
    r"|\b(?:association|correlation|link)s?\W+(?:and\s+)?not\s+(?:a\s+)?caus"
)
# a line that states an effect on a risk as caused ("drinking coffee cuts the risk of
# atrial fibrillation", "protects the heart"; not "a lower risk")
_CAUSAL_CLAIM = re.compile(
    r"(?i)\b(?:cuts?|cutting|reduces?|reducing|lowers|lowering"
    r"|lower(?=\s+(?:the|your|their|its|his|her|one['’]s)\s)|slash(?:es)?|halves|halving"
    r"|prevents?|preventing|protects?|protecting|boosts?|boosting|raises?|raising"
    r"|increases?|increasing|doubles?|doubling|causes?|causing)\s+(?:[\w'’-]+\s+){0,3}?"
    r"(?:risks?|chances?|odds|likelihood|incidence|heart|brain|health)\b"
)
_HEDGED = re.compile(
    r"(?i)\b(?:may|might|could|associated|association|linked|link|links|linking|suggests?"
    r"|suggested"
    r"|tied|correlat\w*|possibly|perhaps)\b"
)


# proof claimed ("Scientists have proved ...", "Scientists PROVE ..."), not denied ("does not
# prove", "not proven", "no proof")
_PROOF = re.compile(r"(?i)\bprov(?:e|es|ed|en|ing)\b|\bproof\b|\bdefinitively\b")
_NO_PROOF = re.compile(
    r"(?i)\b(?:not|n['’]t|no|never|without|cannot|yet\s+to)\s+(?:\w+\s+){0,2}?"
    r"(?:prov(?:e|es|ed|en|ing)|proof|definitively)\b"
)
# a report that doubts or hedges a finding
_DOUBT = re.compile(
    r"(?i)\b(?:sceptic\w*|skeptic\w*|not\s+(?:everyone|all)\s+(?:is\s+|are\s+)?convinced"
    r"|extraordinary\s+claims|doubts?|doubted|disputed?|questioned|may\s+be|might\s+be"
    r"|suggests?|cautious)\b"
)


def proof_contested(texts: Sequence[str]) -> bool:
    """Whether more of a story's articles (``texts``) doubt or hedge than claim proof: a
    tabloid's "Scientists have proved ..." beside "may be the oldest known traces" and
    "Not everyone is convinced"."""
    proving = sum(1 for t in texts if claims_proof(t))
    return proving > 0 and sum(1 for t in texts if _DOUBT.search(t)) > proving


def claims_proof(text: str) -> bool:
    """Whether ``text`` says something was proved (``_PROOF``), and does not deny it."""
    return _PROOF.search(_NO_PROOF.sub(" ", text)) is not None


# a claim its maker withdrew: "Organisers ... withdrew their announcement that Amani
# Kiptanui-Rowe had set a women's 10,000 meters world record, saying ..."
_WITHDREW_CLAIM = re.compile(
    r"(?i)\b(?:withdrew|retracted|rescinded|(?:has|have|had)\s+(?:since\s+)?(?:withdrawn"
    r"|retracted|rescinded))\s+(?:their|its|his|her|the|an|a)\s+(?:[\w'’-]+\s+){0,2}?"
    r"(?:announcement|claim|statement)\s+that\s+([^.;!?]{10,300}?)(?=,\s|[.;!?]|$)"
)
# a line that tells of the withdrawal itself, or says the claim does not stand
_TELLS_WITHDRAWAL = re.compile(
    r"(?i)\b(?:withdr[ae]w\w*|retract\w*|rescind\w*|cannot\s+stand|does\s+not\s+stand"
    r"|taken\s+away|stripped|error|mistake|miscount\w*)\b"
)
_CLAIM_SHARE_STATED = 0.5  # of a withdrawn claim's content words a line must repeat


def withdrawn_claims(texts: Sequence[str]) -> list[frozenset[str]]:
    """The content words (``Facts.content``) of each claim the story says was withdrawn by
    whoever made it (``_WITHDREW_CLAIM``)."""
    out = []
    for t in texts:
        for m in _WITHDREW_CLAIM.finditer(t[:100_000]):
            content = text_facts(m.group(1)).content
            if len(content) >= 3:
                out.append(content)
    return out


def states_withdrawn_claim(text: str, claims: Sequence[frozenset[str]]) -> bool:
    """Whether ``text`` states a withdrawn claim (``withdrawn_claims``) as it was made:
    most of its content words, and no word of the withdrawal ("Kenya's Amani
    Kiptanui-Rowe broke the women's 10,000 meters world record ..." after "Organisers ...
    withdrew their announcement that Amani Kiptanui-Rowe had set a women's 10,000 meters
    world record")."""
    if not claims or _TELLS_WITHDRAWAL.search(text):
        return False
    content = text_facts(text).content
    return any(len(c & content) >= _CLAIM_SHARE_STATED * len(c) for c in claims)


def causation_denied(texts: Sequence[str]) -> bool:
    """Whether a line of the story says its finding shows no cause (``_NOT_A_CAUSE``)."""
    return any(_NOT_A_CAUSE.search(t) for t in texts)


def cause_as_fact(text: str) -> bool:
    """Whether ``text`` states a cause ("cuts the risk") without a hedge ("may", "linked
    to", "associated with") and without denying it. Read where the story says its study
    shows none (``causation_denied``): an association served as a cause."""
    return (
        _CAUSAL_CLAIM.search(text) is not None
        and _HEDGED.search(text) is None
        and _NOT_A_CAUSE.search(text) is None
    )


_NOTICE_SAID = re.compile(r"(?i)\b(?:said|reported|stated|misstated|gave)\b")


def correction_notice(text: str) -> bool:
    """Whether ``text`` is a correction an outlet made to its story."""
    return _NOTICE.search(text) is not None


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")


def withdrawn_counts(texts: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The counts the texts withdraw, with what they count: those of a sentence of a
    correction notice ("said three workers had been killed": 3, workers) and a figure
    given up in so many words ("not 2,000 as initially estimated": 2000, nothing named;
    "well short of the 85 million euros some reports claimed": 85000000, ``MONEY``).
    ``texts`` may be whole articles as sent: the cleaner takes a correction notice out of
    an article's text, but not out of what the story is known to have got wrong."""
    out: list[tuple[str, list[str]]] = []
    for text in texts:
        if _NOTICE.search(text):
            for line in text.splitlines():
                for sentence in _SENTENCE_END.split(line):
                    # what the story had said: after "said" (or "reported", "stated"); a
                    # notice that gives only the corrected figure ("updated to say that
                    # four workers were killed") withdraws nothing here
                    said = _NOTICE_SAID.search(sentence)
                    if correction_notice(sentence) and said is not None:
                        out.extend(_counts(sentence[said.end() :], _COUNTED_REACH))
        for m in _NOT_AS_REPORTED.finditer(text):
            word = m.group(1).lower()
            out.append((_norm_number(word) if word[0].isdigit() else _CARDINALS[word], []))
        for m in _MONEY_GIVEN_UP.finditer(text):
            value = _money_value(m.group(1))
            if value is not None:
                out.append((value, [MONEY]))
    return out


def states_withdrawn(text: str, withdrawn: Sequence[tuple[str, list[str]]]) -> bool:
    """Whether ``text`` states a count that ``withdrawn`` (``withdrawn_counts``) gives up:
    the same number counting the same thing ("killing three workers"), or the number a
    text gave up with nothing named ("some 2,000 residents")."""
    if not withdrawn:
        return False
    money = {gone for gone, what in withdrawn if what == [MONEY]}
    if money and any(_money_value(m.group(0)) in money for m in _MONEY_AMOUNT.finditer(text)):
        return True
    for value, words in _counts(text, _COUNTED_REACH):
        for gone, what in withdrawn:
            if value != gone:
                continue
            if not what or any(
                _same_counted(w, x) or _same_counted(x, w) for w in words for x in what
            ):
                return True
    return False


# a headline that says nobody came to harm: "No injuries in factory fire", "No one hurt"
_NO_HARM = re.compile(
    r"(?i)\b(?:no|none|nobody|no\s+one|not\s+a\s+single)\b(?:\s+[\w-]+){0,2}?\s*"
    r"\b(?:(injur\w*|hurt|wounded|casualt\w*)|(dead|deaths?|killed|fatalit\w*))\b"
)
# what says somebody did: hurt (taken to hospital, burns) or dead
_HARM = {
    "hurt": re.compile(
        r"(?i)\b(?:injur\w*|hurt|wounded|burns|taken\s+to\s+hospital|hospitali[sz]ed"
        r"|treated\s+for)\b"
    ),
    "dead": re.compile(r"(?i)\b(?:killed|died|dead|deaths?|bodies|death\s+toll)\b"),
}
_DENIAL = re.compile(r"(?i)\b(?:no|none|nobody|no\s+one|not|never|without)\b")


def denies_the_brief(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline says nobody was hurt (or killed) where a line of the brief says
    somebody was: "No injuries in Elmfield factory fire" over "One firefighter was taken to
    hospital with burns" (two fires one story held). A line that itself denies harm ("no
    one was hurt") does not count."""
    m = _NO_HARM.search(headline)
    if m is None:
        return False
    kinds = ["hurt", "dead"] if m.group(1) and m.group(1).lower().startswith("casualt") else []
    kinds = kinds or (["hurt"] if m.group(1) else ["dead"])
    for text in texts:
        for kind in kinds:
            for hit in _HARM[kind].finditer(text):
                window = text[max(0, hit.start() - 40) : hit.start()]
                if not _DENIAL.search(window):
                    return True
    return False


def wrong_casualty(headline: str, texts: Sequence[str]) -> bool:
    """Whether the headline gives a count of people another fate than the texts give it:
    "Blast Kills 23" where "12 were killed and 23 injured"."""
    theirs: dict[str, set[str]] = {}
    for text in texts:
        for value, kind in _casualty_counts(text):
            theirs.setdefault(value, set()).add(kind)
    return any(
        value in theirs and kind not in theirs[value] for value, kind in _casualty_counts(headline)
    )


# ---------------------------------------------------------------- hard checks


def _relations(facts: Facts) -> list[tuple[str, str | None, str | None, int]]:
    """Directed claims: ("cmp", left, right, polarity) and ("verb:<stem>", subj, obj, 0)."""
    toks, ent = facts.tokens, facts.entity
    out: list[tuple[str, str | None, str | None, int]] = []

    def before(i: int, reach: int) -> str | None:
        for j in range(i - 1, max(-1, i - 1 - reach), -1):
            if ent[j]:
                return toks[j]
        return None

    def after(i: int, reach: int) -> str | None:
        for j in range(i + 1, min(len(toks), i + 1 + reach)):
            if ent[j]:
                return toks[j]
        return None

    for i, tok in enumerate(toks):
        if tok == "than":
            pol, at = 0, i
            for j in range(i - 1, max(-1, i - 4), -1):
                if toks[j] in _MORE or toks[j] in _LESS:
                    pol, at = (1 if toks[j] in _MORE else -1), j
                    break
            if pol:
                out.append(("cmp", before(at, 10), after(i, 5), pol))
            continue
        stem = next((s for s in _DIRECTED if tok.startswith(s)), None)
        if stem is None:
            continue
        subj, obj = before(i, 8), after(i, 6)
        passive = i > 0 and toks[i - 1] in _PASSIVE_AUX and "by" in toks[i + 1 : i + 4]
        if passive:
            subj, obj = obj, subj
        if subj and obj and not _same_name(subj, obj):
            out.append((f"verb:{stem}", subj, obj, 0))
    return out


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and _same_name(a, b)


# verbs that say the same thing from the other side: "Spain beat Italy" is "Italy lost to
# Spain"; a draft with one in the evidence's direction of the other reverses it
_CONVERSES = {
    "verb:lost": ("verb:beat", "verb:defeat"),
    "verb:lose": ("verb:beat", "verb:defeat"),
    "verb:beat": ("verb:lost", "verb:lose"),
    "verb:defeat": ("verb:lost", "verb:lose"),
}


def _from_the_other_side(draft: Facts, cited: Facts) -> bool:
    """Whether the draft says what the evidence says with the converse verb and the roles
    swapped: "Italy lost to Spain" over "Spain beat Italy" (not an opposite)."""
    return any(
        kind2 in _CONVERSES.get(kind, ()) and _same(left, right2) and _same(right, left2)
        for kind, left, right, _ in _relations(draft)
        for kind2, left2, right2, _ in _relations(cited)
    )


def _reversed(draft: Facts, cited: Facts) -> bool:
    theirs = _relations(cited)
    for kind, left, right, pol in _relations(draft):
        # "Argentina beat France ..., four years after Argentina lost to France": the
        # evidence states the draft's own relation too, and the converse is another event
        stated = any(
            k2 == kind and _same(left, l2) and _same(right, r2) for k2, l2, r2, _ in theirs
        )
        for kind2, left2, right2, pol2 in theirs:
            if kind2 in _CONVERSES.get(kind, ()):
                if not stated and _same(left, left2) and _same(right, right2):
                    return True  # "Italy lost to Spain" over "Italy beat Spain"
                continue
            if kind != kind2:
                continue
            if kind == "cmp":
                if _same(right, right2) and (left is None or left2 is None or _same(left, left2)):
                    if pol != pol2:
                        return True
                elif _same(left, right2) and _same(right, left2) and pol == pol2:
                    return True
            elif _same(left, right2) and _same(right, left2):
                return True
    return False


def _negated(facts: Facts, pos: int) -> list[str]:
    """The first three content stems after the negation cue at token ``pos``."""
    return [_stem(t) for t in facts.tokens[pos + 1 : pos + 8] if t not in _STOP and len(t) >= 3][:3]


def _negation_mismatch(draft: Facts, cited: Sequence[Facts]) -> bool:
    """Whether the draft negates what the evidence states, or states what it negates.

    A negation in the draft must be matched by one in the evidence that negates some of
    the same words ("did not approve the budget" / "refused to approve the budget"); a
    "no" elsewhere ("approved the budget, but no date was set") does not count. When the
    negated words are not in the evidence at all (a paraphrase: "no one was hurt" /
    "nobody was injured"), any negation in the evidence does.
    """
    if draft.negations:
        if not any(c.negations for c in cited):
            return True
        negated = {w for c in cited for pos in c.negations for w in _negated(c, pos)}
        stated = set().union(*(c.content for c in cited))
        for pos in draft.negations:
            words = set(_negated(draft, pos))
            if not words & negated and words & stated:
                return True
        return False
    for c in cited:
        for pos in c.negations:
            following = _negated(c, pos)
            if following and len(set(following) & draft.content) >= min(2, len(following)):
                return True
    return False


_SPEECH = frozenset(
    "said say says told argued argue argues warned warn warns claimed claim claims".split()
)


def _group_of_speakers(draft: Facts) -> bool:
    """A plural subject that speaks ("Critics said ...", "Officials say ..."): a brief
    may name the quoted side in a word of its own. "Putin said ..." is still checked (a
    name ending in s, "Harris said ...", is not: the check errs on the side of serving)."""
    toks = draft.tokens
    return len(toks) > 1 and toks[0].endswith("s") and toks[1] in _SPEECH


def _foreign_subject(
    draft: Facts, cited: Sequence[Facts], tokens: set[str], content: set[str]
) -> bool:
    """Whether the draft's subject is a name the evidence never gives, where the evidence
    names a subject of its own or the draft gives a full name ("Phil Robertson has
    suspended his show" over "A&E has suspended Robertson"); or a name it gives in another
    role (``_rival_subject``). A capitalised opening word
    is often not a name ("Authorities evacuated ...", "Several ..."), so it is only
    checked as part of a full name or against a rival: the evidence's own subject, or a
    name right before the same verb in it ("Putin met Lavrov" over "On Monday, Biden met
    Lavrov"). A group that speaks ("Critics said ...") is not checked."""
    subject = draft.subject
    if subject is None or _group_of_speakers(draft):
        return False
    if _has_name(subject, tokens) or _stem(subject) in content:
        return _rival_subject(draft, cited)
    if draft.subject_named:
        return True
    if any(c.subject is not None and c.subject != subject for c in cited):
        return True
    # a name right before the draft's verb in the evidence ("On Monday, Biden met ...")
    verb = draft.tokens[1]
    return any(
        t == verb and k > 0 and c.entity[k - 1] and not c.tokens[k - 1][0].isdigit()
        for c in cited
        for k, t in enumerate(c.tokens)
    )


# verbs that put words in a speaker's mouth ("Arce said ...", for ``_borrowed_claim``);
# others count only before "that" ("Toyota announced a recall", "Amazon added 500 jobs"
# are acts, "the United States" no statement)
_SAYING = frozenset("said says say told tells stated insisted insists argued argues".split())
_SAYING_BEFORE_THAT = _SAYING | frozenset(
    """announced announces added adds noted notes explained explains confirmed confirms
    claimed claims warned warns wrote writes declared declares""".split()
)
# a draft's speaker stands within this many words of its start ("Port director Luis Arce")
_SPEAKER_REACH = 8
# the share of a claim's content words a cited sentence must hold to be where it comes from
_CLAIM_SHARE = 0.5
# words between a speaker and the verb that are no part of the speaker ("Biden on Tuesday
# said", "Lee in March said")
_WHEN = (
    _WEEKDAYS
    | frozenset(_MONTHS.values())
    | frozenset("today yesterday tomorrow on in at last this".split())
)


def _saying_at(toks: Sequence[str], k: int) -> bool:
    """Whether token ``k`` is a verb of saying that reports words."""
    t = toks[k]
    return t in _SAYING or (
        t in _SAYING_BEFORE_THAT and k + 1 < len(toks) and toks[k + 1] == "that"
    )


def _speaker_before(facts: Facts, k: int) -> list[str]:
    """The names of the speaker before the verb at ``k`` (time words skipped, titles out)."""
    end = k
    while end > 0 and facts.tokens[end - 1] in _WHEN:
        end -= 1
    return [w for w in _name_run(facts, end) if w not in _TITLES and w not in _WHEN]


def _speakers(facts: Facts) -> list[tuple[str, ...]] | None:
    """The named speakers of a sentence: the names right before a verb of saying, or right
    after it ("..., said Mira Stein"); None when a verb of saying has a speaker who is not
    named there ("he said", "the mayor said"): who speaks is then not known."""
    out: list[tuple[str, ...]] = []
    toks = facts.tokens
    for k in range(len(toks)):
        if not _saying_at(toks, k):
            continue
        run = _speaker_before(facts, k)
        if not run:
            after = k + 1
            while after < len(toks) and (toks[after] in _TITLES or toks[after] == "the"):
                after += 1
            while after < len(toks) and facts.entity[after] and not toks[after][0].isdigit():
                run.append(toks[after])
                after += 1
        if not run:
            return None
        out.append(tuple(run))
    return out


def _borrowed_claim(draft: Facts, cited: Sequence[Facts]) -> bool:
    """Whether a draft puts one speaker's words in another's mouth: "Port director Luis
    Arce stated that Ocean Trust lawyer Mira Stein is prepared to defend the ruling" over
    "Luis Arce told reporters an appeal would be filed" and "Mira Stein said the group was
    prepared to defend the ruling". Every cited sentence that holds most of the claim (the
    words after the verb of saying) names a speaker of its own and never the draft's. A
    claim that some sentence gives without a named speaker ("..., he said") or with the
    draft's is not judged so."""
    toks = draft.tokens
    verb = next(
        (k for k in range(1, min(len(toks), _SPEAKER_REACH + 1)) if _saying_at(toks, k)), None
    )
    if verb is None:
        return False
    speaker = _speaker_before(draft, verb)
    if not speaker:
        return False
    claim = {
        _stem(t)
        for t in toks[verb + 1 :]
        if t not in _STOP and len(t) >= 3 and not t[0].isdigit() and t not in speaker
    }
    if not claim:
        return False
    holders = [c for c in cited if len(claim & c.content) >= _CLAIM_SHARE * len(claim)]
    if not holders:
        return False
    for c in holders:
        if _has_name(speaker[-1], set(c.tokens)):
            return False
        runs = _speakers(c)
        if not runs or all(_same_person(speaker, run) for run in runs):
            return False  # said by nobody named, someone unnamed, or the draft's speaker
    return True


def _name_run(facts: Facts, end: int) -> tuple[str, ...]:
    """The name phrase that ends right before token ``end``: capitalised words and the
    titles among them ("Russian President Vladimir Putin"); empty when a lower-case word
    or a number comes first."""
    start = end
    while start > 0 and (
        (facts.entity[start - 1] and not facts.tokens[start - 1][0].isdigit())
        or (facts.tokens[start - 1] in _TITLES and start - 1 < end - 1)
    ):
        start -= 1
    while start < end and facts.tokens[start] in _TITLES and not facts.entity[start]:
        start += 1  # a phrase starts at a name, not at "president"
    return facts.tokens[start:end]


# words after a subject that must recur for another name to be its rival ("has decided to")
_PREDICATE_REACH = 3


def _occurrences(cited: Sequence[Facts], words: Sequence[str]) -> Iterator[tuple[Facts, int]]:
    """Each place (sentence, token index > 0) where ``words`` occur in ``cited``."""
    n = len(words)
    for c in cited:
        for k in range(1, len(c.tokens) - n + 1):
            if c.tokens[k : k + n] == tuple(words):
                yield c, k


def _same_person(subject: Sequence[str], run: Sequence[str]) -> bool:
    """Whether an evidence name phrase names the draft's subject: by its last word ("Jesse
    Jackson" / "Jackson"), or by its first when the evidence gives that word alone ("Kim
    Jong Un" / "Kim"); "Phil Robertson" is not "Phil Jackson"."""
    words = set(run)
    return _has_name(subject[-1], words) or (len(run) == 1 and _has_name(subject[0], words))


def _rival_subject(draft: Facts, cited: Sequence[Facts]) -> bool:
    """Whether the draft's named subject, though the evidence names it, stands where the
    evidence has another name before the same words: "Phil Robertson has decided to weigh
    in on the comments that Phil Robertson made" over "Jesse Jackson has decided to weigh
    in on the comments that Phil Robertson made". Any place where the evidence has the
    draft's subject before those words, or a few words back ("Britain, France and Germany
    said ...", "Tim Cook, chief executive of Apple, said ..."), supports it; so do words
    that are all function words ("said it was")."""
    size = 0
    while size < len(draft.tokens) and (
        (draft.entity[size] and not draft.tokens[size][0].isdigit())
        or draft.tokens[size] in _TITLES
    ):
        size += 1  # "Russian President Vladimir Putin"
    size = size or 1
    predicate = draft.tokens[size : size + _PREDICATE_REACH]
    if len(predicate) < 2 or all(w in _STOP for w in predicate):
        return False
    subject = [w for w in draft.tokens[:size] if w not in _TITLES] or [draft.tokens[0]]
    rival = False
    for c, k in _occurrences(cited, predicate):
        run = [w for w in _name_run(c, k) if w not in _TITLES]
        near = c.tokens[max(0, k - _PREDICATE_REACH * 2) : k]
        if (run and _same_person(subject, run)) or _has_name(subject[-1], set(near)):
            return False
        rival = rival or bool(run)
    return rival


_DETERMINERS = frozenset("the a an this that these those its his her their".split())
# words after "The <noun>" that must recur for another noun to be its rival
_COPIED_REACH = 4


def _moved_noun(draft: Facts, cited: Sequence[Facts]) -> bool:
    """Whether "The <noun>" opens a draft that copies the evidence's next words after
    another noun, and those words hold the noun itself, as the evidence has it: "The photo
    used a photo of two men" over "The page used a photo of two men". A noun that only
    names the subject in other words passes ("The president said ..." over "President
    Obama said ...", "The company said ..." over "Ford said ...")."""
    toks = draft.tokens
    if len(toks) < 2 + _COPIED_REACH or toks[0] not in _DETERMINERS:
        return False
    head = toks[1]
    if head in _STOP or head[0].isdigit() or head not in toks[2:]:
        return False
    copied = toks[2 : 2 + _COPIED_REACH]
    rival = False
    for c, k in _occurrences(cited, copied):
        other = c.tokens[k - 1]
        if other == head or _stem(other) == _stem(head) or c.entity[k - 1]:
            return False
        rival = rival or (other not in _STOP and not other[0].isdigit())
    return rival


_CAPITALISED_PAIR = re.compile(r"(?=\b([A-Z][\w'’-]*)\.?\s+([A-Z][\w'’-]*)\b)")
_HONORIFICS = frozenset("mr mrs ms miss dr".split())
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


@dataclass(frozen=True, slots=True)
class StoryNames:
    """The capitalised words a story's articles write side by side ("Emmanuel Macron"),
    as name keys: each pair, and for each word the words seen right before it."""

    pairs: frozenset[tuple[str, str]]
    before: Mapping[str, frozenset[str]]
    after: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, texts: Iterable[str]) -> StoryNames:
        pairs: set[tuple[str, str]] = set()
        before: dict[str, set[str]] = {}
        after: dict[str, set[str]] = {}
        for text in texts:
            for m in _CAPITALISED_PAIR.finditer(text):
                a, b = _name_key(m.group(1)), _name_key(m.group(2))
                pairs.add((a, b))
                before.setdefault(b, set()).add(a)
                after.setdefault(a, set()).add(b)
        return cls(
            frozenset(pairs),
            {k: frozenset(v) for k, v in before.items()},
            {k: frozenset(v) for k, v in after.items()},
        )


def _is_name_word(key: str) -> bool:
    return len(key) > 1 and key not in _STOP and key not in _TITLES


def story_name_parts(draft: str, story: StoryNames) -> dict[str, frozenset[str]]:
    """The given names of the draft that the story writes before the surname the draft
    gives them: in "Emmanuel Macron said ...", "emmanuel" maps to {"macron"} when an
    article of the story writes "Emmanuel Macron" and puts no other name right before
    "Macron" ("Brigitte Macron"), nor a title or "Mr" that it never puts before "Emmanuel"
    ("President Biden" beside "Hunter Biden"). Titles and function words are no part of a name
    ("President", "The"), so they neither link nor are linked. With the map a draft may
    give the full name where the sentence it cites says "Macron" (``check_support``)."""
    runs: list[list[str]] = []
    prev_end: int | None = None
    for m in _CAPITALISED.finditer(draft):
        key = _name_key(m.group(0))
        if not _is_name_word(key):
            prev_end = None  # "President", "The": the run ends
            continue
        if runs and prev_end is not None and not draft[prev_end : m.start()].strip():
            runs[-1].append(key)
        else:
            runs.append([key])
        prev_end = m.end()
    out: dict[str, frozenset[str]] = {}

    def titled(word: str) -> bool:
        return any(w in _TITLES or w in _HONORIFICS for w in story.before.get(word, ()))

    for run in runs:
        if len(run) < 2:
            continue
        surname = run[-1]
        rivals = {w for w in story.before.get(surname, ()) if _is_name_word(w)} - {run[-2]}
        if rivals or not all((x, y) in story.pairs for x, y in zip(run, run[1:], strict=False)):
            continue
        if titled(surname) and not titled(run[0]):
            # "President Biden" and "his son Hunter Biden": the bare surname may be the
            # titled one, unless the story gives this name the title too ("President
            # Emmanuel Macron" beside "President Macron")
            continue
        for given in run[:-1]:
            out[given] = frozenset({surname})
    for run in runs:
        # the family name first ("Xi Jinping", "Kim Jong Un") where the evidence has it
        # alone ("Xi said"): the story writes the whole name and never another after its
        # first word, nor another name before any of the rest
        if len(run) < 2 or not all(
            (x, y) in story.pairs for x, y in zip(run, run[1:], strict=False)
        ):
            continue
        if any(
            {w for w in story.after.get(x, ()) if _is_name_word(w)} != {y}
            or {w for w in story.before.get(y, ()) if _is_name_word(w)} != {x}
            for x, y in zip(run, run[1:], strict=False)
        ):
            continue
        for rest in run[1:]:
            out[rest] = out.get(rest, frozenset()) | {run[0]}
    return out


def check_support(
    draft: Facts, cited: Sequence[Facts], name_parts: Mapping[str, frozenset[str]] | None = None
) -> list[str]:
    """The hard checks a draft fails against the union of ``cited`` (empty: it passes).

    ``name_parts`` (``story_name_parts``): a name of the draft counts as the evidence's
    when the story joins it to one the evidence has ("Emmanuel Macron" over "Macron")."""
    failures: list[str] = []
    numbers, tokens, content = _union(cited)
    if name_parts:
        tokens |= {n for n, parts in name_parts.items() if any(_has_name(p, tokens) for p in parts)}
    missing_numbers = sorted(n for n in draft.numbers if n not in numbers)
    if missing_numbers:
        failures.append(f"numbers not in the evidence: {missing_numbers}")
    missing_names = sorted(n for n in draft.names if not _has_name(n, tokens))
    if missing_names:
        failures.append(f"names not in the evidence: {missing_names}")
    if _foreign_subject(draft, cited, tokens, content):
        # "Putin met Lavrov" over "Biden met Lavrov": the subject is the sentence's own
        failures.append(f"subject not in the evidence, or there in another role: {draft.subject}")
    if _moved_noun(draft, cited):
        failures.append(f"subject is the evidence's in another role: {draft.tokens[1]}")
    if _borrowed_claim(draft, cited):
        failures.append("the claim is another speaker's in the evidence")
    if _negation_mismatch(draft, cited):
        failures.append("negation differs from the evidence")
    if opposite_words(draft.tokens, [c.tokens for c in cited]) and not any(
        _from_the_other_side(draft, c) for c in cited
    ):
        failures.append("says the opposite of the evidence (rose / fell, won / lost, ...)")
    if any(_reversed(draft, c) for c in cited):
        failures.append("a comparison or an action is reversed")
    return failures


# ---------------------------------------------------------------- quoted speech

_QUOTE_MARKS = '"“”'
# a sentence that opens a single-quoted quotation: a left single quote, or a straight one
# before a capital (a straight one before a digit or a small letter is '90s, 'em, 'til;
# 'Tis and 'Twas are words)
_SINGLE_OPEN = re.compile(r"^[\s(]*(?:‘|'(?=[A-Z])(?!T(?:is|was)\b))")
# the quotation's end: a right (or straight) single quote not followed by a letter
# (``They’re`` is an apostrophe; ``wrong,’ he said`` ends the quotation)
_SINGLE_CLOSE = re.compile(r"[’'](?![A-Za-z])")
_CURLY_SINGLE_CLOSE = re.compile(r"’(?![A-Za-z])")
# inside a paragraph: a straight single quote that opens a quotation (at a word's start,
# before a capital) and one that may close it (after a non-space, before no letter or
# digit; a plural possessive such as ``players' union`` counts as a close, which errs on
# the side of not reading a sentence as quoted)
_STRAIGHT_SINGLE_OPEN = re.compile(r"(?:^|(?<=[\s(\[—–-]))'(?=[A-Z])(?!T(?:is|was)\b)")
_STRAIGHT_SINGLE_CLOSE = re.compile(r"(?<=\S)'(?![A-Za-z0-9])")
# how far back a straight single quotation is looked for (a paragraph may be 100,000
# characters; a quotation rarely runs past a few sentences)
_STRAIGHT_SINGLE_WINDOW = 2000
_ATTRIBUTION = re.compile(
    r"\b(?:says?|said|saying|tells?|told|according to|add(?:s|ed)|asks?|asked|argues?|argued"
    r"|claims?|claimed|declares?|declared|notes?|noted|explains?|explained|warns?|warned"
    r"|insists?|insisted|writes?|wrote|states?|stated|calls?|called|describes?|described"
    r"|accuses?|accused|acknowledges?|acknowledged|admits?|admitted|denies|denied"
    r"|tweeted|posted|quoted|recalls?|recalled|responds?|responded|replied|vows?|vowed)\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def attributed(text: str, quotes: Sequence[str] = ()) -> bool:
    """Whether a sentence marks its words as someone's: quotation marks or a verb of saying.

    A sentence that copies one of ``quotes`` word for word is not attributed by a verb it
    copied with them (the "said" of ``He said he would sign it``, taken from inside a
    quotation, names the wrong speaker).
    """
    if any(q in text for q in _QUOTE_MARKS) or "‘" in text or _SINGLE_OPEN.match(text):
        return True
    words = _words(text)
    n = len(words)
    for quote in quotes:
        qw = _words(quote)
        if n and any(qw[i : i + n] == words for i in range(len(qw) - n + 1)):
            return False
    return _ATTRIBUTION.search(text) is not None


# what ends a paragraph for the quotation state: every line break the cleaner knows
_PARAGRAPH_BREAK = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]")


@dataclass(frozen=True, slots=True)
class _QuoteMarks:
    """Where a text's paragraph breaks and quotation marks are, found once per text."""

    breaks: list[int]
    curly: list[int]  # “ and ”
    straight: list[int]  # "
    left_single: list[int]  # ‘
    right_single: list[int]  # ’ that no letter follows (not an apostrophe)

    def paragraph_start(self, start: int) -> int:
        k = bisect.bisect_left(self.breaks, start)
        return self.breaks[k - 1] + 1 if k else 0

    @staticmethod
    def last_before(marks: list[int], lo: int, start: int) -> int:
        """The last position in ``marks`` within ``[lo, start)``, or -1."""
        k = bisect.bisect_left(marks, start)
        return marks[k - 1] if k and marks[k - 1] >= lo else -1

    @staticmethod
    def count(marks: list[int], lo: int, start: int) -> int:
        return bisect.bisect_left(marks, start) - bisect.bisect_left(marks, lo)


@functools.lru_cache(maxsize=16)
def _quote_marks(text: str) -> _QuoteMarks:
    # every sentence of an article asks about its own start; indexing the text once keeps
    # that linear in the article (a one-paragraph article may be megabytes)
    def where(pattern: str) -> list[int]:
        return [m.start() for m in re.finditer(pattern, text)]

    return _QuoteMarks(
        breaks=[m.start() for m in _PARAGRAPH_BREAK.finditer(text)],
        curly=where("[“”]"),
        straight=where('"'),
        left_single=where("‘"),
        right_single=[m.start() for m in _CURLY_SINGLE_CLOSE.finditer(text)],
    )


def _open_at(text: str, start: int) -> bool:
    """Whether a quotation is open at ``start``, from the quote marks earlier in its paragraph.

    The state is set by the paragraph's last curly quote before ``start``, then flipped by
    every straight quote after it.
    """
    marks = _quote_marks(text)
    para = marks.paragraph_start(start)
    last_curly = marks.last_before(marks.curly, para, start)
    open_quote = last_curly >= 0 and text[last_curly] == "“"
    if marks.count(marks.straight, max(para, last_curly + 1), start) % 2:
        open_quote = not open_quote
    return open_quote


def _split_quotes(sentence: str, open_quote: bool) -> tuple[str, str]:
    """``sentence`` as (its words outside quotation marks, its words inside them).

    Both strings keep the sentence's length: the other part's characters and the quote
    marks themselves become spaces.
    """
    outside: list[str] = []
    inside: list[str] = []
    for ch in sentence:
        if ch == '"':
            open_quote = not open_quote
        elif ch == "“":
            open_quote = True
        elif ch == "”":
            open_quote = False
        quote_mark = ch in _QUOTE_MARKS
        outside.append(" " if open_quote or quote_mark else ch)
        inside.append(ch if open_quote and not quote_mark else " ")
    return "".join(outside), "".join(inside)


def _outside_quotes(sentence: str, open_quote: bool) -> str:
    """The characters of ``sentence`` outside quotation marks (quoted ones become spaces)."""
    return _split_quotes(sentence, open_quote)[0]


# a draft that keeps this many words of a quotation in a row, and most of its own words
# there, copies the quotation ("Rihanna's latest fragrance is about taking control but
# still being a lady." over "... explaining: 'My new fragrance is about taking control
# but still being a lady.")
_QUOTED_RUN = 6
_QUOTED_SHARE = 0.6
_SINGLE_QUOTE_OPEN = re.compile(r"‘|(?:^|(?<=[\s(\[—–:-]))'(?=[A-Z])(?!T(?:is|was)\b)")


def _double_quoted(sentence: str, open_quote: bool) -> list[str]:
    """The pieces of ``sentence`` inside double quotation marks, in order (the first from
    the start when a quotation is open there)."""
    pieces: list[str] = []
    piece: list[str] | None = [] if open_quote else None
    for ch in sentence + "“":  # the sentinel ends the last piece
        opens = ch == "“" or (ch == '"' and piece is None)
        if ch in '“”"':
            if piece is not None:
                pieces.append("".join(piece))
            piece = [] if opens else None
        elif piece is not None:
            piece.append(ch)
    return pieces


def _quoted_title(piece: str) -> bool:
    """Whether a quoted piece is a title (``"The Girl With the Dragon Tattoo"``), not
    somebody's words: title case, and no sentence punctuation before the closing mark."""
    return piece.rstrip()[-1:] not in ".,!?…:;" and _title_case(piece)


def _single_quoted(sentence: str, open_quote: bool) -> list[str]:
    """The pieces of ``sentence`` inside single quotation marks: from an opening mark (or
    the start, when a quotation is open there) to its closing mark or the end."""
    inside: list[str] = []
    pos = 0
    while pos <= len(sentence):
        if open_quote:
            begin, open_quote = pos, False
        else:
            m = _SINGLE_QUOTE_OPEN.search(sentence, pos)
            if m is None:
                break
            begin = m.end()
        close = _SINGLE_CLOSE.search(sentence, begin)
        stop = close.start() if close else len(sentence)
        inside.append(sentence[begin:stop])
        pos = stop + 1
    return inside


def _longest_run(words: Sequence[str], other: Sequence[str]) -> int:
    """The most words in a row that ``words`` and ``other`` share."""
    best = 0
    prev = [0] * (len(other) + 1)
    for w in words:
        cur = [0] * (len(other) + 1)
        for j, o in enumerate(other):
            if w == o:
                cur[j + 1] = prev[j] + 1
                best = max(best, cur[j + 1])
        prev = cur
    return best


def copies_quoted_words(
    draft: str, text: str, start: int, end: int, *, with_attribution: bool = False
) -> bool:
    """Whether ``draft`` copies the quoted words of ``text[start:end]``: word for word, or
    in a run of at least ``_QUOTED_RUN`` words that holds most of the draft's words and
    no verb of saying beside it.

    ``One source told Page Six, "Rihanna feels she has earned it."`` names its speaker,
    but a draft that keeps only ``Rihanna feels she has earned it.`` does not; nor does
    one that turns the speaker's "my new fragrance" into "Rihanna's latest fragrance".
    Double quotation marks and single ones (opened in the sentence, or earlier in its
    paragraph) count; a quoted title (``_quoted_title``) does not: ``The Girl With the
    Dragon Tattoo opens on Friday.`` names the film that its evidence puts in quotes.
    ``with_attribution``: a near copy counts even where the draft has a verb of saying of
    its own (whether that verb names the right speaker is for ``speaker_dropped``).
    """
    if not 0 <= start < end <= len(text):
        return False
    words = _words(draft)
    n = len(words)
    if not n:
        return False
    sentence = text[start:end]
    double = _double_quoted(sentence, _open_at(text, start))
    single = _single_quoted(sentence, _single_open_at(text, start))
    for pieces in (double, single):
        part = " ".join(p for p in pieces if not _quoted_title(p))
        inside = _words(part)
        if any(inside[i : i + n] == words for i in range(len(inside) - n + 1)):
            return True
        if not with_attribution and _ATTRIBUTION.search(draft):
            continue  # "Tom Ridley said the plan is ...": a near copy that names a speaker
        run = _longest_run(words, inside)
        if run >= _QUOTED_RUN and run >= _QUOTED_SHARE * n:
            return True
    return False


def _single_open_at(text: str, start: int) -> bool:
    """Whether a single-quoted quotation opened earlier in the paragraph is still open at
    ``start``.

    A left single quote ``‘`` stays open until a right one ends it. A straight one is an
    apostrophe as often as not, so only one at a word's start before a capital opens a
    quotation (``'We will win.``), and any straight quote after a non-space that no
    letter or digit follows closes it (``win,'``, ``win.'``, ``players' union``).
    """
    marks = _quote_marks(text)
    para = marks.paragraph_start(start)
    opened = marks.last_before(marks.left_single, para, start)
    # a ’ right before ``start`` closes, whatever follows it (the sentence ends there)
    closed = marks.last_before(marks.right_single, opened + 1, start) >= 0 or (
        start - 1 > opened and text[start - 1] == "’"
    )
    if opened >= 0 and not closed:
        return True
    window = max(para, start - _STRAIGHT_SINGLE_WINDOW)
    opens = [m.end() for m in _STRAIGHT_SINGLE_OPEN.finditer(text, window, start)]
    return bool(opens) and _STRAIGHT_SINGLE_CLOSE.search(text, opens[-1], start) is None


def quoted_speech(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a sentence of somebody's quoted words, unattributed.

    True when the sentence opens with a quotation mark (double, or a single one as British
    outlets use) or starts inside a quotation left open earlier in its paragraph (straight
    double quotes toggle; curly ones open and close), and has no verb of saying outside
    the quoted words (``..., he said.`` attributes the quote; "asked" inside the
    quotation does not). A single-quoted title at the start (``‘Frozen’ tops ...``) is not
    speech, nor is a double-quoted one in title case (``"The Girl With the Dragon Tattoo"
    opens ...``).
    """
    if not 0 <= start < end <= len(text):
        return False
    open_quote = _open_at(text, start)
    sentence = text[start:end]
    single = None if open_quote else _SINGLE_OPEN.match(sentence)
    if single or (not open_quote and _single_open_at(text, start)):
        close = _SINGLE_CLOSE.search(sentence, single.end() if single else 0)
        outside = sentence[close.end() :] if close else ""
        if close and sentence[: close.start()].rstrip()[-1:] not in ".,!?…" and _words(outside):
            return False  # a title or a scare quote (‘Frozen’ tops the box office)
        return _ATTRIBUTION.search(_outside_quotes(outside, False)) is None
    if not (open_quote or sentence.lstrip()[:1] in ('"', "“")):
        return False
    outside = _outside_quotes(sentence, open_quote)
    if not open_quote and _words(outside) and _quoted_title(_double_quoted(sentence, False)[0]):
        return False  # a title ("The Girl With the Dragon Tattoo" opens on Friday.)
    return _ATTRIBUTION.search(outside) is None


# ---------------------------------------------------------------- the writer's own voice

# "I" followed by "-" or "." is a road (I-95) or an initial (John I. Smith); "us" is
# lower case only ("US" is the country, "Us Weekly" a magazine); "mine" is left out (a
# coal mine)
_FIRST_PERSON = re.compile(
    r"\b(?:I(?![-.])|I['’](?:m|ve|d|ll)|[Mm]e|[Mm]y|[Mm]yself|[Ww]e|[Ww]e['’](?:re|ve|d|ll)"
    r"|us|[Oo]urs?|[Oo]urselves|[Ll]et['’]s)\b"
)
# "I" after these is a numeral (World War I, Title I, Charles I), not the writer
_NUMERAL_BEFORE_I = frozenset(
    """war title phase class type part chapter grade level stage article division section
    category tier season volume vol act world henry elizabeth charles james george william
    edward mary louis richard john""".split()
)


def _starts_open(sentence: str) -> bool:
    """Whether a sentence seen on its own begins inside a quotation.

    True when its first quote mark closes one: a curly closing mark, or a straight mark
    with an odd count that sits right after a word or punctuation (``votes," he said``).
    """
    for i, ch in enumerate(sentence):
        if ch == "”":
            return True
        if ch == "“":
            return False
        if ch == '"':
            return sentence.count('"') % 2 == 1 and i > 0 and not sentence[i - 1].isspace()
    return False


def _third_party_speaker(outside: str) -> bool:
    """Whether a verb of saying in ``outside`` has someone other than the writer around it.

    ``..., the ministry said`` or ``according to police`` name a speaker; ``I told``,
    ``told us`` and ``our correspondent says`` are the writer again.
    """
    for m in _ATTRIBUTION.finditer(outside):
        # a window around the verb is enough for three words, and keeps a long sentence linear
        before = " ".join(_TOKEN.findall(outside[max(0, m.start() - 80) : m.start()])[-3:])
        after = " ".join(_TOKEN.findall(outside[m.end() : m.end() + 40])[:1])
        if not _FIRST_PERSON.search(before) and not _FIRST_PERSON.search(after):
            return True
    return False


def first_person(sentence: str, open_quote: bool | None = None) -> bool:
    """Whether ``sentence`` speaks as "I" or "we" in the voice of its writer, thanks or
    greets someone as its writer ("Thanks for clearing that up, Paul."), urges the
    reader ("It's time to clarify a few details about ...") or speaks to the reader as
    "you" ("If you drive a Tarrant Ridgeline, check your dashboard.").

    That is the writer of an article talking (a columnist, a first-hand report, "our
    correspondent says"): not a fact a neutral brief can state in its own voice. Words
    inside quotation marks do not count, nor does a sentence that reports somebody's words
    without them (``We will not back down, the minister said``). ``open_quote`` says
    whether the sentence starts inside a quotation (inferred from the sentence alone when
    None). "US" is the country, "I" after ``War``, ``Title``, ``Charles`` ... is a
    numeral, and a capitalised "My", "Our" or "Me" past the first word is part of a name.
    """
    if open_quote is None:
        open_quote = _starts_open(sentence)
    outside = _outside_quotes(sentence, open_quote)
    opening = outside.lstrip(_OPENING_PUNCT)
    mine = (
        _speaks_as_i(outside)
        or _GREETING.match(opening) is not None
        or _EXHORTATION.match(opening) is not None
        or _READER.search(_SINGLE_QUOTED.sub(" ", outside)) is not None
        or _READER_FIRST.match(opening) is not None
    )
    return mine and not _third_party_speaker(outside)


# the writer thanking or greeting someone: a greeting word and a comma or "!" ("Thanks,
# Paul!", "Congratulations, graduates!"), or thanks "for" something to someone named at
# the end ("Thanks for clearing that up, Paul."); not "Thanksgiving", "Thanks in part to
# the rain", nor a title such as "Sorry to Bother You" or "Thank You for Your Service"
_GREETING = re.compile(
    r"(?i:thanks|thank\s+you|sorry|congratulations|congrats|cheers|hey|hi|hello|welcome)"
    r"\s*[,!]"
    r"|(?i:thanks|thank\s+you)\s+for\s+[a-z][^.!?]*,\s*[A-Z][\w'’-]*[.!]$"
)
# the writer urging the reader ("It's time to clarify a few details about ...", "It is high
# time we ..."): an opinion of the writer's, not a fact; "It's time for the vote" is left
_EXHORTATION = re.compile(r"(?i:it['’]s|it\s+is)\s+(?:(?i:high|about)\s+)?time\s+(?:to|we)\b")
_OPENING_PUNCT = " \t\"'“‘(["
# the writer speaking to the reader ("If you drive a Tarrant Ridgeline or Vela, check your
# dashboard."): lower-case "you" outside quotation marks, or "You"/"Your" opening the
# sentence; a capitalised "You" inside is a title ("Thank You for Your Service"), and
# "mind you" an aside, not an address
_READER = re.compile(
    r"(?<!\bmind )(?<!\bMind )(?<!\bthank-)(?<!\bThank-)\b(?:you|your|yours|yourself|yourselves)\b"
)
_READER_FIRST = re.compile(r"(?:You|Your)\s+[a-z]")
# words in single quotation marks ("signs reading 'We see you'"): not the writer's
_SINGLE_QUOTED = re.compile(r"(?<!\w)['‘][^'‘’\n]+['’](?!\w)")


def _speaks_as_i(outside: str) -> bool:
    """Whether text outside quotation marks has "I", "we", "my", ... as the first person."""
    for m in _FIRST_PERSON.finditer(outside):
        word = m.group(0)
        if word == "I":
            before = _TOKEN.findall(outside[max(0, m.start() - 40) : m.start()])
            if before and before[-1].lower() in _NUMERAL_BEFORE_I:
                continue
        elif word[0].isupper() and _TOKEN.search(outside, 0, m.start()):
            continue  # "My", "Our" past the first word is a name: the Me Too movement
        return True
    return False


# "..., according to ABC's "This Week."": the source a sentence gives for its words
_ACCORDING = re.compile(r"(?i)\baccording\s+to\s+([\w'’.&-]+(?:\s+[\w'’.&-]+){0,5})")
_SPEAKER_WINDOW = 12  # words before a verb of saying that may name its speaker (an
# apposition may stand between: "Chuck Schumer, the Senate Democratic leader, said")


def _speaker_window(facts: Facts) -> set[str] | None:
    """The words that may name the speaker of each verb of saying in ``facts``: the few
    words before it ("Sen. Mitt Romney, R-Utah, said", "Chuck Schumer of New York said")
    and the name phrase right after it ("said Israeli Prime Minister Benjamin Netanyahu");
    None where a verb of saying has a speaker who is not named ("he said", "the Kentucky
    Republican said"): who speaks is then open."""
    toks = facts.tokens
    out: set[str] = set()
    for k in range(len(toks)):
        if not _saying_at(toks, k):
            continue
        end = k
        while end > 0 and toks[end - 1] in _WHEN:
            end -= 1
        run = _name_run(facts, end)
        start = end - len(run)
        named = [w for w in run if w not in _TITLES]
        if named and start > 0 and toks[start - 1] in ("the", "a", "an"):
            return None  # "the Kentucky Republican said"
        if not named:
            j = k + 1
            while j < len(toks) and toks[j] == "the":
                j += 1
            while j < len(toks) and (facts.entity[j] or toks[j] in _TITLES):
                if not toks[j][0].isdigit() and toks[j] not in _TITLES:
                    named.append(toks[j])
                j += 1
            if not named:
                return None
            out.update(named)
        out.update(toks[max(0, end - _SPEAKER_WINDOW) : end])
    return out


def speaker_dropped(sentence: str, cited: Sequence[str], quoted: bool = False) -> bool:
    """Whether a sentence gives somebody's words "according to" a named source that is not
    their speaker: 'I would consider them reprehensible, according to CNN's "State of the
    Union."' over 'I would consider them reprehensible," Plouffe said on CNN's "State of the
    Union."'. Every cited sentence names the speaker of those words beside its verb of
    saying (outside the quoted words), and no word of the source names one of them.

    Judged for words in the first person outside quotation marks (:func:`first_person`
    lets them pass when the sentence has an attribution of its own, and here it names
    the wrong source) and, with ``quoted``, for a sentence whose every citation is a
    quotation (or that copies quoted words). Only "according to" a source with a name
    in it is judged ("according to the opposition" may well be the speaker's side); a
    sentence with a verb of saying of its own outside its quotation marks names its
    speaker in ways this check does not read, and a cited sentence whose speaker is not
    named ("he said") leaves the speaker open."""
    if not cited:
        return False
    outside = _outside_quotes(sentence, _starts_open(sentence))
    found = _ACCORDING.search(outside)
    if found is None or not (quoted or _speaks_as_i(outside)):
        return False
    source_facts = text_facts(found.group(1))
    source = {
        t.removesuffix("'s").removesuffix("’s")
        for t, e in zip(source_facts.tokens, source_facts.entity, strict=True)
        if e and t not in _TITLES and t not in _WHEN  # "a statement released Tuesday"
    }
    if not source or _speakers(text_facts(outside)):
        return False  # no name to judge, or a verb of saying with a subject of its own
    for quote in cited:
        window = _speaker_window(text_facts(_outside_quotes(quote, _starts_open(quote))))
        if window is None or any(_has_name(w, window) for w in source):
            return False
    return True


# a number placed: "412,380 vehicles in the United States", "38,200 in Canada" (up to four
# words between; the place is a capitalised name, "the" left out)
_PLACED_NUMBER = re.compile(
    r"(?<![\w.,])(\d[\d,.]*\d|\d)(\s+(?:million|billion|trillion))?"
    r"(?:\s+[\w'’-]+){0,4}?\s+(?:in|across|from)\s+"
    r"(?:the\s+)?([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})"
)


def _placed_numbers(text: str) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for m in _PLACED_NUMBER.finditer(text):
        place = tuple(_POSSESSIVE_END.sub("", w).lower() for w in m.group(3).split())
        if place[0] in _WEEKDAYS:
            continue  # "5 people in Monday's attack" places them in no place
        out.append((m.group(1).replace(",", "").rstrip(".") + (m.group(2) or ""), place))
    return out


_POSSESSIVE_END = re.compile(r"['’]s?$")


def _same_place(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One place name is the other or starts it ("Gaza", "Gaza City")."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def misplaced_number(text: str, quotes: Sequence[str]) -> bool:
    """Whether ``text`` places a number where no quote does while a quote places that
    number elsewhere: "recalling 412,380 vehicles in Canada" cited to "412,380 vehicles in
    the United States" and "38,200 vehicles in Canada". Two facts of two sentences merged
    into one that neither says. (Another number in the same place is no conflict: "killed
    30 people in Gaza" beside "2 million people live in Gaza".)"""
    theirs = [pair for q in quotes for pair in _placed_numbers(q)]
    for number, place in _placed_numbers(text):
        same = [p for n, p in theirs if n == number]
        if same and not any(_same_place(p, place) for p in same):
            return True
    return False


# ---------------------------------------------------------------- who "he" is

# a personal pronoun of the third person singular: a brief must have told who it is
_PERSONAL = re.compile(r"\b(?:[Hh]e|him|[Hh]is|himself|[Ss]he|[Hh]er|hers|herself)\b")
# people named by what they are ("a Texas tourist", "the soldier"): a pronoun may stand for
# one, and a brief that has one has told who "she" may be
_PERSON_NOUNS = frozenset(
    """man woman men women boy girl child baby son daughter father mother husband wife
    brother sister grandfather grandmother grandson granddaughter uncle aunt nephew niece
    friend boyfriend girlfriend stepdaughter stepson stepfather stepmother tourist visitor
    student teacher pupil soldier suspect victim officer driver pilot passenger worker
    employee manager coach player patient doctor nurse lawyer judge defendant plaintiff
    owner resident neighbour neighbor gunman attacker witness survivor singer actor
    actress author writer rancher farmer teenager customer prisoner inmate detainee
    refugee migrant""".split()
)  # not offices ("also president for Scott Valley ..."): mostly said of a named person
_OPENS_SENTENCE = re.compile(r"(?:^|[.!?][\"'”’)]*\s+)[\"'“‘(\[]*$")
_AFTER_OPEN_QUOTE = re.compile(r"[\"“‘(\[]$")
_WORD_TOKEN = re.compile(r"[\w'’-]+")
_CALENDAR = _WEEKDAYS | frozenset(_MONTHS.values()) | frozenset({"may"})


def story_name_words(texts: Iterable[str]) -> frozenset[str]:
    """The words a story writes capitalised inside a sentence (name keys): which of the
    words that open a sentence are names ("Shaw said ..."), and which only capitalised
    there ("Ask me in April")."""
    out: set[str] = set()
    for text in texts:
        for m in _CAPITALISED.finditer(text):
            if not _opens(text, m.start()):
                out.add(_name_key(m.group(0)))
    return frozenset(out)


def _opens(text: str, start: int) -> bool:
    before = text[max(0, start - 8) : start]
    return _OPENS_SENTENCE.search(before) is not None or (
        _AFTER_OPEN_QUOTE.search(before) is not None
    )


def _name_runs(text: str, known: frozenset[str], *, people: bool = False) -> list[list[str]]:
    """The names of ``text`` as runs of name keys ("Sergio Paletti"): capitalised words
    that are neither function words nor titles nor days and months; one that opens a
    sentence only when the story writes it capitalised elsewhere (``known``). With
    ``people``, a name after a preposition of place ("in California", "of Red Bluff") is
    left out: it names a place more often than a person."""
    runs: list[list[str]] = []
    end: int | None = None
    skipping = False
    for m in _CAPITALISED.finditer(text):
        key = _name_key(m.group(0))
        if not _is_name_word(key) or key in _CALENDAR:
            end = None
            continue
        if _opens(text, m.start()) and key not in known:
            continue
        if runs and end is not None and not text[end : m.start()].strip():
            if not skipping:
                runs[-1].append(key)
        else:
            skipping = people and bool(
                _PLACE_BEFORE.search(text[max(0, m.start() - 12) : m.start()])
            )
            if not skipping:
                runs.append([key])
        end = m.end()
    return runs


_PLACE_BEFORE = re.compile(r"(?i)\b(?:in|at|from|near|of|to|across|outside|inside|into)\s+$")


def _names(text: str, known: frozenset[str]) -> set[str]:
    return {key for run in _name_runs(text, known) for key in run}


def _spoken(text: str) -> str:
    """``text`` outside its quotation marks: names inside a quotation are not who speaks
    it, nor whom "he" stands for."""
    return _outside_quotes(text, _starts_open(text))


def story_surnames(texts: Iterable[str], known: frozenset[str]) -> frozenset[str]:
    """The words a story writes last in a name of two words or more ("Greta Vossberg":
    vossberg): alone elsewhere ("Vossberg died ..."), such a word names a person, where a
    word the story only writes first ("Aldermoor United") does not."""
    out: set[str] = set()
    for text in texts:
        out.update(run[-1] for run in _name_runs(text, known) if len(run) > 1)
        # a full name that opens a sentence ("Greta Vossberg, a former mayor, ..."): its
        # first word is capitalised there anyway, so it is not a known name word
        for m in _OPENING_PAIR.finditer(text):
            first, last = _name_key(m.group(1)), _name_key(m.group(2))
            if _is_name_word(first) and _is_name_word(last) and last not in _CALENDAR:
                out.add(last)
    return frozenset(out)


_OPENING_PAIR = re.compile(
    r"(?:^|[.!?][\"'”’)]*\s+)[\"'“‘(]*([A-Z][\w'’-]*)\s+([A-Z][\w'’-]*)(?![\w'’-]*\s+[A-Z])"
)


def _people(text: str, known: frozenset[str], surnames: frozenset[str]) -> set[str]:
    """Who ``text`` names, as far as words tell, by surname: the last word of each of its
    full names ("Aldermoor manager Sergio Paletti": paletti) and each name alone that the
    story writes as a surname (``story_surnames``: "Vossberg died at her home in Ellery
    Point"), where it has any, else every name in it; words inside quotation marks and
    names after a preposition of place ("in California") left out."""
    runs = _name_runs(_spoken(text), known, people=True)
    people = {run[-1] for run in runs if len(run) > 1 or run[0] in surnames}
    return people or {run[-1] for run in runs}


# "a Texas tourist", "the soldier", "this man": a person noun after an article or a
# demonstrative, up to two words between
_DETERMINED = re.compile(r"(?i)\b(?:a|an|the|this|that)\s+(?:[\w'’-]+\s+){0,2}$")
# "Mark Baird, a Scott Valley rancher": the noun is said of a name before it
_APPOSITION = re.compile(r"[A-Z][\w'’-]*,\s+(?:a|an|the)\s+(?:[\w'’-]+\s+){0,4}$")


def _unnamed_person(text: str) -> bool:
    """Whether ``text`` mentions a person by what they are and not by name, after an
    article or a demonstrative: "a Texas tourist", "the man"; not "manager Sergio
    Paletti", "her father, Daniel Gold", "Mark Baird, a Scott Valley rancher" nor "her
    child" (someone's, not one "she" could be)."""
    for m in _WORD_TOKEN.finditer(text):
        if m.group(0).lower() not in _PERSON_NOUNS:
            continue
        before = text[max(0, m.start() - 60) : m.start()]
        rest = text[m.end() : m.end() + 3].lstrip(" ,")
        if rest[:1].isupper() or _APPOSITION.search(before) or not _DETERMINED.search(before):
            continue
        return True
    return False


_CONTEXT_SENTENCES = 3  # how far back in its article a pronoun's person is looked for
_FEMALE = frozenset("she her hers herself".split())
_MALE = frozenset("he him his himself".split())


def _leads_with(line: str, pronouns: frozenset[str], known: frozenset[str]) -> bool:
    """Whether ``line`` says one of ``pronouns`` before it names anyone: the person of a
    pronoun after it is then named further back ("She resigned in 2001 after clashing
    with Prime Minister Aurel Costin. He later said she had been right. Colleagues
    described her as blunt.")."""
    spoken = _spoken(line)
    first = next((m for m in _PERSONAL.finditer(spoken) if m.group(0).lower() in pronouns), None)
    return first is not None and not _names(spoken[: first.start()], known)


def dangling_pronoun(
    text: str,
    told: Sequence[str],
    sources: Sequence[tuple[str, Sequence[str]]],
    known: frozenset[str] = frozenset(),
    surnames: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``text`` says "he" or "she" of a person the brief never named.

    ``told`` is what the brief says before ``text``; ``sources`` gives, for each cited
    sentence, its text and the sentences before it in its article (nearest last). The
    pronoun dangles when ``text`` names nobody and no person before it, and every cited
    sentence tells who it is only through names (in itself before its pronoun, or in the
    nearest sentence before it that names anyone) that the brief has not given: "By
    Monday lunchtime the arithmetic had turned against him." after a line on Lena Varga,
    where its article's line before names Adrian Kos. Where a cited sentence's person is
    someone unnamed ("the soldier"), or the brief has told of one ("a Texas tourist"),
    a pronoun may stand for them, and nothing is refused.
    """
    m = _PERSONAL.search(text)
    if m is None:
        return False
    if _names(_spoken(text), known) or _unnamed_person(text[: m.start()]):
        return False
    said = set().union(*(_names(t, known) for t in told)) if told else set()
    if any(_unnamed_person(t) for t in told):
        return False
    for quote, before in sources:
        q = _PERSONAL.search(quote)
        head = quote[: q.start()] if q else quote
        if _unnamed_person(head):
            return False
        people = _people(head, known, surnames)
        if not people and q is not None:
            same = _FEMALE if q.group(0).lower() in _FEMALE else _MALE
            for line in list(before)[::-1][:_CONTEXT_SENTENCES]:
                if _unnamed_person(line):
                    return False
                if _leads_with(line, same, known):
                    continue  # "She resigned ... with Aurel Costin": "she" is further back
                people = _people(line, known, surnames)
                if people:
                    break
        if not people or people & said:
            return False
    return bool(sources)


# a person's age: "Vossberg, 87, died ...", "Greta Vossberg ... has died at the age of 86"
_AGE_AFTER_NAME = re.compile(r"\b((?:[A-Z][\w'’-]+\s+){0,2}[A-Z][\w'’-]+),\s+(\d{1,3}),")
_AGE_PHRASE = re.compile(r"(?i)\b(?:at\s+the\s+age\s+of|aged|died\s+at)\s+(\d{1,3})\b")


def ages(text: str, known: frozenset[str] = frozenset()) -> list[tuple[str, str | None, str]]:
    """The ages ``text`` gives people: (surname key, given name key or None, age), from
    "Vossberg, 87," and "at the age of 86" (the age of the sentence's first name, its
    subject as a rule)."""
    out: list[tuple[str, str | None, str]] = []
    for m in _AGE_AFTER_NAME.finditer(text):
        words = [_name_key(w) for w in m.group(1).split()]
        words = [w for w in words if _is_name_word(w) and w not in _CALENDAR]
        if words:
            out.append((words[-1], words[-2] if len(words) > 1 else None, m.group(2)))
    phrase = _AGE_PHRASE.search(text)
    if phrase:
        runs = _name_runs(_spoken(text[: phrase.start()]), known, people=True)
        if runs:
            run = runs[0]
            out.append((run[-1], run[-2] if len(run) > 1 else None, phrase.group(1)))
    return out


def conflicting_age(text: str, told: Sequence[str], known: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` gives a person another age than a line before it in the brief
    (``told``) does: "Vossberg, 87, died on Sunday" after "Greta Vossberg ... has died at
    the age of 86". Outlets disagree on ages; a brief gives one. Two given names with one
    surname ("Benjamin Ullestad, 25, and Brandon Ullestad, 22") are two people."""
    mine = ages(text, known)
    if not mine:
        return False
    theirs = [a for line in told for a in ages(line, known)]
    for who, given, age in mine:
        for other, other_given, other_age in theirs:
            if other != who or (given and other_given and given != other_given):
                continue
            if other_age != age:
                return True
    return False


# a change to a value, and its direction: "weakened to a Category 3", "rose to 4.1 percent"
_CHANGE_TO = re.compile(
    r"(?i)\b(strengthen|weaken|intensif|rose|rise|rising|risen|fell|fall|fallen|climb|drop"
    r"|decreas|increas|jump|slump|slipp|slip|surg|plung|gain|lost|lose|losing|rais|upgrad"
    r"|downgrad)\w*\s+(?:back\s+)?(?:to|into)\s+(?:an?\s+|the\s+)?(?:[A-Za-z$£€]+\s+){0,2}?"
    r"\$?(\d+(?:[.,]\d+)*)"
)
_UP = frozenset(
    "strengthen intensif rose rise rising risen climb increas jump surg gain rais upgrad".split()
)


def _changes(text: str) -> set[tuple[bool, str]]:
    return {
        (m.group(1).lower() in _UP, m.group(2).replace(",", "")) for m in _CHANGE_TO.finditer(text)
    }


def reversed_change(text: str, quotes: Sequence[str]) -> bool:
    """Whether ``text`` has a value reached in the direction opposite to its sources: "as
    it weakened to a Category 3 storm" cited to "strengthened to a Category 3 storm" (the
    storm later came ashore as a Category 1). Only where a source names the same value
    reached the other way and none names it reached this way."""
    theirs = set().union(*(_changes(q) for q in quotes)) if quotes else set()
    return any(
        (not up, value) in theirs and (up, value) not in theirs for up, value in _changes(text)
    )


def first_person_at(text: str, start: int, end: int) -> bool:
    """``first_person`` for the sentence ``text[start:end]``, quote state from its paragraph."""
    if not 0 <= start < end <= len(text):
        return False
    return first_person(text[start:end], _open_at(text, start))


# ---------------------------------------------------------------- citing


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _citation(member: Sentence, articles: Mapping[str, Article]) -> Citation:
    article = articles.get(member.article_id)
    if article is None:
        raise InputError(f"no article {member.article_id!r} for a cited sentence", "articles")
    if not 0 <= member.start < member.end <= len(article.text):
        raise InputError(
            f"sentence offsets {member.start}:{member.end} lie outside article "
            f"{member.article_id!r} ({len(article.text)} characters)"
        )
    quote = article.text[member.start : member.end]
    if quote != member.text:
        log.warning(
            "sentence %s text differs from its article slice; quoting the slice", member.key
        )
    return Citation(
        article_id=member.article_id,
        outlet=member.outlet,
        url=article.url,
        quote=quote,
        start=member.start,
        end=member.end,
    )


# words that attribute ("Variety reports that ..."): a draft adds them without a line of
# their own; and how many other evidence groups may hold a word for it to be a detail
_ATTRIBUTING = frozenset(
    _stem(w)
    for w in """report reports reported reporting announce announced announces confirm
    confirmed confirms add added adds note noted notes explain explained explains""".split()
)
DETAIL_MAX_GROUPS = 2
# a detail is a thing or a place: a noun after one of these ("at the airport", "a fence")
_BEFORE_NOUN = frozenset(
    """the a an his her their its our this that these those at in on near from to by with
    into inside outside""".split()
)


def imported_detail(
    draft: Facts, cited: Sequence[Facts], uncited: Sequence[Sequence[Facts]]
) -> str | None:
    """A common word of the draft that no cited sentence has and one or two evidence
    groups it does not cite do: a detail taken from a line it does not cite, and attached
    to what that line does not say. "Lavrov arrived in Pyongyang on Wednesday, meeting
    North Korean leader Kim Jong Un at the airport" over "Lavrov arrived in Pyongyang on
    Wednesday" and "Kim Jong Un met Lavrov in Pyongyang", where only a third line has
    "greeted at the airport by North Korea's foreign minister". A word more of the
    evidence shares is the story's own vocabulary, not a detail; so is a title ("foreign
    minister"); names and numbers have checks of their own. Only a noun read as such (after
    "the", "a", "at", "in" ...) counts: a verb is a paraphrase ("died" for "were killed")
    more often than a detail."""
    have = set().union(*(f.content for f in cited)) if cited else set()
    groups = [set().union(*(f.content for f in g)) for g in uncited if g]
    for i, (tok, is_entity) in enumerate(zip(draft.tokens, draft.entity, strict=True)):
        if is_entity or tok in _STOP or tok in _TITLES or len(tok) < 4:
            continue
        if i == 0 or draft.tokens[i - 1] not in _BEFORE_NOUN or tok.endswith(("ed", "ing")):
            continue  # a verb ("died" for "were killed") or a word read as one
        stem = _stem(tok)
        if stem in have or stem in _ATTRIBUTING:
            continue
        holding = sum(1 for g in groups if stem in g)
        if 1 <= holding <= DETAIL_MAX_GROUPS:
            return tok
    return None


@dataclass(frozen=True, slots=True)
class _GroupMatch:
    evidence: Evidence
    score: float
    members: tuple[tuple[Sentence, float], ...]  # best first
    facts: tuple[Facts, ...]


def cite_drafts(
    drafts: Sequence[Draft],
    evidence: Sequence[Evidence],
    draft_vectors: np.ndarray,
    member_vectors: Mapping[tuple[str, int], np.ndarray],
    articles: Mapping[str, Article],
    *,
    threshold: float,
    keep_unsupported: bool = False,
) -> list[BriefSentence]:
    """Cite each draft; unsupported drafts are dropped unless ``keep_unsupported``.

    ``draft_vectors`` has one row per draft; ``member_vectors`` maps ``Sentence.key`` to the
    vector of every member of every evidence group (L2-normalised, as the embedder gives).
    """
    draft_vectors = np.asarray(draft_vectors, dtype=np.float32)
    if draft_vectors.ndim != 2 or draft_vectors.shape[0] != len(drafts):
        raise InputError(
            f"draft_vectors must have one row per draft: {len(drafts)} drafts, "
            f"array of shape {draft_vectors.shape}"
        )
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"threshold must lie in 0..1, not {threshold}", "threshold")
    members = [m for e in evidence for m in e.group.members]
    missing = [m.key for m in members if m.key not in member_vectors]
    if missing:
        raise InputError(f"no vector for evidence sentences {missing[:5]}", "member_vectors")
    if not drafts:
        return []
    facts_of = {m.key: text_facts(m.text) for m in members}
    vec_of = {m.key: _unit(member_vectors[m.key]) for m in members}
    story = StoryNames.of(" ".join(a.text.split()) for a in articles.values())
    withdrawn = withdrawn_reports(list(articles.values()))
    opinion = frozenset(aid for aid, a in articles.items() if opinion_article(a))

    out: list[BriefSentence] = []
    for draft, dvec in zip(drafts, draft_vectors, strict=True):
        parts = story_name_parts(draft.text, story)
        sentence = _cite_one(
            draft,
            _unit(dvec),
            evidence,
            facts_of,
            vec_of,
            articles,
            threshold,
            parts,
            withdrawn,
            opinion,
        )
        if sentence.supported or keep_unsupported:
            out.append(sentence)
        else:
            log.info(
                "dropped unsupported sentence (support %.2f): %s", sentence.support, draft.text
            )
    return out


def _cite_one(
    draft: Draft,
    dvec: np.ndarray,
    evidence: Sequence[Evidence],
    facts_of: Mapping[tuple[str, int], Facts],
    vec_of: Mapping[tuple[str, int], np.ndarray],
    articles: Mapping[str, Article],
    threshold: float,
    name_parts: Mapping[str, frozenset[str]] | None = None,
    withdrawn: frozenset[str] = frozenset(),
    opinion: frozenset[str] = frozenset(),
) -> BriefSentence:
    dfacts = text_facts(draft.text)

    def check(facts: Sequence[Facts]) -> list[str]:
        return check_support(dfacts, facts, name_parts)

    matches: list[_GroupMatch] = []
    for ev in evidence:
        bonus = HINT_BONUS if ev.n in draft.hints else 0.0
        scored = sorted(
            (
                (
                    m,
                    min(
                        1.0,
                        support_score(float(dvec @ vec_of[m.key]), dfacts, facts_of[m.key]) + bonus,
                    ),
                )
                for m in ev.group.members
            ),
            key=lambda x: -x[1],
        )
        if scored:
            matches.append(
                _GroupMatch(
                    ev,
                    scored[0][1],
                    tuple(scored),
                    tuple(facts_of[m.key] for m, _ in scored),
                )
            )
    matches.sort(key=lambda g: (-g.score, g.evidence.n))
    if not matches:
        return BriefSentence(text=draft.text, support=0.0, citations=[], supported=False)

    chosen: tuple[_GroupMatch, ...] | None = None
    for g in matches:  # one group alone
        if g.score >= threshold and not check(g.facts):
            chosen = (g,)
            break
    if chosen is None:  # a merged fact: two or three groups together
        pool = [g for g in matches[:POOL] if g.score >= COMBINATION_FLOOR * threshold]
        best: tuple[float, float] | None = None
        for size in range(2, MAX_COMBINATION + 1):
            for combo in combinations(pool, size):
                peak = max(g.score for g in combo)
                if peak < threshold:
                    continue
                if check([f for g in combo for f in g.facts]):
                    continue
                rank = (peak, sum(g.score for g in combo) / size)
                if best is None or rank > best:
                    best, chosen = rank, tuple(sorted(combo, key=lambda g: -g.score))
            if chosen is not None:
                break

    if chosen is None:
        first = matches[0]
        failures = check(first.facts)
        support = first.score * (FAIL_FACTOR if failures else 1.0)
        log.debug("unsupported %r: %s", draft.text, failures or "below threshold")
        return BriefSentence(
            text=draft.text,
            support=round(support, 4),
            citations=[_citation(m, articles) for m, _ in first.members],
            supported=False,
        )

    cited = list(chosen)
    for g in matches:  # every other group that supports the sentence alone
        if g not in cited and g.score >= threshold and not check(g.facts):
            cited.append(g)
    citations: list[Citation] = []
    seen: set[tuple[str, int, int]] = set()
    for g in cited:
        # a member that states another number or day than the sentence (an outlet's
        # "said Friday" beside "on Thursday") is not shown as its support
        agree = [m for m, f in zip(g.members, g.facts, strict=True) if not _contradicts(dfacts, f)]
        for m, _ in agree or g.members:
            k = (m.article_id, m.start, m.end)
            if k not in seen:
                seen.add(k)
                citations.append(_citation(m, articles))
    support = max(g.score for g in chosen)
    quotes = [c.quote for c in citations]
    speech = [quoted_speech(articles[c.article_id].text, c.start, c.end) for c in citations]

    def quotation(with_attribution: bool) -> bool:
        """Every citation is a quotation, or the draft copies its quoted words."""
        return all(
            said
            or copies_quoted_words(
                draft.text,
                articles[c.article_id].text,
                c.start,
                c.end,
                with_attribution=with_attribution,
            )
            for said, c in zip(speech, citations, strict=True)
        )

    def refused(why: str) -> BriefSentence:
        log.info("%s: %s", why, draft.text)
        return BriefSentence(
            text=draft.text, support=round(support, 4), citations=citations, supported=False
        )

    quoted = quotation(False)
    if quoted and not attributed(draft.text, quotes):
        return refused("unattributed quotation, not served as fact")
    # (the near-copy reading with an attribution of its own is only needed for the
    # "according to" check, which has nothing to judge without those words)
    if _ACCORDING.search(draft.text) and speaker_dropped(
        draft.text, quotes, quoted=quoted or quotation(True)
    ):
        return refused("words given to a source that is not their speaker")
    if first_person(draft.text):
        return refused("first person, not the brief's voice")
    if misplaced_number(draft.text, quotes):
        return refused("a number given to another place than its sources give it")
    if reversed_change(draft.text, quotes):
        return refused("a value reached the other way than its sources say")
    if (
        opinion
        and all(c.article_id in opinion for c in citations)
        and not _ATTRIBUTES.search(draft.text)
    ):
        return refused("a view from an opinion piece, served as fact")
    if withdrawn and all(c.article_id in withdrawn for c in citations):
        return refused("only a report its outlet has withdrawn supports it")
    if dropped_speaker(draft.text, quotes):
        return refused("a claim served as fact: every cited line gives it to a speaker")
    if swapped_body(draft.text, quotes):
        return refused("the statement is another body's in the evidence")
    role = wrong_role(draft.text, [m.text for g in matches for m, _ in g.members])
    if role is not None:
        return refused(f"an office ({role!r}) the evidence gives nobody of that name")
    uncited = [g.facts for g in matches if g not in cited]
    detail = imported_detail(dfacts, [f for g in cited for f in g.facts], uncited)
    if detail is not None:
        return refused(f"a detail ({detail!r}) from evidence it does not cite")
    return BriefSentence(
        text=draft.text, support=round(support, 4), citations=citations, supported=True
    )


# ---------------------------------------------------------------- claims and their speakers

# a sentence that gives its words to a speaker it does not name: a pronoun ("he said",
# "she told reporters"), unnamed sources ("the sources said", "citing two government
# sources", "according to people familiar with ..."), or a hedge of report ("reportedly").
# Dropping such a speaker leaves nobody to hold the claim. A named speaker or an office
# ("officials said", "Arce said") is not among them: briefs condense those as news does.
_SAYING_VERB = (
    r"(?:said|says|told|tells|claimed|claims|alleged|alleges|insisted|insists|argued|argues"
    r"|contended|contends|maintained|maintains|added|adds)"
)
_FRAMED = re.compile(
    rf"(?i)\b(?:he|she|they|sources?)\s+(?:\w+\s+)?{_SAYING_VERB}\b"
    r"|\bciting\s+(?:\w+\s+){0,3}sources?\b"
    r"|\baccording\s+to\s+(?:\w+\s+){0,3}(?:sources?|(?:people|persons?)\s+familiar)\b"
    # "according to a union official": someone the line does not name, of one side
    r"|\baccording\s+to\s+(?:a|an|one)\s+(?:[\w-]+\s+){0,2}(?:official|source|worker"
    r"|witness|resident|member|employee|insider|person|activist)\b"
    r"|\b(?:sources?|people|persons?|officials?)\s+(?:familiar|close\s+to|with\s+knowledge)\b"
    r"|\bon\s+condition\s+of\s+anonymity\b"
    r"|\b(?:unnamed|anonymous)\s+(?:\w+\s+)?(?:sources?|officials?|persons?|people)\b"
    r"|\b(?:a|an|one|another)\s+(?:\w+\s+)?(?:newspaper|report)s?\b"
    r"|\breportedly\b"
)
# what attributes in a draft: any of those, or another verb that names a source's act
_ATTRIBUTES = re.compile(
    r"(?i)\b(?:said|says|say|saying|told|tells|telling|according|claim\w*|alleg\w*"
    r"|insist\w*|argu\w*|contend\w*|maintain\w*|report\w*|purport\w*|stat(?:ed|es)"
    r"|announc\w*|added|adds|not(?:ed|es)|explain\w*|confirm\w*|den(?:y|ied|ies)"
    r"|accus\w*|warn\w*|wr(?:ote|ites)|declar\w*|believ\w*|describ\w*"
    # "estimated", "estimates that"; not the noun ("Even the lowest estimate, 14,000, ...")
    r"|estimat(?:ed|ing)|estimates?\s+(?:that|from|by|of\s+the)"
    r"|acknowledg\w*|admit\w*|disput\w*|suggest\w*|predict\w*|expect\w*"
    r"|hope[sd]?|fear\w*|think\w*|thought|testif\w*|recall\w*|promis\w*"
    r"|vow\w*|pledg\w*|sources?)\b"
)


# what marks a piece of opinion rather than reporting: a label before its title or text
# ("Opinion: This charge is a tax ..."), or the disclaimer columns carry
_OPINION_LABEL = re.compile(
    r"^\W*(?:opinion|comment|commentary|editorial|op-ed|column|viewpoint|perspective)\s*[:|—–-]",
    re.IGNORECASE,
)
_OPINION_NOTE = re.compile(
    r"(?i)\b(?:the\s+)?(?:views|opinions)\s+expressed\s+(?:here\s+|in\s+this\s+"
    r"(?:article|column|piece|commentary)\s+)?are\s+(?:his|her|their|the\s+(?:author|writer)['’]s)"
    r"\s+own\b"
)


def opinion_article(article: Article) -> bool:
    """Whether ``article`` is a piece of opinion (a column, an editorial, an op-ed): its
    title or text opens with such a label ("Opinion: ..."), or it says "the views
    expressed are his own". Its sentences are its writer's views: a brief serves them
    only as the writer's ("Karl Eng writes that ..."), never in its own voice."""
    return bool(
        _OPINION_LABEL.match(article.title or "")
        or _OPINION_LABEL.match(article.text[:200])
        or _OPINION_NOTE.search(article.text[:100_000])
    )


_WITHDREW = re.compile(
    r"(?i)\b(?:(?:has|have|had)\s+(?:since\s+)?(?:withdrawn|retracted|pulled)|withdrew|retracted"
    r"|pulled)\s+(?:that|its|the|this|their)\s+(?:\w+\s+)?(?:report|story|article)\b"
    # "The Ledger, which published the report on Monday, withdrew it": a report named first
    r"|\b(?:report|story|article)\b[^.!?]{0,120}\b(?:withdrew|retracted|pulled)\s+it\b"
)
_MAX_WITHDRAWALS = 20  # statements of withdrawal read in one article


def withdrawn_reports(articles: Sequence[Article]) -> frozenset[str]:
    """The ids of the articles whose outlet, the story says, withdrew its report ("The
    Ledger has withdrawn that report"; "The Ledger, which published the report on Monday,
    withdrew it on Tuesday"): that outlet's articles published no later than the one that
    says so, other than any that says so itself (the outlet's own note). A brief serves
    nothing only such an article supports."""
    out: set[str] = set()
    says = {a.id: list(_WITHDREW.finditer(a.text[:100_000]))[:_MAX_WITHDRAWALS] for a in articles}
    for teller in articles:
        text = teller.text[:100_000]
        for m in says[teller.id]:
            before = text[max(0, m.start() - 200) : m.start()]
            clause = re.split(r"[.!?]\s", before)[-1]
            for other in articles:
                outlet = other.outlet.strip()
                if (
                    other.id == teller.id
                    or len(outlet) < 3
                    or not re.search(rf"(?<!\w){re.escape(outlet)}(?!\w)", clause, re.IGNORECASE)
                    or says[other.id]
                ):
                    continue
                if teller.published and other.published and other.published > teller.published:
                    continue
                out.add(other.id)
    return frozenset(out)


def dropped_speaker(draft: str, quotes: Sequence[str]) -> bool:
    """Whether the draft states as fact what every sentence it cites gives to a speaker it
    does not name (``_FRAMED``): "The union had photographs ..." over "He said the union
    had photographs ..." (a claim, which the brief would serve in its own voice). One
    cited sentence that states it otherwise is enough; a draft that attributes it in any
    words ("the union says", "according to", "reportedly") keeps it a claim."""
    if not quotes or _ATTRIBUTES.search(draft):
        return False
    return all(_FRAMED.search(q) for q in quotes)


# a speaker named by what it is, not by a name: "the prime minister's office said",
# "the national prosecutor's office said", "a defence ministry spokesman told ...": the
# modifiers, and the noun they modify, right before a verb of saying
_BODY_NOUNS = (
    "office|ministry|department|agency|spokesman|spokeswoman|spokesperson|officials?"
    "|authorities|authority|commission|committee|council|court|police|prosecutors?|army"
    "|military|government|embassy|service|board|union|company|firm|campaign|team"
)
_BODY_SPEAKER = re.compile(
    rf"(?i)\b((?:[a-z][\w-]*(?:['’]s)?\s+){{1,3}})({_BODY_NOUNS})\s+"
    r"(?:also\s+|had\s+|has\s+)?(?:said|says|told|stated|announced|confirmed|denied)\b"
)
_NOT_MODIFIERS = frozenset("the a an its their his her our this that these those and".split())


def _body_speakers(text: str) -> list[tuple[str, frozenset[str]]]:
    """(noun, its modifiers) for each speaker ``text`` names by what it is."""
    out = []
    for m in _BODY_SPEAKER.finditer(text):
        words = [re.sub(r"['’]s$", "", w.lower()) for w in m.group(1).split()]
        mods = frozenset(w for w in words if w not in _NOT_MODIFIERS and w not in _STOP)
        out.append((m.group(2).lower().rstrip("s"), mods))
    return out


def swapped_body(draft: str, quotes: Sequence[str]) -> bool:
    """Whether the draft gives a statement to another body of the same kind than every
    cited line: "The prime minister's office said ..." over "The national prosecutor's
    office said ...". Both name the speaker by what it is, with the same noun; the draft's
    words for which one (prime, minister) are in no cited line. A draft that names it with
    fewer words ("the office said") or a cited line without such a speaker is not judged."""
    mine = _body_speakers(draft)
    if not mine or not quotes:
        return False
    said = set(re.findall(r"[a-z]+", " ".join(quotes).lower()))
    theirs = [sp for q in quotes for sp in _body_speakers(q)]
    for noun, mods in mine:
        same_kind = [m for n, m in theirs if n == noun]
        if not same_kind or not mods:
            continue
        if mods - said and not any(mods <= m for m in same_kind):
            return True
    return False


# ---------------------------------------------------------------- roles

# offices a brief names people by ("Health Minister Clara Vos", "the prime minister, Clara
# Vos"), and the words before an office that make it another one: a health minister is
# not the prime minister, a deputy mayor not the mayor
_ROLE_HEADS = (
    "minister|president|secretary|mayor|governor|chairman|chairwoman|chairperson|ceo|director"
    "|spokesman|spokeswoman|spokesperson|ambassador|senator|judge|commissioner|premier"
    "|chancellor|prosecutor|coach|captain|treasurer|speaker"
)
_ROLE_KINDS = frozenset(
    """prime deputy vice former acting interim foreign health finance defence defense interior
    justice education trade economy economic energy environment labour labor transport
    agriculture home chief executive assistant associate general attorney district state county
    city federal supreme senior junior managing first""".split()
)
_ROLE_HEAD_WORDS = frozenset(_ROLE_HEADS.split("|"))
# kinds that make an office a lesser or a past one: "Deputy Prime Minister" is not the
# prime minister, nor a former mayor the mayor
_RANKS = frozenset("deputy vice acting former interim assistant associate".split())
_ROLE_TOKEN = re.compile(r"[A-Za-z][\w'’-]*|[,.;:!?()\"“”]")
_NAME_WORDS = 3  # a name is at most this many capitalised words
_SAYING_BEFORE_NAME = frozenset("said says told added according".split())


def _role_words(toks: Sequence[str]) -> list[str]:
    """``_ROLE_TOKEN`` tokens in lower case, possessives removed ("Mining's": mining)."""
    return [re.sub(r"['’]s$", "", t.lower()) for t in toks]


def _roles(text: str, *, loose: bool = False) -> list[tuple[tuple[str, ...], str, frozenset[str]]]:
    """(name words, office, the words right before the office that make it another) for
    each person ``text`` names with an office: "Health Minister Clara Vos", "the prime
    minister, Clara Vos", "Clara Vos, the health minister". In ``loose`` reading (a
    title-case headline, where capitals do not end a name) a name is one word."""
    toks = _ROLE_TOKEN.findall(text)
    low = _role_words(toks)
    out: list[tuple[tuple[str, ...], str, frozenset[str]]] = []

    def is_name(k: int) -> bool:
        return toks[k][0].isupper() and low[k] not in _STOP and low[k] not in _ROLE_HEAD_WORDS

    def name_after(k: int) -> list[str]:
        words: list[str] = []
        while k < len(toks) and len(words) < (1 if loose else _NAME_WORDS) and is_name(k):
            words.append(low[k])
            k += 1
        return words

    for i, head in enumerate(low):
        if head not in _ROLE_HEAD_WORDS:
            continue
        j = i - 1
        kinds: set[str] = set()
        while j >= 0 and low[j] in _ROLE_KINDS:  # only the words right before the office
            kinds.add(low[j])
            j -= 1
        name = name_after(i + 1)
        if name:  # "Health Minister Clara Vos"
            out.append((tuple(name), head, frozenset(kinds)))
            continue
        if j >= 0 and low[j] == "the" and i + 1 < len(toks) and toks[i + 1] == ",":
            name = name_after(i + 2)  # "the prime minister, Clara Vos"
            if name:
                out.append((tuple(name), head, frozenset(kinds)))
                continue
        k = j - 1 if j >= 0 and low[j] == "the" else j
        if k >= 1 and toks[k] == ",":  # "Clara Vos, the health minister", "Vos, the ..."
            start = k
            while start > 0 and k - start < _NAME_WORDS and is_name(start - 1):
                start -= 1
            # one word may be a place or a day ("In Kyiv, the mayor"): it stands alone
            # only where a clause opens with it ("Vos, the prime minister", "..., said
            # Vos, the ..."); and only a family name the evidence gives an office is judged
            lone = k - start == 1 and (
                start == 0 or toks[start - 1] in ',.;:("“' or low[start - 1] in _SAYING_BEFORE_NAME
            )
            if k - start >= 2 or lone:
                out.append((tuple(low[start:k]), head, frozenset(kinds)))
    return out


def dropped_rank(headline: str, texts: Sequence[str]) -> str | None:
    """An office the headline gives without the word that makes it a past or lesser one,
    where every mention of that office in ``texts`` has such a word: "Mayor of Tessby
    Accused of Bribery" where the texts only ever say "the former mayor of Tessby". The
    rank word left out (``former``), else None."""
    mine = _role_words(_ROLE_TOKEN.findall(headline))
    said = [_role_words(_ROLE_TOKEN.findall(x)) for x in texts]
    for i, head in enumerate(mine):
        if head not in _ROLE_HEAD_WORDS or _RANKS & set(mine[max(0, i - 3) : i]):
            continue
        ranks: list[set[str]] = [
            set(_RANKS & set(words[max(0, k - 3) : k]))
            for words in said
            for k, w in enumerate(words)
            if w == head
        ]
        if ranks and all(ranks):
            return sorted(set.intersection(*ranks) or ranks[0])[0]
    return None


def wrong_role(text: str, evidence: Sequence[str]) -> str | None:
    """A person ``text`` gives an office that the evidence, which names that person with
    an office, never gives them ("Prime Minister Vos" where every line says "Health
    Minister Clara Vos", "Prime Minister Freeland" for the deputy prime minister): the
    office, else None. Saying less ("Minister Vos") is no wrong office, but leaving out
    what makes an office a lesser or a past one (deputy, vice, former) is; a person the
    evidence names with no office is not judged. A person is known by the family name
    (the last word of the name); in a title-case headline by the word after the office."""
    theirs = [(words, head, kinds) for line in evidence for words, head, kinds in _roles(line)]
    loose = _title_case(text)
    for words, head, kinds in _roles(text, loose=loose):
        if loose:
            known = [(h, k) for w, h, k in theirs if words[0] in w]
        else:
            known = [(h, k) for w, h, k in theirs if w[-1] == words[-1]]
        if known and not any(head == h and kinds <= k and k & _RANKS <= kinds for h, k in known):
            return " ".join([*sorted(kinds), head])
    return None


# ---------------------------------------------------------------- reference alignment


@dataclass(frozen=True, slots=True)
class Alignment:
    """One candidate source sentence for a reference sentence."""

    index: int  # into the candidates
    sentence: Sentence
    score: float
    cosine: float


def align_reference(
    reference_texts: Sequence[str],
    reference_vectors: np.ndarray,
    candidates: Sequence[Sentence],
    candidate_vectors: np.ndarray,
    *,
    top_k: int = 3,
    lexical: bool = True,
) -> list[list[Alignment]]:
    """For each reference sentence, the ``top_k`` best source sentences, best first.

    Scores as ``cite_drafts`` does (cosine + names/numbers/content overlap; cosine alone
    when ``lexical`` is False), without the hard checks: this measures where the aligner
    points, e.g. against gold attributions.
    """
    ref = np.asarray(reference_vectors, dtype=np.float32)
    cand = np.asarray(candidate_vectors, dtype=np.float32)
    if ref.ndim != 2 or ref.shape[0] != len(reference_texts):
        raise InputError(f"reference_vectors must have one row per text, not {ref.shape}")
    if cand.ndim != 2 or cand.shape[0] != len(candidates):
        raise InputError(f"candidate_vectors must have one row per candidate, not {cand.shape}")
    if top_k < 1:
        raise InputError(f"top_k must be at least 1, not {top_k}", "top_k")
    if not candidates:
        return [[] for _ in reference_texts]
    ref = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    cand = cand / np.maximum(np.linalg.norm(cand, axis=1, keepdims=True), 1e-12)
    cos = ref @ cand.T
    cand_facts = [text_facts(c.text) for c in candidates] if lexical else []
    out: list[list[Alignment]] = []
    for i, text in enumerate(reference_texts):
        if lexical:
            rf = text_facts(text)
            scores = np.array(
                [support_score(float(cos[i, j]), rf, cand_facts[j]) for j in range(len(candidates))]
            )
        else:
            scores = cos[i]
        order = np.argsort(-scores, kind="stable")[:top_k]
        out.append(
            [Alignment(int(j), candidates[j], float(scores[j]), float(cos[i, j])) for j in order]
        )
    return out
