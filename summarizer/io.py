"""Reading article sets from files: a folder of ``.txt`` (optional ``manifest.json``),
JSON (a list of articles, or ``{"articles": [...]}``), JSONL (one article a line), or ``-``
for JSONL on standard input; and writing briefs as JSON or Markdown.

Readers never drop input silently: every record that cannot be read becomes an
``InputProblem`` (path, line, message) that the caller reports, skips, or turns into an
error (``strict``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from summarizer.errors import InputError
from summarizer.types import Article, Brief, derive_article_id

ARTICLE_FIELDS = {"id", "outlet", "title", "url", "published", "text"}
MIN_YEAR, MAX_YEAR = 1800, 2100


@dataclass(frozen=True, slots=True)
class InputProblem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


def parse_date(value: object, field: str = "published") -> date | None:
    """An ISO date (``2023-10-19`` or a datetime string); None for null/empty."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        try:
            d = date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise InputError(f"{field} must be an ISO date like 2023-10-19, not {value!r}", field) from exc
    else:
        raise InputError(f"{field} must be a string, not {type(value).__name__}", field)
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise InputError(f"{field} {d.isoformat()} is not a plausible publication date", field)
    return d


def article_from_dict(data: Mapping[str, Any]) -> Article:
    """Validate one article record; unknown fields and wrong types are refused."""
    if not isinstance(data, Mapping):
        raise InputError(f"an article must be a JSON object, not {type(data).__name__}")
    unknown = set(data) - ARTICLE_FIELDS
    if unknown:
        raise InputError(
            f"unknown field(s) {sorted(unknown)}; valid fields: {sorted(ARTICLE_FIELDS)}",
            sorted(unknown)[0],
        )
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError("text is required and must be a string", "text")
    if not text.strip():
        raise InputError("text is empty", "text")
    outlet = data.get("outlet")
    if not isinstance(outlet, str) or not outlet.strip():
        raise InputError("outlet is required and must be a non-empty string", "outlet")
    for name in ("id", "title", "url"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InputError(f"{name} must be a string", name)
    url = (data.get("url") or None) and str(data["url"]).strip() or None
    art_id = (data.get("id") or "").strip() or derive_article_id(url, text)
    if len(art_id) > 200:
        raise InputError("id is longer than 200 characters", "id")
    return Article(
        id=art_id,
        outlet=outlet.strip(),
        text=text,
        title=(data.get("title") or "").strip() or None,
        url=url,
        published=parse_date(data.get("published")),
    )


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})") from exc


def iter_folder(folder: Path) -> Iterator[Article | InputProblem]:
    """A folder of ``.txt`` articles; ``manifest.json`` supplies id, outlet, title, date."""
    meta: dict[str, dict[str, Any]] = {}
    manifest = folder / "manifest.json"
    if manifest.exists():
        try:
            data = json.loads(_read_text(manifest))
            entries = data["articles"] if isinstance(data, dict) else data
            for entry in entries:
                meta[entry.get("file") or f"{entry['id']}.txt"] = entry
        except (InputError, ValueError, KeyError, TypeError) as exc:
            yield InputProblem(str(manifest), None, f"unreadable manifest: {exc}")
    for path in sorted(folder.glob("*.txt")):
        entry = dict(meta.get(path.name, {}))
        entry.pop("file", None)
        entry.setdefault("id", path.stem)
        entry.setdefault("outlet", "unknown")
        try:
            entry["text"] = _read_text(path)
            yield article_from_dict(entry)
        except InputError as exc:
            yield InputProblem(str(path), None, str(exc))
        except OSError as exc:
            yield InputProblem(str(path), None, f"cannot read: {exc}")


def iter_jsonl(stream: TextIO, name: str) -> Iterator[Article | InputProblem]:
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield article_from_dict(json.loads(line))
        except json.JSONDecodeError as exc:
            yield InputProblem(name, lineno, f"malformed JSON: {exc.msg}")
        except InputError as exc:
            yield InputProblem(name, lineno, str(exc))


def iter_json(path: Path) -> Iterator[Article | InputProblem]:
    try:
        data = json.loads(_read_text(path))
    except (InputError, json.JSONDecodeError) as exc:
        yield InputProblem(str(path), None, f"malformed JSON: {exc}")
        return
    if isinstance(data, dict) and "articles" in data:
        data = data["articles"]
    if not isinstance(data, list):
        yield InputProblem(str(path), None, "expected a list of articles or {\"articles\": [...]}")
        return
    for i, item in enumerate(data):
        try:
            yield article_from_dict(item)
        except InputError as exc:
            yield InputProblem(str(path), None, f"article #{i}: {exc}")


def iter_inputs(paths: list[str], stdin: TextIO | None = None) -> Iterator[Article | InputProblem]:
    """Every article (or problem) from the given inputs, in order."""
    for raw in paths:
        if raw == "-":
            yield from iter_jsonl(stdin or sys.stdin, "<stdin>")
            continue
        path = Path(raw)
        if path.is_dir():
            yield from iter_folder(path)
        elif not path.exists():
            yield InputProblem(raw, None, "no such file or folder")
        elif path.suffix == ".jsonl":
            try:
                with path.open(encoding="utf-8", errors="strict") as fh:
                    yield from iter_jsonl(fh, raw)
            except UnicodeDecodeError as exc:
                yield InputProblem(raw, None, f"not valid UTF-8: {exc.reason}")
        elif path.suffix == ".json":
            yield from iter_json(path)
        elif path.suffix == ".txt":
            try:
                yield article_from_dict(
                    {"id": path.stem, "outlet": "unknown", "text": _read_text(path)}
                )
            except InputError as exc:
                yield InputProblem(raw, None, str(exc))
        else:
            yield InputProblem(raw, None, "unsupported input: expected a folder, .txt, .json or .jsonl")


def render_markdown(brief: Brief) -> str:
    """A brief as Markdown: headline, sentences with ``[n]`` source markers, source list."""
    number = {s.article_id: s.n for s in brief.sources}
    lines = [f"## {brief.headline}", ""]
    for sent in brief.sentences:
        ns = sorted({number[c.article_id] for c in sent.citations if c.article_id in number})
        marks = "".join(f"[{n}]" for n in ns)
        flag = "" if sent.supported else " *(unsupported)*"
        lines.append(f"- {sent.text} {marks}{flag}".rstrip())
    if brief.extractive_fallback:
        reason = f": {brief.fallback_reason}" if brief.fallback_reason else ""
        lines += ["", f"*Extractive brief (model output not used{reason}).*"]
    lines += ["", "Sources:"]
    for src in brief.sources:
        bits = [src.outlet]
        if src.title:
            bits.append(f"\"{src.title}\"")
        if src.published:
            bits.append(src.published)
        if src.url:
            bits.append(src.url)
        lines.append(f"{src.n}. " + ", ".join(bits))
    st = brief.stats
    lines += [
        "",
        f"*{st.articles} articles, {st.sentences_in} sentences, {st.groups} distinct after "
        f"removing {st.duplicates_removed} repeats; model {brief.model.name}.*",
    ]
    return "\n".join(lines) + "\n"
