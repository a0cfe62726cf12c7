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
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from summarizer.errors import InputError
from summarizer.types import Article, Brief, derive_article_id

ARTICLE_FIELDS = {"id", "outlet", "title", "url", "published", "text"}
_SURROGATE = re.compile("[\ud800-\udfff]")  # only a broken escape puts one in a str
MIN_YEAR, MAX_YEAR = 1800, 2100
# a source link a reader can follow: "javascript:alert(1)" or "file:///etc/passwd" in
# ``sources[].url`` would be run or opened by a page that renders the brief's links
WEB_URL = re.compile(r"(?i)https?://[^/?#\s]+")
URL_SCHEME_MESSAGE = "url must be a web address starting with http:// or https://"
# a folder's manifest.json is parsed whole: ≈300 bytes of metadata an article, so this is
# some 150,000 articles, and a runaway file cannot take all memory
MAX_MANIFEST_BYTES = 50_000_000
# an HTML character reference with its semicolon: scraped text keeps them ("AT&amp;T",
# "&quot;We will win,&quot; she said", "&#8217;"); without the semicolon "&copy" or "&not"
# may be the text's own words, so those stay
_CHARREF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


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
    """An article with where it was read: ``line`` is the JSONL line, or the 1-based
    position in a JSON list, or None for a ``.txt`` file."""

    article: Article
    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


def repeated_id(located: Located, first: object) -> InputProblem:
    """The problem for an article whose id was already read at ``first``."""
    return InputProblem(
        located.path,
        located.line,
        f"duplicate article id {located.article.id!r} (first read at {first})",
    )


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


