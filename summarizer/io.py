"""Reading article sets from files: a folder of ``.txt`` (optional ``manifest.json``),
JSON (a list of articles, or ``{"articles": [...]}``), JSONL (one article a line), or ``-``
for JSONL on standard input; and writing briefs as JSON or Markdown. Extensions are read in
any letter case (``CHOE.TXT`` is a ``.txt``).

Readers never drop input silently: every record that cannot be read becomes an
``InputProblem`` (path, line, message) that the caller reports, skips, or turns into an
error (``strict``). ``iter_located_inputs`` also says where each article came from
(``Located``), so a later problem (a duplicate id, a text that cleans to nothing) can be
reported at its path and line. JSONL is read line by line as bytes, so one line that is
not UTF-8 is reported with its line number and the rest of the file is still read. In a
folder, a subfolder or a file that is not read is a problem too ("not read: a folder"),
except hidden files, the desktop's own files and Markdown notes (``_skipped_silently``).
"""

from __future__ import annotations

import codecs
import contextlib
import html
import html.entities
import json
import os
import re
import stat
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TextIO

from summarizer.errors import InputError
from summarizer.types import Article, Brief, derive_article_id

ARTICLE_FIELDS = {"id", "outlet", "title", "url", "published", "text"}
_SURROGATE = re.compile("[\ud800-\udfff]")  # only a broken escape puts one in a str
MIN_YEAR, MAX_YEAR = 1800, 2100
# a publication date this many days past today (UTC) is a mistake, not a time zone: a
# story dated 2099 would head every "newest first" listing for good
MAX_DAYS_AHEAD = 2
# a source link a reader can follow: "javascript:alert(1)" or "file:///etc/passwd" in
# ``sources[].url`` would be run or opened by a page that renders the brief's links
WEB_URL = re.compile(r"(?i)https?://[^/?#\s]+")
URL_SCHEME_MESSAGE = "url must be a web address starting with http:// or https://"
NUL_HINT = "not plain text (UTF-16, or a binary file?); save it as UTF-8 text"
# a folder's manifest.json is parsed whole: ≈300 bytes of metadata an article, so this is
# some 150,000 articles, and a runaway file cannot take all memory
MAX_MANIFEST_BYTES = 50_000_000
# control characters no one-line field (outlet, title, url) holds: the C0 and C1 controls
# and DEL (an escape sequence in an outlet would reach a terminal, or a log line). Tab and
# line breaks are whitespace: a title's and an outlet's are stored as spaces, and a url's
# are refused with the url's own message
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# what an id may not hold anywhere: every control character (tab and line breaks too), and
# the invisible format characters (a soft hyphen, zero-width characters, direction marks
# and overrides, a byte order mark) that would let two ids look alike
ID_UNSEEN = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
HTML_MESSAGE = (
    "text looks like HTML (markup-heavy, or tags that only markup has, such as </p> or "
    "<br>); send the article's plain text"
)
# an HTML character reference with its semicolon: scraped text keeps them ("AT&amp;T",
# "&quot;We will win,&quot; she said", "&#8217;"); without the semicolon "&copy" or "&not"
# may be the text's own words, so those stay
_CHARREF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _character_at(m: re.Match[str]) -> str:
    return f"U+{ord(m[0]):04X} at character {m.start() + 1}"


def control_character_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be an article's ``name`` (outlet, title or url): it holds a
    control character (``CONTROL_CHARACTERS``), named with its place; None when it may be.
    The REST schema and the file readers (``article_from_dict``) both ask this."""
    m = CONTROL_CHARACTERS.search(value)
    if m is None:
        return None
    return f"{name} must not contain control characters ({_character_at(m)})"


def unseen_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id: a control character or an invisible format character
    (``ID_UNSEEN``) in it, named with its place; None when it has none. Spaces, tabs and
    line breaks around the id are not asked about: the readers strip them."""
    m = ID_UNSEEN.search(value.strip(" \t\r\n"))
    if m is None:
        return None
    return (
        f"id must not contain control characters or invisible format characters "
        f"({_character_at(m)}): two ids would look alike"
    )


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_DOC = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<\?xml)", re.I)
_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{2,5}|#x[0-9a-f]{2,4});", re.I)


def markup_share(text: str) -> float:
    """The share of characters inside HTML tags and entities (0..1)."""
    if not text:
        return 0.0
    inside = sum(len(m.group(0)) for m in _TAG.finditer(text))
    inside += sum(len(m.group(0)) for m in _ENTITY.finditer(text))
    return inside / len(text)


# tags that only markup has: the end of a block or an inline element, a line break, a
# link ("the <title> tag" or "<b>" in prose is text about markup)
_MARKUP_ONLY = re.compile(
    r"</(?:p|div|span|a|li|ul|ol|h[1-6]|strong|em|b|i|u|td|tr|th|table|section|article"
    r"|blockquote|figure|figcaption|script|style|header|footer|nav)\s*>|<br\s*/?>|<a\s+href=",
    re.IGNORECASE,
)


def looks_like_html(text: str) -> bool:
    """True for an HTML document, text with a tag only markup has (``</p>``, ``<br>``,
    ``<a href=``), or markup-heavy text (tags are ≥15% of it, ≥5 tags)."""
    if _DOC.match(text) or _MARKUP_ONLY.search(text[:200_000]):
        return True
    tags = len(_TAG.findall(text[:200_000]))
    return tags >= 5 and markup_share(text[:200_000]) >= 0.15