def article_from_dict(data: Mapping[str, Any]) -> Article:
    """Validate one article record; unknown fields and wrong types are refused.

    HTML character references in ``text``, ``title``, ``outlet`` and ``url`` are decoded
    (``decode_references``): the article is stored, split and quoted as decoded.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"an article must be a JSON object, not {type(data).__name__}")
    unknown = set(data) - ARTICLE_FIELDS
    if unknown:
        raise InputError(
            f"unknown field(s) {sorted(unknown)}; valid fields: {sorted(ARTICLE_FIELDS)}",
            sorted(unknown)[0],
        )
    for name in ("text", "outlet", "title", "url"):
        if isinstance(data.get(name), str) and "&" in data[name]:
            data = {**data, name: decode_references(data[name])}
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError("text is required and must be a string", "text")
    if not text.strip():
        raise InputError("text is empty", "text")
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
    url = (data.get("url") or None) and str(data["url"]).strip() or None
    if url is not None and len(url.split()) > 1:
        raise InputError("url must not contain spaces, tabs or line breaks", "url")
    art_id = (data.get("id") or "").strip() or derive_article_id(url, text)
    if len(art_id) > 200:
        raise InputError("id is longer than 200 characters", "id")
    # the REST service's limits: an outlet is a label shown on every evidence line
    for name, limit in (("outlet", 300), ("title", 1000), ("url", 2000)):
        value = data.get(name)
        if isinstance(value, str) and len(value.strip()) > limit:
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


def _read_text(path: Path, limit: int | None = None) -> str:
    """The file as text; with ``limit``, reading stops one byte past it (the size a file
    reports cannot be trusted: one under /proc says 0) and a longer file is refused."""
    with path.open("rb") as fh:
        raw = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise InputError(f"larger than {limit:,} bytes: not read")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})") from exc


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


def _manifest_targets(
    meta: Mapping[str, dict[str, Any]], names: Sequence[str], manifest: Path, folder: Path
) -> Iterator[tuple[str, dict[str, Any]] | InputProblem]:
    """Each manifest entry's file (name, entry), or the problem of an entry that names none.

    An entry names a file exactly, or (with its id) ``ID.txt``; a ``.txt`` extension matches
    in any letter case ("a.txt" finds "a.TXT") when no file has the very name.
    """
    present = set(names)
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(_txt_key(name), []).append(name)
    for name, entry in meta.items():
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


def _link_targets(folder: Path, names: Iterable[str]) -> set[Path]:
    """The files that the links among ``names`` in ``folder`` lead to."""
    out: set[Path] = set()
    for name in names:
        path = folder / name
        with contextlib.suppress(OSError, RuntimeError):
            if path.is_symlink():
                out.add(path.resolve(strict=True))
    return out


def _located_folder(folder: Path) -> Iterator[Located | InputProblem]:
    """A folder's ``.txt`` files (the extension in any letter case), in name order.

    Nothing in it is passed over without a word: a subfolder and a file that is not a
    ``.txt`` (nor the manifest) are problems ("not read: ..."), except the hidden files,
    desktop files and Markdown notes ``_skipped_silently`` names; a hidden ``.txt`` is read
    only when the manifest names it. Subfolders are not read.
    """
    meta: dict[str, dict[str, Any]] = {}
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
        entries: list[Any] = []
        try:
            data = json.loads(_read_text(manifest, MAX_MANIFEST_BYTES))
            entries = data["articles"] if isinstance(data, dict) else data
            if not isinstance(entries, list):
                raise TypeError('expected a list of entries or {"articles": [...]}')
        except RecursionError:
            yield InputProblem(str(manifest), None, "unreadable manifest: nested too deeply")
        except (InputError, OSError, ValueError, KeyError, TypeError) as exc:
            yield InputProblem(str(manifest), None, f"unreadable manifest: {exc}")
        for n, entry in enumerate(entries, start=1):  # a bad entry costs only itself
            name = entry.get("file") or entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(name, str) or not name:
                yield InputProblem(str(manifest), None, f"entry #{n}: needs a file or an id")
                continue
            meta[name if entry.get("file") else f"{name}.txt"] = entry
    entry_of: dict[str, dict[str, Any]] = {}
    linked: set[Path] | None = None
    for target in _manifest_targets(meta, [n for n in names if _is_txt(n)], manifest, folder):
        if isinstance(target, InputProblem):
            yield target
        else:
            entry_of[target[0]] = target[1]
    for name in names:
        path = folder / name
        # a hidden .txt is read only when the manifest names it
        if name == MANIFEST_NAME or (_skipped_silently(name) and name not in entry_of):
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
        entry = dict(entry_of.get(name, {}))
        entry.pop("file", None)
        entry.setdefault("id", path.stem)
        entry.setdefault("outlet", "unknown")
        try:
            entry["text"] = _read_text(path)
            yield Located(article_from_dict(entry), str(path))
        except InputError as exc:
            yield InputProblem(str(path), None, str(exc))
        except OSError as exc:
            yield InputProblem(str(path), None, f"cannot read: {exc}")


def _located_jsonl(lines: Iterable[str | bytes], name: str) -> Iterator[Located | InputProblem]:
    for lineno, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield InputProblem(name, lineno, f"not valid UTF-8 (byte {exc.start} of the line)")
                continue
        else:
            line = raw.removeprefix("\ufeff") if lineno == 1 else raw
        if not line.strip():
            continue
        try:
            yield Located(article_from_dict(json.loads(line)), name, lineno)
        except json.JSONDecodeError as exc:
            yield InputProblem(name, lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")
        except InputError as exc:
            yield InputProblem(name, lineno, str(exc))
        except RecursionError:
            yield InputProblem(name, lineno, "malformed JSON: nested too deeply")
        except ValueError as exc:  # e.g. an integer past Python's digit limit
            yield InputProblem(name, lineno, f"malformed JSON: {exc}")


def _located_json(path: Path) -> Iterator[Located | InputProblem]:
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
    for i, item in enumerate(data):
        try:
            yield Located(article_from_dict(item), str(path), i + 1)
        except InputError as exc:
            yield InputProblem(str(path), None, f"article #{i + 1} of the list: {exc}")


def _stdin_lines(stream: IO[Any]) -> Iterable[str | bytes]:
    """Standard input as raw bytes when it has them (so bad bytes are reported per line)."""
    buffer = getattr(stream, "buffer", None)
    return buffer if buffer is not None else stream


def iter_located_inputs(
    paths: Sequence[str], stdin: TextIO | None = None
) -> Iterator[Located | InputProblem]:
    """Every article (with where it was read) or problem from the given inputs, in order.

    Files are streamed (JSONL line by line, a folder file by file); a JSON list is parsed
    whole, so its size bounds the memory it takes.
    """
    for raw in paths:
        if raw == "-":
            stream = stdin or sys.stdin
            if stream is None:
                yield InputProblem("<stdin>", None, "standard input is closed")
            else:
                yield from _located_jsonl(_stdin_lines(stream), "<stdin>")
            continue
        path = Path(raw)
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as exc:  # a name too long, say
            yield InputProblem(raw, None, f"cannot read: {exc.strerror or exc}")
            continue
        if is_dir:
            yield from _located_folder(path)
        elif not exists:
            yield InputProblem(raw, None, "no such file or folder")
        elif path.suffix.lower() == ".jsonl":
            try:
                with path.open("rb") as fh:
                    yield from _located_jsonl(fh, raw)
            except OSError as exc:
                yield InputProblem(raw, None, f"cannot read: {exc}")
        elif path.suffix.lower() == ".json":
            yield from _located_json(path)
        elif _is_txt(path.name):
            try:
                art = article_from_dict(
                    {"id": path.stem, "outlet": "unknown", "text": _read_text(path)}
                )
                yield Located(art, raw)
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
    return _articles(_located_jsonl(stream, name))


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