def submitted_length(text: str) -> int:
    """The length counted against ``max_chars_per_article`` (and the outlet's, title's and
    url's limits): the characters of the text as submitted, before HTML character
    references are decoded. That is the text a user sees and can shorten; "&amp;" is five
    characters of it. The REST service (``service.limits.check_articles``) and the file
    readers (``article_from_dict``) count the same way."""
    return len(text)


@dataclass(frozen=True, slots=True)
class InputProblem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Located:
    """An article with where it was read: ``line`` is the JSONL line, ``position`` the
    1-based place in a JSON list; neither for a ``.txt`` file.

    A place in a list is shown as "article #N of the list", as the list's other problems
    are: in a pretty-printed list it is no line number.
    """

    article: Article
    path: str
    line: int | None = None
    position: int | None = None

    def __str__(self) -> str:
        if self.position is not None:
            return f"{self.path}, article #{self.position} of the list"
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def problem(self, message: str) -> InputProblem:
        """A problem with this article, reported where it was read."""
        if self.position is not None:
            message = f"article #{self.position} of the list: {message}"
        return InputProblem(self.path, self.line, message)


def repeated_id(located: Located, first: object) -> InputProblem:
    """The problem for an article whose id was already read at ``first``. An id the
    reader derived from the url (none was given) is said to be one: the user never
    wrote it, and two versions of one page share it."""
    art = located.article
    derived = (
        "derived from the url, as no id was given; "
        if art.url and art.id == derive_article_id(art.url, art.text)
        else ""
    )
    return located.problem(f"duplicate article id {art.id!r} ({derived}first read at {first})")


def parse_date(value: object, field: str = "published") -> date | None:
    """An ISO date (``2023-10-19`` or a datetime string, the time after ``T`` or a space,
    its offset within the world's, -12:00 to +14:00); None for null, empty or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if text[10:11] not in ("", "T", "t", " "):  # a date, then a time or nothing
                raise ValueError(text)
            d = date.fromisoformat(text[:10])
            if len(text) > 10:  # the time must be one too ("T25:99", "+99:00" are not)
                offset = datetime.fromisoformat(text.upper()).utcoffset()
                if offset is not None and not -12 * 3600 <= offset.total_seconds() <= 14 * 3600:
                    raise ValueError(text)  # no clock on earth is at +15:00
        except ValueError as exc:
            shown = value if len(value) <= 60 else value[:60] + "..."
            raise InputError(
                f"{field} must be an ISO date like 2023-10-19, optionally with a valid time "
                f"(2023-10-19T08:30:00Z), not {shown!r}",
                field,
            ) from exc
    else:
        raise InputError(f"{field} must be a string, not {type(value).__name__}", field)
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise InputError(f"{field} {d.isoformat()} is not a plausible publication date", field)
    if d > datetime.now(UTC).date() + timedelta(days=MAX_DAYS_AHEAD):
        raise InputError(
            f"{field} {d.isoformat()} is more than {MAX_DAYS_AHEAD} days in the future; an "
            "article is dated when it is published",
            field,
        )
    return d


# articles are read as English (the embedder, the splitter and the citer's rules are
# English ones): a text whose letters are mostly of another script is refused at the door,
# not grouped and deduplicated on vectors that cannot tell its sentences apart
MIN_LATIN_SHARE = 0.5
_SCRIPT_SAMPLE = 20_000  # letters looked at: enough to tell a script, cheap on a huge text


def foreign_script(text: str) -> str | None:
    """The script most of ``text``'s letters are in, when that is not Latin ("Arabic",
    "Devanagari", "Cyrillic", "CJK"); None for Latin text (accents included) and for text
    with fewer than 20 letters."""
    letters = [c for c in text[: _SCRIPT_SAMPLE * 4] if c.isalpha()][:_SCRIPT_SAMPLE]
    if len(letters) < 20:
        return None
    scripts = Counter(
        "LATIN" if c < "\u0250" else unicodedata.name(c, "OTHER").split()[0] for c in letters
    )
    if scripts["LATIN"] >= MIN_LATIN_SHARE * len(letters):
        return None
    del scripts["LATIN"]
    name = scripts.most_common(1)[0][0]
    return "CJK" if name == "CJK" else name.title()


def decode_references(text: str) -> str:
    """``text`` with its HTML character references decoded: ``&amp;`` is ``&``, ``&quot;``
    a quotation mark, ``&#8217;`` a right single quote, ``&nbsp;`` a no-break space. An
    unknown name (``&foo;``) stays as it is; a reference to no character (``&#0;``) is the
    replacement character, and one to a control character is nothing.

    Scraped text often keeps them; undecoded, a quotation in ``&quot;`` marks is not seen
    as a quotation, and a brief would show ``AT&amp;T``.
    """
    if "&" not in text:
        return text
    return _CHARREF.sub(_decoded, text)


def _decoded(m: re.Match[str]) -> str:
    ref = m.group(0)
    if ref[1] == "#":
        return html.unescape(ref)
    # only a whole known name: ``html.unescape`` would read "&notaname;" as "&not" + "aname;"
    return html.entities.html5.get(ref[1:], ref)


def article_from_dict(data: Mapping[str, Any], *, max_chars: int | None = None) -> Article:
    """Validate one article record; unknown fields and wrong types are refused.

    HTML character references in ``text``, ``title``, ``outlet`` and ``url`` are decoded
    (``decode_references``): the article is stored, split and quoted as decoded. A text
    longer than ``max_chars`` (the service's ``max_chars_per_article``) is refused, counted
    as submitted, before decoding (``submitted_length``), and so is a NUL character in any
    field: no text holds one, while UTF-16 or a binary file read as UTF-8 holds many
    ("F\x00l\x00o\x00..."). The REST schema's field rules are asked here too, in the same
    words: a text that looks like HTML, a control character in the outlet, title or url
    (``control_character_problem``), a control or invisible format character in the id
    (``unseen_id_problem``), and the outlet's, title's and url's lengths as submitted.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"an article must be a JSON object, not {type(data).__name__}")
    unknown = set(data) - ARTICLE_FIELDS
    if unknown:
        raise InputError(
            f"unknown field(s) {sorted(unknown)}; valid fields: {sorted(ARTICLE_FIELDS)}",
            sorted(unknown)[0],
        )
    submitted = data  # before decoding: what lengths and markup are measured on
    for name in ("text", "outlet", "title", "url"):
        if isinstance(data.get(name), str) and "&" in data[name]:
            data = {**data, name: decode_references(data[name])}
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError("text is required and must be a string", "text")
    if not text.strip():
        raise InputError("text is empty", "text")
    if max_chars is not None and (length := submitted_length(submitted["text"])) > max_chars:
        raise InputError(f"text has {length:,} characters; the limit is {max_chars:,}", "text")
    for name in ("text", "outlet", "title", "url", "id"):
        value = data.get(name)
        if isinstance(value, str) and "\x00" in value:
            raise InputError(f"{name} holds NUL characters: {NUL_HINT}", name)
    if looks_like_html(submitted["text"]):
        raise InputError(HTML_MESSAGE, "text")
    script = foreign_script(text)
    if script is not None:
        raise InputError(
            f"text is mostly in {script} script: articles are read as English, and text in "
            "another script would be grouped and deduplicated on meaningless vectors",
            "text",
        )
    outlet = data.get("outlet")
    if not isinstance(outlet, str) or not outlet.strip():
        raise InputError("outlet is required and must be a non-empty string", "outlet")
    for name in ("id", "title", "url"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InputError(f"{name} must be a string", name)
    for name in ("id", "outlet", "title", "url", "text"):
        value = data.get(name)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise InputError(f"{name} holds a broken character escape (a lone surrogate)", name)
    for name in ("outlet", "title", "url"):
        value = data.get(name)
        if isinstance(value, str) and (problem := control_character_problem(name, value)):
            raise InputError(problem, name)
    if isinstance(data.get("id"), str) and (problem := unseen_id_problem(data["id"])):
        raise InputError(problem, "id")
    url = (data.get("url") or None) and str(data["url"]).strip() or None
    if url is not None and len(url.split()) > 1:
        raise InputError("url must not contain spaces, tabs or line breaks", "url")
    art_id = (data.get("id") or "").strip() or derive_article_id(url, text)
    if len(art_id) > 200:
        raise InputError("id is longer than 200 characters", "id")
    # the REST service's limits, counted as it counts them (as submitted, before decoding):
    # an outlet is a label shown on every evidence line
    for name, limit in (("outlet", 300), ("title", 1000), ("url", 2000)):
        value = submitted.get(name)
        if isinstance(value, str) and submitted_length(value) > limit:
            raise InputError(f"{name} is longer than {limit} characters", name)
    if url is not None and not WEB_URL.match(url):
        raise InputError(URL_SCHEME_MESSAGE, "url")
    return Article(
        id=art_id,
        outlet=" ".join(outlet.split()),  # a label on one line
        text=text,
        title=" ".join((data.get("title") or "").split()) or None,
        url=url,
        published=parse_date(data.get("published")),
    )


def article_to_dict(article: Article) -> dict[str, Any]:
    """The JSON record of an article (the inverse of ``article_from_dict``)."""
    return {
        "id": article.id,
        "outlet": article.outlet,
        "title": article.title,
        "url": article.url,
        "published": article.published.isoformat() if article.published else None,
        "text": article.text,
    }


def _read_text(path: Path, limit: int | None = None, over: str | None = None) -> str:
    """The file as text (``_decode_utf8``); with ``limit``, reading stops one byte past it
    (the size a file reports cannot be trusted: one under /proc says 0) and a longer file
    is refused, with ``over`` as the reason when given."""
    with path.open("rb") as fh:
        raw = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise InputError(over or f"larger than {limit:,} bytes: not read")
    return _decode_utf8(raw)


# control characters no text holds (tab, line breaks and form feed aside)
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _decode_utf8(raw: bytes, *, first: bool = True, of: str = "") -> str:
    """``raw`` as UTF-8 (a byte order mark dropped when it is the ``first`` bytes of a
    file), or an ``InputError`` that says what the bytes look like and to save them as
    UTF-8: UTF-16 (its byte order mark, or NUL bytes), another format (NUL bytes: NUL is
    valid UTF-8, but no text holds one), or Windows-1252 / Latin-1 (not UTF-8, but
    readable so). ``of`` follows a byte offset in the message (" of the line")."""
    if first and raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(f"holds NUL bytes (byte {nul}{of}): {_nul_guess(raw)}; save it as UTF-8")
    try:
        return raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        try:
            legacy = not _NOT_TEXT.search(raw.decode("cp1252"))
        except UnicodeDecodeError:
            legacy = False
        hint = "it looks like Windows-1252 or Latin-1 text; " if legacy else ""
        raise InputError(f"not valid UTF-8 (byte {exc.start}{of}): {hint}save it as UTF-8") from exc


def _nul_guess(raw: bytes) -> str:
    """What bytes holding NUL are: UTF-16 has one in every other byte (for Latin letters)."""
    sample = raw[:4096]
    nuls = sorted((sample[0::2].count(0), sample[1::2].count(0)))
    if nuls[1] >= len(sample) // 4 and nuls[0] <= nuls[1] // 8:
        return "it looks like UTF-16 text without a byte order mark"
    return "not plain text (a binary file?)"


def _txt_article(path: Path, fields: Mapping[str, Any], max_chars: int | None) -> Article:
    """The article of a ``.txt`` file: its text, with ``fields`` (a manifest entry's), the
    file's name as the id and "unknown" as the outlet when they give none.

    With ``max_chars``, at most 4 bytes a character (and a byte order mark) are read: a
    longer file has more characters than the limit, and is refused without being read
    whole (a 50 MB file took minutes and a gigabyte of memory).
    """
    data = dict(fields)
    if "id" not in data:
        if _SURROGATE.search(path.stem):  # the bytes of the name, as the file system keeps them
            raise InputError(
                "the file name is not valid UTF-8, and the article's id is made from it; "
                "rename the file",
                "id",
            )
        if (m := ID_UNSEEN.search(path.stem)) is not None:
            raise InputError(
                "the file name holds a control character or an invisible format character "
                f"({_character_at(m)}), and the article's id is made from it; rename the file",
                "id",
            )
        data["id"] = path.stem
    data.setdefault("outlet", "unknown")
    cap = over = None
    if max_chars is not None:
        cap = 4 * max_chars + len(codecs.BOM_UTF8)
        over = (
            f"text has more than {max_chars:,} characters (the file is over {cap:,} bytes); "
            f"the limit is {max_chars:,}"
        )
    data["text"] = _read_text(path, cap, over)
    return article_from_dict(data, max_chars=max_chars)


# ---------------------------------------------------------------- located readers


def _refused_in_folder(path: Path, root: Path) -> str | None:
    """Why a file of a folder input is not read, or None when it may be: a link out of the
    folder could hand any readable file to the pipeline (or /dev/zero, which never ends),
    and a pipe or a device would block the read: neither is a file of the folder."""
    try:
        outside = path.is_symlink() and not path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError) as exc:  # a broken link, or a loop of links
        return f"cannot read: {exc}"
    if outside:
        return "a link to a file outside the folder: not read"
    if not path.is_file():
        return "not a regular file: not read"
    return None


# files a folder input holds beside its articles that are no input, skipped without a word:
# the desktop's own files (Windows' thumbnail cache and folder settings, the folder a Mac's
# zip leaves) and notes on the folder in Markdown, as seeds/SOURCE.md. Hidden files and
# folders (".DS_Store", "._a.txt", ".git", an editor's ".a.txt.swp") are skipped too.
FOLDER_JUNK = frozenset({"thumbs.db", "desktop.ini", "__macosx"})
FOLDER_NOTES_SUFFIXES = frozenset({".md", ".markdown"})
MANIFEST_NAME = "manifest.json"
# the fields of a manifest entry, beside "file": an article's, less its text (the file)
MANIFEST_FIELDS = ARTICLE_FIELDS - {"text"}


def _is_txt(name: str) -> bool:
    """Whether a file of this name is read as an article: ``.txt`` in any letter case."""
    return name.lower().endswith(".txt") and len(name) > len(".txt")


def _txt_key(name: str) -> str:
    """A ``.txt`` name with its extension in lower case ("CHOE.TXT" -> "CHOE.txt")."""
    return name[: -len(".txt")] + ".txt" if _is_txt(name) else name


def _skipped_silently(name: str) -> bool:
    """Whether a folder entry that is not read is no input either (see ``FOLDER_JUNK``)."""
    return (
        name.startswith(".")
        or name.lower() in FOLDER_JUNK
        or Path(name).suffix.lower() in FOLDER_NOTES_SUFFIXES
    )


@dataclass(frozen=True, slots=True)
class _ManifestEntry:
    name: str  # the file it names: its "file", or its "id" + ".txt"
    number: int  # 1-based, in the manifest's list
    fields: dict[str, Any]


def _manifest_targets(
    meta: Sequence[_ManifestEntry], names: Sequence[str], manifest: Path, folder: Path
) -> Iterator[tuple[str, _ManifestEntry] | InputProblem]:
    """Each manifest entry's file (name, entry), or the problem of an entry that names none.

    An entry names a file exactly, or (with its id) ``ID.txt``; a ``.txt`` extension matches
    in any letter case ("a.txt" finds "a.TXT") when no file has the very name.
    """
    present = set(names)
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(_txt_key(name), []).append(name)
    for entry in meta:
        name = entry.name
        if name in present:
            yield name, entry
            continue
        matches = by_key.get(_txt_key(name), []) if _is_txt(name) else []
        if len(matches) == 1:
            yield matches[0], entry
        elif matches:
            yield InputProblem(
                str(manifest),
                None,
                f"entry for {name!r}: matches more than one file in {folder} "
                f"({', '.join(sorted(matches))}); give the file's exact name",
            )
        else:
            yield InputProblem(
                str(manifest), None, f"entry for {name!r}: no such .txt file in {folder}"
            )


def _manifest_entries(manifest: Path) -> Iterator[_ManifestEntry | InputProblem]:
    """The entries of a folder's manifest (a list, or ``{"articles": [...]}``), each with
    the file it names; a bad entry is a problem and costs only itself."""
    entries: list[Any] = []
    try:
        data = json.loads(_read_text(manifest, MAX_MANIFEST_BYTES))
        listed = data.get("articles") if isinstance(data, dict) else data
        if not isinstance(listed, list):
            raise TypeError('expected a list of entries or {"articles": [...]}')
        entries = listed
    except RecursionError:
        yield InputProblem(str(manifest), None, "unreadable manifest: nested too deeply")
    except (InputError, OSError, ValueError, TypeError) as exc:
        yield InputProblem(str(manifest), None, f"unreadable manifest: {exc}")
    for n, entry in enumerate(entries, start=1):
        name = entry.get("file") or entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            yield InputProblem(str(manifest), None, f"entry #{n}: needs a file or an id")
            continue
        yield _ManifestEntry(name if entry.get("file") else f"{name}.txt", n, entry)


def _link_targets(folder: Path, names: Iterable[str]) -> set[Path]:
    """The files that the links among ``names`` in ``folder`` lead to."""
    out: set[Path] = set()
    for name in names:
        path = folder / name
        with contextlib.suppress(OSError, RuntimeError):
            if path.is_symlink():
                out.add(path.resolve(strict=True))
    return out


def _file_ids(paths: Iterable[Path]) -> set[tuple[int, int]]:
    """The (device, inode) of each of ``paths`` that exists: the same file under any name
    or link."""
    out: set[tuple[int, int]] = set()
    for path in paths:
        with contextlib.suppress(OSError, ValueError):
            st = os.stat(path)
            out.add((st.st_dev, st.st_ino))
    return out


def _located_folder(
    folder: Path, max_chars: int | None = None, skip: Iterable[Path] = ()
) -> Iterator[Located | InputProblem]:
    """A folder's ``.txt`` files (the extension in any letter case), in name order.

    Nothing in it is passed over without a word: a subfolder and a file that is not a
    ``.txt`` (nor the manifest) are problems ("not read: ..."), except the hidden files,
    desktop files and Markdown notes ``_skipped_silently`` names, and the files of
    ``skip`` (a command's own output, which it keeps in the folder it reads); a hidden
    ``.txt`` is read only when the manifest names it. Subfolders are not read. Two
    entries of the manifest for one file are a problem, and the first is used.
    """
    meta: list[_ManifestEntry] = []
    root = folder.resolve()
    manifest = folder / MANIFEST_NAME
    try:
        with os.scandir(folder) as listing:
            names = sorted(entry.name for entry in listing)
    except OSError as exc:
        yield InputProblem(str(folder), None, f"cannot read the folder: {exc.strerror or exc}")
        return
    # lexists: a broken link named manifest.json is reported, not taken for no manifest
    refused = _refused_in_folder(manifest, root) if os.path.lexists(manifest) else None
    if refused is not None:
        yield InputProblem(str(manifest), None, f"unreadable manifest: {refused}")
    elif manifest.exists():
        for item in _manifest_entries(manifest):
            if isinstance(item, InputProblem):
                yield item
            else:
                meta.append(item)
    entry_of: dict[str, _ManifestEntry] = {}
    linked: set[Path] | None = None
    for target in _manifest_targets(meta, [n for n in names if _is_txt(n)], manifest, folder):
        if isinstance(target, InputProblem):
            yield target
            continue
        name, entry = target
        if name in entry_of:
            yield InputProblem(
                str(manifest),
                None,
                f"entry #{entry.number} for {entry.name!r}: {name} already has entry "
                f"#{entry_of[name].number}, which is used; give each file one entry",
            )
            continue
        entry_of[name] = entry
    skipped = _file_ids(skip)
    for name in names:
        path = folder / name
        # a hidden .txt is read only when the manifest names it
        if name == MANIFEST_NAME or (_skipped_silently(name) and name not in entry_of):
            continue
        if skipped and _file_ids([path]) & skipped:
            continue
        if not _is_txt(name):
            if linked is None:  # what the links of the folder read: they are read, not lost
                linked = _link_targets(folder, [MANIFEST_NAME, *filter(_is_txt, names)])
            try:
                is_dir, real = path.is_dir(), path.resolve()
            except (OSError, RuntimeError):  # a loop of links, say: not read either way
                is_dir, real = False, path
            if real not in linked:
                what = "a folder" if is_dir else "not a .txt file"
                yield InputProblem(str(path), None, f"not read: {what}")
            continue
        if (refused := _refused_in_folder(path, root)) is not None:
            yield InputProblem(str(path), None, refused)
            continue
        fields = dict(entry_of[name].fields) if name in entry_of else {}
        fields.pop("file", None)
        if unknown := sorted(set(fields) - MANIFEST_FIELDS):
            yield InputProblem(
                str(path),
                None,
                f"its manifest entry has unknown field(s) {unknown} (the file is the text); "
                f"valid fields: {sorted({'file', *MANIFEST_FIELDS})}",
            )
            continue
        try:
            yield Located(_txt_article(path, fields, max_chars), str(path))
        except InputError as exc:
            yield InputProblem(str(path), None, str(exc))
        except OSError as exc:
            yield InputProblem(str(path), None, f"cannot read: {exc}")


# JSONL line ends: "\n", "\r\n", and a lone "\r" (an old Mac's, some exporters'); a raw
# CR cannot be inside a JSON string, so none of them splits a record
_LINE_END = re.compile(rb"\r\n?|\n")
_TEXT_LINE_END = re.compile(r"\r\n?|\n")
_READ_CHUNK = 1 << 16


def _line_limit(max_chars: int | None) -> int | None:
    """The longest JSONL line read for an article of at most ``max_chars`` characters:
    ``\\uXXXX`` escapes take 6 bytes a character, and the other fields have their own
    limits (a few kB)."""
    return None if max_chars is None else 6 * max_chars + 65_536


def _byte_lines(stream: IO[bytes], limit: int | None) -> Iterator[bytes | None]:
    """The lines of a binary stream, without their ends (``_LINE_END``). A line longer
    than ``limit`` bytes comes as None: it is read past in chunks, not kept whole."""
    read = getattr(stream, "read1", None) or stream.read
    buf = bytearray()
    too_long = skip_lf = False
    while chunk := read(_READ_CHUNK):
        start = 1 if skip_lf and chunk[:1] == b"\n" else 0  # the "\n" of a "\r\n" cut in two
        for m in _LINE_END.finditer(chunk, start):
            piece = chunk[start : m.start()]
            if limit is not None and len(buf) + len(piece) > limit:
                too_long = True
            yield None if too_long else bytes(buf + piece)
            buf.clear()
            too_long = False
            start = m.end()
        skip_lf = chunk.endswith(b"\r")
        rest = chunk[start:]
        if too_long or (limit is not None and len(buf) + len(rest) > limit):
            too_long = True
            buf.clear()
        else:
            buf += rest
    if buf or too_long:
        yield None if too_long else bytes(buf)


def _text_lines(stream: Iterable[str], limit: int | None) -> Iterator[str | None]:
    """The lines of a text stream (a ``StringIO``: no bytes under it), as ``_byte_lines``."""
    for raw in stream:
        pieces = _TEXT_LINE_END.split(raw)
        if pieces[-1] == "":  # what follows the line's own end
            pieces.pop()
        for piece in pieces:
            yield None if limit is not None and len(piece) > limit else piece


def _located_jsonl(
    lines: Iterable[str | bytes | None], name: str, max_chars: int | None = None
) -> Iterator[Located | InputProblem]:
    """The articles of JSONL lines (``_byte_lines``, ``_text_lines``; None for a line over
    ``_line_limit``), each with its line number; blank lines are passed over. A file whose
    first line is UTF-16 is one problem, not one a line."""
    for lineno, raw in enumerate(lines, start=1):
        if raw is None:
            yield InputProblem(
                name,
                lineno,
                f"longer than {_line_limit(max_chars) or 0:,} bytes: not read (an article's "
                f"text may have at most {max_chars or 0:,} characters)",
            )
            continue
        if isinstance(raw, bytes):
            try:
                line = _decode_utf8(raw, first=lineno == 1, of=" of the line")
            except InputError as exc:
                if lineno == 1 and "UTF-16" in exc.message:
                    # every line of it would be refused alike: one problem for the file
                    yield InputProblem(name, None, f"{exc.message}; the file was not read")
                    return
                yield InputProblem(name, lineno, exc.message)
                continue
        else:
            line = raw.removeprefix("\ufeff") if lineno == 1 else raw
        if not line.strip():
            continue
        try:
            yield Located(article_from_dict(json.loads(line), max_chars=max_chars), name, lineno)
        except json.JSONDecodeError as exc:
            yield InputProblem(name, lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")
        except InputError as exc:
            yield InputProblem(name, lineno, str(exc))
        except RecursionError:
            yield InputProblem(name, lineno, "malformed JSON: nested too deeply")
        except ValueError as exc:  # e.g. an integer past Python's digit limit
            yield InputProblem(name, lineno, f"malformed JSON: {exc}")


def _located_json(path: Path, max_chars: int | None = None) -> Iterator[Located | InputProblem]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        yield InputProblem(str(path), exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")
        return
    except InputError as exc:
        yield InputProblem(str(path), None, str(exc))
        return
    except RecursionError:
        yield InputProblem(str(path), None, "malformed JSON: nested too deeply")
        return
    except ValueError as exc:  # e.g. an integer past Python's digit limit
        yield InputProblem(str(path), None, f"malformed JSON: {exc}")
        return
    except OSError as exc:
        yield InputProblem(str(path), None, f"cannot read: {exc}")
        return
    if isinstance(data, dict) and "articles" in data:
        data = data["articles"]
    if not isinstance(data, list):
        yield InputProblem(str(path), None, 'expected a list of articles or {"articles": [...]}')
        return
    for i, item in enumerate(data, start=1):
        try:
            yield Located(article_from_dict(item, max_chars=max_chars), str(path), position=i)
        except InputError as exc:
            yield InputProblem(str(path), None, f"article #{i} of the list: {exc}")


def _stdin_lines(stream: IO[Any], limit: int | None) -> Iterable[str | bytes | None]:
    """Standard input as raw bytes when it has them (so bad bytes are reported per line)."""
    buffer = getattr(stream, "buffer", None)
    return _byte_lines(buffer, limit) if buffer is not None else _text_lines(stream, limit)


def iter_located_inputs(
    paths: Sequence[str],
    stdin: TextIO | None = None,
    *,
    max_chars: int | None = None,
    skip: Iterable[Path] = (),
) -> Iterator[Located | InputProblem]:
    """Every article (with where it was read) or problem from the given inputs, in order.

    Files are streamed (JSONL line by line, a folder file by file); a JSON list is parsed
    whole, so its size bounds the memory it takes. An article whose text is longer than
    ``max_chars`` is refused, and then no ``.txt`` file or JSONL line is read far past
    what such an article can take. A path must name a folder or a regular file (a pipe or
    a device would block the read, or never end): ``-`` reads standard input. The files
    of ``skip`` (a command's own output) are passed over in a folder without a word.
    """
    for raw in paths:
        if raw == "-":
            stream = stdin or sys.stdin
            if stream is None:
                yield InputProblem("<stdin>", None, "standard input is closed")
            else:
                lines = _stdin_lines(stream, _line_limit(max_chars))
                yield from _located_jsonl(lines, "<stdin>", max_chars)
            continue
        path = Path(raw)
        try:
            is_dir, exists, is_file = path.is_dir(), path.exists(), path.is_file()
        except OSError as exc:  # a name too long, say
            yield InputProblem(raw, None, f"cannot read: {exc.strerror or exc}")
            continue
        if is_dir:
            yield from _located_folder(path, max_chars, skip)
        elif not exists:
            yield InputProblem(raw, None, "no such file or folder")
        elif not is_file:
            yield InputProblem(
                raw,
                None,
                "not a regular file (a pipe or a device): not read; give - for standard input",
            )
        elif path.suffix.lower() == ".jsonl":
            try:
                with path.open("rb") as fh:
                    lines = _byte_lines(fh, _line_limit(max_chars))
                    yield from _located_jsonl(lines, raw, max_chars)
            except OSError as exc:
                yield InputProblem(raw, None, f"cannot read: {exc}")
        elif path.suffix.lower() == ".json":
            yield from _located_json(path, max_chars)
        elif _is_txt(path.name):
            try:
                yield Located(_txt_article(path, {}, max_chars), raw)
            except InputError as exc:
                yield InputProblem(raw, None, str(exc))
            except OSError as exc:
                yield InputProblem(raw, None, f"cannot read: {exc}")
        else:
            yield InputProblem(
                raw, None, "unsupported input: expected a folder, .txt, .json or .jsonl"
            )


def _articles(items: Iterable[Located | InputProblem]) -> Iterator[Article | InputProblem]:
    for item in items:
        yield item.article if isinstance(item, Located) else item


# ---------------------------------------------------------------- plain readers


def iter_folder(folder: Path) -> Iterator[Article | InputProblem]:
    """A folder of ``.txt`` articles; ``manifest.json`` supplies id, outlet, title, date.

    A subfolder or another file in it is a problem; see ``_located_folder``."""
    return _articles(_located_folder(folder))


def iter_jsonl(stream: TextIO, name: str) -> Iterator[Article | InputProblem]:
    """One article per line (blank lines are skipped); problems carry the line number."""
    return _articles(_located_jsonl(_text_lines(stream, None), name))


def iter_json(path: Path) -> Iterator[Article | InputProblem]:
    """A JSON list of articles, or ``{"articles": [...]}``."""
    return _articles(_located_json(path))


def iter_inputs(paths: list[str], stdin: TextIO | None = None) -> Iterator[Article | InputProblem]:
    """Every article (or problem) from the given inputs, in order."""
    return _articles(iter_located_inputs(paths, stdin))


# ---------------------------------------------------------------- writing


# what Markdown (CommonMark and GitHub's, with the HTML they let through) reads as markup:
# escaped with a backslash in every text an article or a client supplied, so an outlet
# named "[x](javascript:alert(1))" or a title holding "<script>" stays text. Without "["
# and "<" no link can form, so parentheses stay as they are ("(AP)").
# An underscore inside a word ("st_a", "q4_k_m") emphasises nothing and stays as it is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|~]|(?<![^\W_])_|_(?![^\W_]))")
# a line that opens with "-", "+", "=" or "12." would start a list or underline a heading
_MARKDOWN_LINE_START = re.compile(r"^(?:[-+=]|\d+[.)])")


# an "&" that starts a character reference would show as the character ("&copy;" as "©")
_MARKDOWN_REFERENCE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def md_text(text: str) -> str:
    """``text`` on one line, as Markdown shows it literally (markup characters escaped)."""
    out = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    out = _MARKDOWN_REFERENCE.sub(r"\\&", out)
    return _MARKDOWN_LINE_START.sub(lambda m: m[0][:-1] + "\\" + m[0][-1], out)


def _md_code(text: str) -> str:
    """An id in a code span; one holding a backtick, as escaped text instead."""
    return f"`{text}`" if "`" not in text and text.strip() == text else md_text(text)


def _md_url(url: str) -> str:
    """A source link: an autolink when it can be one, else the address as plain text."""
    return f"<{url}>" if not re.search(r"[<>\s]", url) else md_text(url)


def render_markdown(brief: Brief) -> str:
    """A brief as Markdown: headline, sentences with ``[n]`` source markers, source list.

    Every text that came from an article or a client (headline, sentences, outlets,
    titles, the fallback reason) is escaped (``md_text``), so it cannot become a link, a
    heading or HTML; a source url (http or https only, ``WEB_URL``) is an autolink."""
    number = {s.article_id: s.n for s in brief.sources}
    lines = [f"## {md_text(brief.headline)}", ""]
    for sent in brief.sentences:
        ns = sorted({number[c.article_id] for c in sent.citations if c.article_id in number})
        marks = "".join(f"[{n}]" for n in ns)
        flag = "" if sent.supported else " *(unsupported)*"
        lines.append(f"- {md_text(sent.text)} {marks}{flag}".rstrip())
    if brief.extractive_fallback:
        reason = f": {md_text(brief.fallback_reason)}" if brief.fallback_reason else ""
        lines += ["", f"*Extractive brief (model output not used{reason}).*"]
    elif extracts := sum(1 for s in brief.sentences if s.origin == "extract"):
        lines += [
            "",
            "*The model's brief came out short: "
            + (
                "the last sentence quotes"
                if extracts == 1
                else f"the last {extracts} sentences quote"
            )
            + " the sources verbatim.*",
        ]
    lines += ["", "Sources:"]
    for src in brief.sources:
        bits = [md_text(src.outlet)]
        if src.title:
            bits.append(f'"{md_text(src.title)}"')
        if src.published:
            bits.append(src.published)
        if src.url:
            bits.append(_md_url(src.url))
        lines.append(f"{src.n}. " + ", ".join(bits))
    st = brief.stats
    lines += [
        "",
        f"*{_count(st.articles, 'article')}, {_count(st.sentences_in, 'sentence')}, "
        f"{st.groups} distinct after removing {_count(st.duplicates_removed, 'repeat')}; "
        f"model {md_text(brief.model.name)}.*",
    ]
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_digest(briefs: Sequence[Brief], title: str = "Story briefs") -> str:
    """Many briefs as one Markdown document.

    A ``#`` title, a summary line, a numbered contents list, then one section per story:
    ``## n. headline``, the story id, and the brief as ``render_markdown`` writes it
    (sentences with ``[n]`` markers, the numbered source list, the counts).
    """
    n_articles = sum(len(b.article_ids) for b in briefs)
    stories = "1 story" if len(briefs) == 1 else f"{len(briefs)} stories"
    lines = [f"# {md_text(title)}", "", f"{stories} from {_count(n_articles, 'article')}."]
    if briefs:
        lines += ["", "Contents:", ""]
        for i, b in enumerate(briefs, start=1):
            lines.append(f"{i}. {md_text(b.headline)} ({_count(len(b.sources), 'source')})")
    out = "\n".join(lines) + "\n"
    for i, b in enumerate(briefs, start=1):
        body = render_markdown(b)
        _, _, rest = body.partition("\n")  # drop render_markdown's own heading line
        out += f"\n---\n\n## {i}. {md_text(b.headline)}\n\n*Story {_md_code(b.story_id)}.*\n" + rest
    return out


# ---------------------------------------------------------------- output files


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``path`` through a temporary file in the same folder and ``os.replace``.

    The file keeps the mode it had, or a new one gets the mode the umask gives.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def check_out_file(out: Path, *, inputs: Sequence[str | Path] = ()) -> None:
    """Refuse an output path before any work is done: a folder, a missing folder, something
    that is not a regular file, a folder this process cannot write to, or one of ``inputs``."""
    if out.is_dir():
        raise InputError(f"--out {out} is a folder; give a file name", "out")
    parent = out.parent
    if not parent.is_dir():
        raise InputError(f"--out {out}: folder {parent} does not exist", "out")
    if out.exists() and not out.is_file():
        raise InputError(f"--out {out} is not a regular file", "out")
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(f"--out {out}: not writable", "out")
    for item in inputs:
        with contextlib.suppress(OSError):
            if out.exists() and out.samefile(item):
                raise InputError(
                    f"--out {out} is an input of this command; give another file", "out"
                )


def write_json_file(out: Path, data: Any) -> None:
    """Write ``data`` as indented JSON through :func:`write_atomic` (``InputError`` on failure)."""
    try:
        write_atomic(out, [(json.dumps(data, indent=2) + "\n").encode("utf-8")])
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}", "out") from exc
