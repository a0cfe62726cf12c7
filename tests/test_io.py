"""Readers (with locations and problems) and the Markdown writers, on hand-built inputs."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from summarizer.errors import InputError
from summarizer.io import (
    HTML_MESSAGE,
    InputProblem,
    Located,
    article_from_dict,
    article_to_dict,
    decode_references,
    iter_inputs,
    iter_jsonl,
    iter_located_inputs,
    md_text,
    render_digest,
    render_markdown,
)
from summarizer.types import (
    Article,
    Brief,
    BriefSentence,
    BriefStats,
    Citation,
    ModelInfo,
    Source,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def rec(i: int, **extra: object) -> dict[str, object]:
    return {"id": f"a{i}", "outlet": f"Outlet {i}", "text": f"Article {i} says something.", **extra}


def line(data: object) -> bytes:
    return json.dumps(data).encode("utf-8") + b"\n"


def test_jsonl_problems_carry_line_numbers_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        line(rec(1))
        + b"\n"  # blank line 2: skipped silently
        + b"{not json\n"  # 3
        + line({"outlet": "x"})  # 4: no text
        + b'{"id": "a5", "outlet": "O", "text": "caf\xe9 au lait"}\n'  # 5: latin-1 byte
        + line(rec(6, colour="red"))  # 6: unknown field
        + line([1, 2])  # 7: not an object
        + line(rec(8))
    )
    items = list(iter_located_inputs([str(path)]))
    got = [(i.line, type(i).__name__) for i in items]
    assert got == [
        (1, "Located"),
        (3, "InputProblem"),
        (4, "InputProblem"),
        (5, "InputProblem"),
        (6, "InputProblem"),
        (7, "InputProblem"),
        (8, "Located"),
    ]
    problems = {p.line: p for p in items if isinstance(p, InputProblem)}
    assert str(problems[3]).startswith(f"{path}:3: malformed JSON")
    assert "text is required" in problems[4].message
    assert "not valid UTF-8" in problems[5].message
    assert "colour" in problems[6].message and "valid fields" in problems[6].message
    assert "JSON object" in problems[7].message
    located = [i for i in items if isinstance(i, Located)]
    assert [x.article.id for x in located] == ["a1", "a8"]
    assert str(located[1]) == f"{path}:8"


def test_jsonl_with_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line(rec(1)).replace(b"\n", b"\r\n") + line(rec(2)))
    items = list(iter_inputs([str(path)]))
    assert [a.id for a in items if isinstance(a, Article)] == ["a1", "a2"]


def test_stdin_text_and_binary_streams() -> None:
    data = line(rec(1)) + b"\xff\n" + line(rec(3))
    binary = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    items = list(iter_located_inputs(["-"], binary))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Located", 1),
        ("InputProblem", 2),
        ("Located", 3),
    ]
    assert items[1].path == "<stdin>"  # type: ignore[union-attr]
    text_only = io.StringIO(line(rec(1)).decode() + line(rec(2)).decode())
    assert [a.id for a in iter_inputs(["-"], text_only)] == ["a1", "a2"]  # type: ignore[union-attr]


def test_iter_jsonl_keeps_its_text_stream_signature() -> None:
    stream = io.StringIO(line(rec(1)).decode() + "oops\n")
    items = list(iter_jsonl(stream, "s"))
    assert isinstance(items[0], Article)
    assert isinstance(items[1], InputProblem) and items[1].line == 2


def test_json_list_positions_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "list.json"
    good.write_text(json.dumps([rec(1), {"outlet": "x", "text": " "}, rec(3)]))
    items = list(iter_located_inputs([str(good)]))
    located = [i for i in items if isinstance(i, Located)]
    assert [(i.position, i.line) for i in located] == [(1, None), (3, None)]
    bad = [i for i in items if isinstance(i, InputProblem)]
    assert len(bad) == 1 and "article #2 of the list" in bad[0].message
    # a later problem with a listed article says where it is in the same words, not as a
    # line number (in a pretty-printed list, position 3 is no line 3)
    assert str(located[1]) == f"{good}, article #3 of the list"
    assert str(located[1].problem("too short")) == f"{good}: article #3 of the list: too short"

    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"articles": [rec(7)]}))
    assert [a.id for a in iter_inputs([str(wrapped)])] == ["a7"]  # type: ignore[union-attr]

    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": "a1",\n  oops\n]')
    (problem,) = list(iter_located_inputs([str(broken)]))
    assert isinstance(problem, InputProblem) and problem.line == 3

    scalar = tmp_path / "scalar.json"
    scalar.write_text("42")
    (problem,) = list(iter_located_inputs([str(scalar)]))
    assert isinstance(problem, InputProblem) and "expected a list" in problem.message


def test_folder_with_manifest_and_a_non_utf8_file(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("First article text.", encoding="utf-8")
    (tmp_path / "two.txt").write_bytes(b"Caf\xe9 society returns.")
    (tmp_path / "manifest.json").write_text(
        json.dumps({"articles": [{"id": "one", "outlet": "Paper", "published": "2024-01-02"}]})
    )
    items = list(iter_located_inputs([str(tmp_path)]))
    assert isinstance(items[0], Located)
    assert items[0].article.outlet == "Paper"
    assert items[0].article.published == date(2024, 1, 2)
    assert isinstance(items[1], InputProblem)
    assert items[1].path.endswith("two.txt") and "not valid UTF-8 (byte 3)" in items[1].message


def test_a_bad_manifest_entry_costs_only_itself(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(f"Article {name} text here.", encoding="utf-8")
    entries = [
        {"id": "a", "outlet": "AP"},
        "junk",
        {"id": "b", "outlet": "BBC"},
        {"id": "gone", "outlet": "AFP"},
        {"file": "../../../../etc/passwd", "outlet": "X"},
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")
    items = list(iter_located_inputs([str(tmp_path)]))
    problems = [x.message for x in items if isinstance(x, InputProblem)]
    assert problems == [
        "entry #2: needs a file or an id",
        f"entry for 'gone.txt': no such .txt file in {tmp_path}",
        f"entry for '../../../../etc/passwd': no such .txt file in {tmp_path}",
    ]
    outlets = {x.article.id: x.article.outlet for x in items if isinstance(x, Located)}
    assert outlets == {"a": "AP", "b": "BBC"}


def test_a_manifest_entry_with_a_text_or_an_unknown_field_is_refused(tmp_path: Path) -> None:
    """The file is the text: a "text" in its entry was silently dropped; the list of valid
    fields named "text" and left out "file"."""
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(f"Article {name} text here.", encoding="utf-8")
    entries = [
        {"file": "a.txt", "outlet": "BBC", "text": "Other text. Here it is."},
        {"file": "b.txt", "outlet": "AP", "colour": "red"},
        {"file": "c.txt", "outlet": "AFP", "title": "C"},
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")
    items = list(iter_located_inputs([str(tmp_path)]))
    problems = {Path(x.path).name: x.message for x in items if isinstance(x, InputProblem)}
    valid = (
        "(the file is the text); valid fields: ['file', 'id', 'outlet', 'published', 'title', "
        "'url']"
    )
    assert problems == {
        "a.txt": f"its manifest entry has unknown field(s) ['text'] {valid}",
        "b.txt": f"its manifest entry has unknown field(s) ['colour'] {valid}",
    }
    assert [x.article.id for x in items if isinstance(x, Located)] == ["c"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deep.json", "[" * 100_000, "malformed JSON: nested too deeply"),
        (
            "big.json",
            '[{"outlet": "AP", "text": "x", "title": ' + "9" * 5000 + "}]",
            "malformed JSON",
        ),
        (
            "big.jsonl",
            '{"outlet": "AP", "text": "x", "title": ' + "9" * 5000 + "}\n",
            "malformed JSON",
        ),
        ("surr.jsonl", '{"outlet": "AP", "text": "A broken \\ud800 escape."}\n', "lone surrogate"),
    ],
)
def test_hostile_json_is_a_problem_not_a_crash(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    items = list(iter_located_inputs([str(path)]))
    assert len(items) == 1 and isinstance(items[0], InputProblem)
    assert message in items[0].message


def test_a_manifest_that_is_a_folder_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").mkdir()
    (tmp_path / "a.txt").write_text("Article a text here.", encoding="utf-8")
    items = list(iter_located_inputs([str(tmp_path)]))
    assert isinstance(items[0], InputProblem) and "unreadable manifest" in items[0].message
    assert isinstance(items[1], Located)


def _manifest_problems(folder: Path) -> tuple[list[str], list[str]]:
    """The manifest's problems and the ids read, for a folder holding a.txt."""
    items = list(iter_located_inputs([str(folder)]))
    problems = [p for p in items if isinstance(p, InputProblem)]
    assert {p.path for p in problems} <= {str(folder / "manifest.json")}
    return [p.message for p in problems], [i.article.id for i in items if isinstance(i, Located)]


@pytest.mark.timeout(30)
def test_a_manifest_that_is_a_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    """Opening a named pipe blocks until something writes to it: the reader hung."""
    import os

    (tmp_path / "a.txt").write_text("Article a text here.", encoding="utf-8")
    os.mkfifo(tmp_path / "manifest.json")
    problems, read = _manifest_problems(tmp_path)
    assert problems == ["unreadable manifest: not a regular file: not read"] and read == ["a"]


@pytest.mark.timeout(30)
def test_a_manifest_that_links_out_of_the_folder_is_not_read(tmp_path: Path) -> None:
    """A link to /dev/zero read until memory ran out; a link to any other file outside the
    folder was read as the manifest. Both are refused as a .txt link out would be; a link
    to a file inside the folder is read."""
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([{"id": "a", "outlet": "Leaked"}]), encoding="utf-8")
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.txt").write_text("Article a text here.", encoding="utf-8")
    manifest = folder / "manifest.json"
    refused = "unreadable manifest: a link to a file outside the folder: not read"
    for target in (Path("/dev/zero"), outside):
        manifest.symlink_to(target)
        assert _manifest_problems(folder) == ([refused], ["a"])
        manifest.unlink()
    manifest.symlink_to(folder / "gone.json")  # broken: reported, not taken for no manifest
    problems, read = _manifest_problems(folder)
    assert len(problems) == 1 and problems[0].startswith("unreadable manifest: cannot read")
    manifest.unlink()
    (folder / "meta.json").write_text(json.dumps([{"id": "a", "outlet": "AP"}]))
    manifest.symlink_to(folder / "meta.json")
    items = list(iter_located_inputs([str(folder)]))
    assert [(i.article.id, i.article.outlet) for i in items if isinstance(i, Located)] == [
        ("a", "AP")
    ]
    assert not [p for p in items if isinstance(p, InputProblem)]


def test_a_manifest_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """The manifest is parsed whole, so its size is bounded; a file at the limit is read."""
    from summarizer.io import MAX_MANIFEST_BYTES

    (tmp_path / "a.txt").write_text("Article a text here.", encoding="utf-8")
    manifest = tmp_path / "manifest.json"
    entry = json.dumps([{"id": "a", "outlet": "AP"}])
    with manifest.open("w", encoding="utf-8") as fh:  # padded with spaces to the limit
        fh.write(entry + " " * (MAX_MANIFEST_BYTES - len(entry)))
    items = list(iter_located_inputs([str(tmp_path)]))
    assert [i.article.outlet for i in items if isinstance(i, Located)] == ["AP"]
    with manifest.open("a", encoding="utf-8") as fh:
        fh.write(" ")
    problems, read = _manifest_problems(tmp_path)
    assert problems == [
        f"unreadable manifest: larger than {MAX_MANIFEST_BYTES:,} bytes: not read"
    ] and read == ["a"]


def test_seeds_folder_reads_all_five() -> None:
    items = list(iter_located_inputs([str(SEEDS)]))
    assert len(items) == 5 and all(isinstance(i, Located) for i in items)


def test_missing_and_unsupported_inputs(tmp_path: Path) -> None:
    other = tmp_path / "data.csv"
    other.write_text("a,b\n")
    items = list(iter_inputs([str(tmp_path / "nope.jsonl"), str(other)]))
    assert [type(i).__name__ for i in items] == ["InputProblem", "InputProblem"]
    assert "no such file" in items[0].message  # type: ignore[union-attr]
    assert "unsupported input" in items[1].message  # type: ignore[union-attr]


def test_article_dict_round_trip() -> None:
    art = article_from_dict(rec(1, published="2023-10-19T08:00:00Z", url=" http://x/1 "))
    assert art.url == "http://x/1" and art.published == date(2023, 10, 19)
    assert article_from_dict(article_to_dict(art)) == art
    with pytest.raises(InputError, match="plausible"):
        article_from_dict(rec(1, published="0999-01-01"))
    # a date far ahead would head every newest-first listing for good; a day or two ahead
    # is a time zone
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    with pytest.raises(InputError, match="more than 2 days in the future") as err:
        article_from_dict(rec(1, published="2099-12-31"))
    assert err.value.field == "published"
    ahead = (today + timedelta(days=1)).isoformat()
    assert article_from_dict(rec(1, published=ahead)).published == today + timedelta(days=1)
    with pytest.raises(InputError, match="future"):
        article_from_dict(rec(1, published=(today + timedelta(days=3)).isoformat()))
    assert article_from_dict(rec(1, published="2023-10-19 08:30:00+14:00")).published
    assert article_from_dict(rec(1, published="  ")).published is None
    for bad in (
        "2023-02-03 garbage",
        "2023-10-19T25:99:00Z",
        "2023-10-19T08:30:00+99:00",
        "2023-10-19T08:30:00+15:00",
        "2023-10-19T08:30:00-13:00",
    ):
        with pytest.raises(InputError, match="ISO date"):
            article_from_dict(rec(1, published=bad))
    with pytest.raises(InputError, match="url must not contain spaces"):
        article_from_dict(rec(1, url="http://x/\n1"))
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "news.example/a", "http://"):
        with pytest.raises(InputError, match="web address"):
            article_from_dict(rec(1, url=bad))
    assert article_from_dict(rec(1, url="HTTPS://News.Example/a?b=1")).url
    two_lines = article_from_dict({**rec(1), "title": "Lavrov in\nPyongyang", "outlet": "A\tB"})
    assert (two_lines.title, two_lines.outlet) == ("Lavrov in Pyongyang", "A B")


# ---------------------------------------------------------------- Markdown


def make_brief(story: str, headline: str, n_sources: int, *, fallback: bool = False) -> Brief:
    sources = [
        Source(n=i, article_id=f"{story}-a{i}", outlet=f"Outlet {i}", title=f"T{i}")
        for i in range(1, n_sources + 1)
    ]
    sentences = [
        BriefSentence(
            text=f"Sentence {k} of {story}.",
            support=0.9,
            citations=[
                Citation(
                    article_id=sources[j].article_id,
                    outlet=sources[j].outlet,
                    quote="q",
                    start=0,
                    end=1,
                )
                for j in range(k % n_sources, n_sources)
            ],
        )
        for k in range(2)
    ]
    return Brief(
        story_id=story,
        article_ids=[s.article_id for s in sources],
        headline=headline,
        sentences=sentences,
        sources=sources,
        stats=BriefStats(articles=n_sources, sentences_in=10, groups=8, duplicates_removed=2),
        model=ModelInfo(name="extractive", backend="none", sha256=""),
        extractive_fallback=fallback,
        fallback_reason="no generator configured" if fallback else None,
        timings={},
    )


def test_html_character_references_are_decoded_on_input() -> None:
    """Scraped text keeps references: the article is stored and quoted as decoded."""
    art = article_from_dict(
        {
            "outlet": "Tom&#39;s &amp; Jerry&rsquo;s Daily",
            "title": "AT&amp;T&nbsp;sues",
            "url": "https://news.example/a?b=1&amp;c=2",
            "text": "&quot;We will appeal,&quot; AT&amp;T said on Monday&#8230; R&D stays.",
        }
    )
    assert art.text == '"We will appeal," AT&T said on Monday\u2026 R&D stays.'
    assert art.title == "AT&T sues"  # the no-break space is a space in a one-line title
    assert art.outlet == "Tom's & Jerry\u2019s Daily"
    assert art.url == "https://news.example/a?b=1&c=2"
    # the id derived from the text is the decoded text's: escaped or not, one article
    plain = article_from_dict({"outlet": "A", "text": '"We will appeal," AT&T said.'})
    escaped = article_from_dict(
        {"outlet": "A", "text": "&quot;We will appeal,&quot; AT&amp;T said."}
    )
    assert plain.id == escaped.id and plain.text == escaped.text
    # no semicolon, an unknown name or a bare ampersand: the text's own characters
    for kept in ("Q&A", "&copy 2024", "&notaname;", "Fish & chips", "&", "&#;"):
        assert decode_references(kept) == kept
    assert decode_references("a&#0;b&#1;c") == "a\ufffdbc"
    # a text of references to nothing is empty, and refused as empty
    with pytest.raises(InputError, match="text is empty"):
        article_from_dict({"outlet": "A", "text": "&nbsp;&#32;"})
    # a reference may not smuggle a line break into a url
    with pytest.raises(InputError, match="url must not contain spaces"):
        article_from_dict({"outlet": "A", "text": "Text.", "url": "http://x/&#10;1"})


def test_text_mostly_in_another_script_is_refused_with_its_script() -> None:
    """Articles are read as English: unrelated Arabic texts embed alike and would share a
    story and support each other's sentences."""
    for text, script in (
        ("وصل وزير الخارجية الروسي سيرغي لافروف إلى بيونغ يانغ يوم الأربعاء.", "Arabic"),
        ("रूसी विदेश मंत्री सर्गेई लावरोव बुधवार को प्योंगयांग पहुंचे।", "Devanagari"),
        ("Министр иностранных дел России Сергей Лавров прибыл в Пхеньян.", "Cyrillic"),
        ("俄罗斯外长拉夫罗夫周三抵达平壤进行访问讨论合作事宜并会见朝鲜领导人。", "CJK"),
    ):
        with pytest.raises(InputError, match=f"mostly in {script} script") as info:
            article_from_dict({"outlet": "A", "text": text})
        assert info.value.field == "text"
    # accented Latin, and English with a quotation in another script, are read
    for text in (
        "Le ministre russe des Affaires étrangères est arrivé à Pyongyang mercredi.",
        "Lavrov said «Мы поддерживаем Корею» and left Pyongyang on Wednesday evening.",
        "Tiếng Việt có dấu vẫn là chữ Latinh, nên bài này được đọc.",
    ):
        assert article_from_dict({"outlet": "A", "text": text}).text == text


def test_render_markdown_markers_follow_source_numbers() -> None:
    md = render_markdown(make_brief("st_x", "Headline", 3))
    assert md.startswith("## Headline\n")
    assert "- Sentence 0 of st_x. [1][2][3]" in md
    assert "- Sentence 1 of st_x. [2][3]" in md
    assert '1. Outlet 1, "T1"' in md
    assert "*3 articles, 10 sentences, 8 distinct after removing 2 repeats" in md
    one = render_markdown(make_brief("st_y", "H", 1))
    assert "*1 article, 10 sentences," in one
    assert "verbatim" not in md


def test_render_markdown_says_which_sentences_are_topped_up() -> None:
    brief = make_brief("st_x", "Headline", 3)
    brief.sentences[-1].origin = "extract"
    md = render_markdown(brief)
    assert "*The model's brief came out short: the last sentence quotes the sources" in md


def test_markdown_keeps_hostile_text_as_text() -> None:
    """Outlets, titles, headlines and sentences come from articles and clients: rendered
    by a Markdown parser they make no link, no HTML, no heading and no list."""
    markdown_it = pytest.importorskip("markdown_it")
    brief = make_brief("st_x", "## Injected *title* <script>alert(1)</script>", 2)
    hostile_sources = [
        brief.sources[0].model_copy(
            update={"outlet": "Evil [x](javascript:alert(1))", "title": "<img src=x onerror=y>"}
        ),
        brief.sources[1].model_copy(update={"url": "https://ex.com/a)b_c"}),
    ]
    sentence = brief.sentences[0].model_copy(
        update={"text": "1. Click [here](javascript:alert(2)) or <b>here</b>\n# now"}
    )
    brief = brief.model_copy(
        update={"sources": hostile_sources, "sentences": [sentence, *brief.sentences[1:]]}
    )
    for md in (render_markdown(brief), render_digest([brief], title="<i>Daily</i>")):
        html = markdown_it.MarkdownIt("commonmark").render(md)
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        assert "<i>" not in html
        assert 'href="javascript' not in html
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert hrefs == ["https://ex.com/a)b_c"]  # the source link, and nothing else
        assert html.count("<h2>") == 1  # the story's heading; none from the text
        assert "<h1>" not in html.replace("<h1>&lt;i&gt;Daily&lt;/i&gt;</h1>", "")
        assert "<li>Click" not in html and "<li>\n<ol" not in html  # "1. Click" is text
        assert "Injected *title* &lt;script&gt;" in html  # shown as written
        assert "[1]" in md  # the source markers stay plain
    # a character reference is shown as written, not as its character
    html = markdown_it.MarkdownIt("commonmark").renderInline(md_text("AT&T &copy; &#169; R&D"))
    assert html == "AT&amp;T &amp;copy; &amp;#169; R&amp;D"


def test_render_digest_structure() -> None:
    briefs = [make_brief("st_a", "First\nstory", 2), make_brief("st_b", "Second", 1, fallback=True)]
    md = render_digest(briefs)
    lines = md.splitlines()
    assert lines[0] == "# Story briefs"
    assert "2 stories from 3 articles." in lines
    assert "1. First story (2 sources)" in lines and "2. Second (1 source)" in lines
    sections = md.split("\n---\n")
    assert len(sections) == 3
    for i, (section, brief) in enumerate(zip(sections[1:], briefs, strict=True), start=1):
        assert section.lstrip().startswith(f"## {i}. ")
        assert f"*Story `{brief.story_id}`.*" in section
        assert section.count("\n## ") == 1  # render_markdown's own heading was replaced
        listed = re.findall(r"^(\d+)\. Outlet", section, flags=re.M)
        assert listed == [str(n) for n in range(1, len(brief.sources) + 1)]
        markers = {int(m) for m in re.findall(r"\[(\d+)\]", section)}
        assert markers and markers <= set(range(1, len(brief.sources) + 1))
    assert "Extractive brief" in sections[2]


def test_render_digest_of_nothing() -> None:
    assert render_digest([]) == "# Story briefs\n\n0 stories from 0 articles.\n"


def test_outlet_title_and_url_have_the_services_length_limits() -> None:
    from summarizer.io import article_from_dict

    base = {"outlet": "AP", "text": "The council met on Tuesday and approved the plan."}
    assert article_from_dict({**base, "outlet": "O" * 300}).outlet == "O" * 300
    for name, limit in (("outlet", 300), ("title", 1000), ("url", 2000)):
        with pytest.raises(InputError, match=f"{name} is longer than {limit} characters"):
            article_from_dict({**base, name: "x" * (limit + 1)})


def test_a_folder_reads_no_link_out_of_it_and_no_pipe(tmp_path: Path) -> None:
    """A .txt link to a file outside the folder and a named pipe are reported, not read
    (the pipe would block); a link inside the folder and plain files are read."""
    import os

    outside = tmp_path / "secret.txt"
    outside.write_text("Not an article of this folder, but a readable file.", encoding="utf-8")
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.txt").write_text("The council approved the budget on Monday.", encoding="utf-8")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    (folder / "leak.txt").symlink_to(outside)
    os.mkfifo(folder / "pipe.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    items = list(iter_located_inputs([str(folder)]))
    read = sorted(i.article.id for i in items if isinstance(i, Located))
    problems = {Path(p.path).name: p.message for p in items if isinstance(p, InputProblem)}
    assert read == ["a", "b"]
    assert "outside the folder" in problems["leak.txt"]
    assert "not a regular file" in problems["pipe.txt"]
    assert "cannot read" in problems["loop.txt"]


def _read_folder(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """{file name: article id + " / " + outlet} read, and {file name: message} reported."""
    items = list(iter_located_inputs([str(folder)]))
    read = {
        Path(i.path).name: f"{i.article.id} / {i.article.outlet}"
        for i in items
        if isinstance(i, Located)
    }
    problems = {Path(p.path).name: p.message for p in items if isinstance(p, InputProblem)}
    return read, problems


def test_a_folder_reads_txt_in_any_case_and_reports_what_it_does_not_read(
    tmp_path: Path,
) -> None:
    """``glob("*.txt")`` passed over A.TXT and a subfolder without a word. A .txt in any
    letter case is read (a manifest entry by id or by file name still finds it); a
    subfolder and any other file are problems; hidden files, the desktop's own files and
    Markdown notes (as seeds/SOURCE.md) are no input and pass without a word."""
    text = "The council approved the budget on Monday after a long debate."
    for name in ("a.txt", "B.TXT", "c.Txt", "sub/d.txt", ".git/e.txt", "notes.csv"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name in (".DS_Store", "._a.txt", "Thumbs.db", "desktop.ini", "SOURCE.md", "x.markdown"):
        (tmp_path / name).write_bytes(b"\x00\x05\x16\x07 not text")
    (tmp_path / "page.html").write_text("<p>An article saved as HTML.</p>", encoding="utf-8")
    (tmp_path / "raw.dat").write_text(text, encoding="utf-8")  # read through linked.txt
    (tmp_path / "linked.txt").symlink_to(tmp_path / "raw.dat")
    (tmp_path / "manifest.json").write_text(
        json.dumps([{"id": "B", "outlet": "BBC"}, {"file": "c.txt", "outlet": "CNN"}])
    )
    read, problems = _read_folder(tmp_path)
    assert read == {
        "a.txt": "a / unknown",
        "B.TXT": "B / BBC",
        "c.Txt": "c / CNN",
        "linked.txt": "linked / unknown",
    }
    assert problems == {
        "sub": "not read: a folder",
        "notes.csv": "not read: not a .txt file",
        "page.html": "not read: not a .txt file",
    }


def test_a_manifest_names_a_txt_exactly_first_and_may_name_a_hidden_one(
    tmp_path: Path,
) -> None:
    """Where x.txt and x.TXT both exist, an entry for "x.txt" is the file of that very name,
    and an entry whose name matches both only by letter case is a problem, not a guess. A
    hidden .txt is read when the manifest names it."""
    for name in ("x.txt", "x.TXT", ".kept.txt"):
        (tmp_path / name).write_text(f"The text of {name} is here.", encoding="utf-8")
    entries = [
        {"id": "x", "outlet": "AP"},
        {"file": "x.Txt", "outlet": "Z"},
        {"file": ".kept.txt", "outlet": "H"},
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")
    read, problems = _read_folder(tmp_path)
    assert read == {".kept.txt": ".kept / H", "x.TXT": "x / unknown", "x.txt": "x / AP"}
    assert problems == {
        "manifest.json": f"entry for 'x.Txt': matches more than one file in {tmp_path} "
        "(x.TXT, x.txt); give the file's exact name"
    }


def test_a_folder_that_cannot_be_listed_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``glob`` swallowed a listing error: an unreadable folder read as an empty one."""
    import errno
    import os

    (tmp_path / "a.txt").write_text("Article a text here.", encoding="utf-8")

    def scandir(path: object) -> object:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr("summarizer.io.os.scandir", scandir)
    assert list(iter_located_inputs([str(tmp_path)])) == [
        InputProblem(str(tmp_path), None, "cannot read the folder: Permission denied")
    ]


def test_single_files_are_known_by_their_extension_in_any_case(tmp_path: Path) -> None:
    text = "The council approved the budget on Monday after a long debate."
    (tmp_path / "ONE.TXT").write_text(text, encoding="utf-8")
    (tmp_path / "TWO.JSONL").write_bytes(line(rec(2)))
    (tmp_path / "Three.Json").write_text(json.dumps([rec(3)]), encoding="utf-8")
    names = [str(tmp_path / n) for n in ("ONE.TXT", "TWO.JSONL", "Three.Json")]
    items = list(iter_located_inputs(names))
    assert [i.article.id for i in items if isinstance(i, Located)] == ["ONE", "a2", "a3"]


# ---------------------------------------------------------------- encodings, sizes, paths

A_TEXT = (
    "Flooding in Leeds forced hundreds of residents from their homes on Tuesday. "
    "Council officials said 300 properties were affected."
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (A_TEXT.encode("utf-16-le"), "holds NUL bytes (byte 1): it looks like UTF-16 text"),
        (A_TEXT.encode("utf-16-be"), "holds NUL bytes (byte 0): it looks like UTF-16 text"),
        (A_TEXT.encode("utf-16"), "UTF-16 text (it starts with a UTF-16 byte order mark)"),
        (A_TEXT.replace(". ", ".\x00 ").encode(), "holds NUL bytes (byte 75): not plain text"),
        (("Café " + A_TEXT).encode("latin-1"), "not valid UTF-8 (byte 3): it looks like Windows"),
        (("\u201cWe\u201d " + A_TEXT).encode("cp1252"), "(byte 0): it looks like Windows-1252"),
        (b"\x81\x8d\x90" + A_TEXT.encode(), "not valid UTF-8 (byte 0): save it as UTF-8"),
    ],
)
def test_text_that_is_not_utf8_is_refused_with_what_it_looks_like(
    tmp_path: Path, data: bytes, message: str
) -> None:
    """UTF-16 without a byte order mark was read as UTF-8 (NUL is valid UTF-8) and briefed
    as 'F\\x00l\\x00o...' with exit 0; Latin-1 said only "not valid UTF-8 (byte 3)"."""
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    (problem,) = iter_located_inputs([str(path)])
    assert isinstance(problem, InputProblem)
    assert message in problem.message and problem.message.endswith("save it as UTF-8")
    jsonl = tmp_path / "a.jsonl"  # a JSONL line: the same words, its byte in the line
    jsonl.write_bytes(line(rec(1)) + data.replace(b"\n", b" ") + b"\n")
    items = list(iter_located_inputs([str(jsonl)]))
    assert isinstance(items[0], Located) and isinstance(items[1], InputProblem)
    assert items[1].line == 2 and "save it as UTF-8" in items[1].message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16"])
def test_a_utf16_jsonl_file_is_one_problem_not_one_a_line(tmp_path: Path, encoding: str) -> None:
    """Each of its lines was refused alike: thousands of lines of stderr for a big file."""
    records = "".join(json.dumps(rec(i)) + "\n" for i in range(1, 200))
    path = tmp_path / "wide.jsonl"
    path.write_bytes(records.encode(encoding))
    (problem,) = iter_located_inputs([str(path)])
    assert isinstance(problem, InputProblem) and problem.line is None
    assert "UTF-16" in problem.message and problem.message.endswith("the file was not read")


def test_a_nul_character_in_an_article_field_is_refused() -> None:
    with pytest.raises(InputError, match=r"text holds NUL characters: not plain text") as info:
        article_from_dict({"outlet": "AP", "text": "F\x00l\x00o\x00o\x00d\x00 in Leeds."})
    assert info.value.field == "text"
    with pytest.raises(InputError, match="title holds NUL characters"):
        article_from_dict({"outlet": "AP", "title": "a\x00b", "text": A_TEXT})


def test_a_file_name_that_is_not_utf8_is_named_as_the_problem(tmp_path: Path) -> None:
    import os

    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_text(A_TEXT, encoding="utf-8")
    for source in (str(tmp_path / name), str(tmp_path)):
        (problem,) = iter_located_inputs([source])
        assert isinstance(problem, InputProblem)
        assert problem.message == (
            "the file name is not valid UTF-8, and the article's id is made from it; "
            "rename the file"
        )


def test_jsonl_lines_end_at_cr_crlf_or_lf(tmp_path: Path) -> None:
    """A file with CR-only line ends was one line: every article but one was lost."""
    path = tmp_path / "mac.jsonl"
    path.write_bytes(
        line(rec(1)).replace(b"\n", b"\r")
        + line(rec(2)).replace(b"\n", b"\r\n")
        + b"\r"  # a blank line 3
        + line(rec(4))
        + b"{oops\r"
        + line(rec(6)).rstrip(b"\n")
    )
    items = list(iter_located_inputs([str(path)]))
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Located", 1),
        ("Located", 2),
        ("Located", 4),
        ("InputProblem", 5),
        ("Located", 6),
    ]
    text = io.StringIO(line(rec(1)).decode().replace("\n", "\r") + line(rec(2)).decode())
    assert [(type(i).__name__, i.line) for i in iter_located_inputs(["-"], text)] == [
        ("Located", 1),
        ("Located", 2),
    ]


def test_a_crlf_split_between_two_reads_is_one_line_end() -> None:
    from summarizer.io import _byte_lines

    class Trickle(io.BytesIO):
        def read1(self, size: int = -1) -> bytes:
            return super().read1(3)

    data = b"ab\r\ncd\ref\n\ngh\r"  # chunks: "ab\r" "\ncd" "\ref" "\n\ng" "h\r"
    assert list(_byte_lines(Trickle(data), None)) == [b"ab", b"cd", b"ef", b"", b"gh"]
    assert list(_byte_lines(Trickle(b"abcdefgh\nab\n"), 4)) == [None, b"ab"]


def test_an_article_over_the_length_limit_is_refused_without_reading_it_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 50 MB .txt ran 15 minutes at 930 MB; the service refuses an article over
    max_chars_per_article, and so do the readers, a .txt file read no further than the
    limit allows (4 bytes a character), a JSONL line no further than its escapes do."""
    limit = 100
    short = "The council approved the budget on Monday after a long debate."
    (tmp_path / "ok.txt").write_text(short, encoding="utf-8")
    (tmp_path / "long.txt").write_text("word " * 100_000, encoding="utf-8")
    (tmp_path / "just.txt").write_text("x" * (limit + 1), encoding="utf-8")
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        line({"outlet": "AP", "text": "y" * (limit + 1)})
        + line({"outlet": "AP", "text": "z" * 200_000})
        + line({"outlet": "AP", "text": short})
    )
    sizes: list[int] = []
    real_open = Path.open

    class Spy:
        def __init__(self, fh: Any) -> None:
            self._fh = fh

        def read(self, size: int = -1) -> bytes:
            sizes.append(size)
            data: bytes = self._fh.read(size)
            return data

        def __getattr__(self, name: str) -> Any:
            return getattr(self._fh, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(self, mode, *args, **kwargs)
        return Spy(fh) if self.suffix == ".txt" else fh

    monkeypatch.setattr(Path, "open", open_)
    names = [str(tmp_path / n) for n in ("ok.txt", "long.txt", "just.txt", "in.jsonl")]
    items = list(iter_located_inputs(names, max_chars=limit))
    assert 0 < max(sizes) <= 4 * limit + 4  # a byte order mark, and one byte past
    got = [
        (Path(i.path).name, i.line, str(i) if isinstance(i, Located) else i.message) for i in items
    ]
    assert got == [
        ("ok.txt", None, str(tmp_path / "ok.txt")),
        (
            "long.txt",
            None,
            "text has more than 100 characters (the file is over 403 bytes); the limit is 100",
        ),
        ("just.txt", None, "text has 101 characters; the limit is 100"),
        ("in.jsonl", 1, "text has 101 characters; the limit is 100"),
        (
            "in.jsonl",
            2,
            "longer than 66,136 bytes: not read (an article's text may have at most 100 "
            "characters)",
        ),
        ("in.jsonl", 3, f"{jsonl}:3"),
    ]
    assert len(list(iter_located_inputs([str(tmp_path / "long.txt")]))) == 1  # no limit


@pytest.mark.timeout(30)
def test_a_path_that_is_not_a_regular_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A named pipe given by path hung the command (a folder's was refused already), and a
    link to /dev/zero would have been read for ever."""
    import os

    os.mkfifo(tmp_path / "p.txt")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    names = [str(tmp_path / "p.txt"), str(tmp_path / "zero.jsonl")]
    problems = list(iter_located_inputs(names))
    assert [(p.path, p.message) for p in problems if isinstance(p, InputProblem)] == [
        (name, "not a regular file (a pipe or a device): not read; give - for standard input")
        for name in names
    ]


def test_a_folder_passes_over_the_files_it_is_told_to_skip(tmp_path: Path) -> None:
    """A command's own output in the folder it reads (``batch --out crawl/briefs.txt``)."""
    (tmp_path / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (tmp_path / "briefs.txt").write_text("A brief of the run before. " * 3, encoding="utf-8")
    (tmp_path / "briefs.txt.briefs.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "briefs.txt")
    skip = [tmp_path / "briefs.txt", tmp_path / "briefs.txt.briefs.jsonl", tmp_path / "gone"]
    items = list(iter_located_inputs([str(tmp_path)], skip=skip))
    assert [(type(i).__name__, Path(i.path).name) for i in items] == [("Located", "a.txt")]
    read = {Path(i.path).name for i in iter_located_inputs([str(tmp_path)])}
    assert read == {"a.txt", "briefs.txt", "briefs.txt.briefs.jsonl", "link.txt"}


# ---------------------------------------------------------------- the manifest


def test_two_manifest_entries_for_one_file_are_a_problem(tmp_path: Path) -> None:
    """The later entry silently won (an outlet or id from the wrong entry)."""
    (tmp_path / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(A_TEXT + " More.", encoding="utf-8")
    entries = [
        {"file": "a.txt", "id": "first", "outlet": "AP"},
        {"file": "b.txt", "outlet": "BBC"},
        {"id": "a", "outlet": "Reuters"},  # a.txt again, by its id
        {"file": "a.TXT", "outlet": "AFP"},  # and again, in another case
    ]
    (tmp_path / "manifest.json").write_text(json.dumps({"articles": entries}))
    read, problems = _read_folder(tmp_path)
    assert read == {"a.txt": "first / AP", "b.txt": "b / BBC"}
    items = list(iter_located_inputs([str(tmp_path)]))
    assert [str(p) for p in items if isinstance(p, InputProblem)] == [
        f"{tmp_path / 'manifest.json'}: entry #3 for 'a.txt': a.txt already has entry #1, "
        "which is used; give each file one entry",
        f"{tmp_path / 'manifest.json'}: entry #4 for 'a.TXT': a.txt already has entry #1, "
        "which is used; give each file one entry",
    ]


@pytest.mark.parametrize(
    "manifest",
    [{"items": [{"id": "a", "outlet": "AP"}]}, {"articles": "a.txt"}, "a.txt"],
)
def test_a_manifest_that_is_no_list_of_entries_says_so_once(
    tmp_path: Path, manifest: object
) -> None:
    """A manifest without "articles" said "unreadable manifest: 'articles'" (a KeyError);
    one whose "articles" was a string was read as one entry a character."""
    (tmp_path / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert _manifest_problems(tmp_path) == (
        ['unreadable manifest: expected a list of entries or {"articles": [...]}'],
        ["a"],
    )


# ------------------------------------------------ the REST schema's field rules, in files


def test_a_control_character_in_outlet_title_or_url_is_refused_where_it_was_read(
    tmp_path: Path,
) -> None:
    """The API refused an escape sequence in an outlet; a file brought it to every
    evidence line of a brief and to the terminal. The readers refuse it in the same words,
    naming the file, the line or the list's article, and the field."""
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        line(rec(1))
        + line(rec(2, outlet="AP\x1b[31m"))
        + line(rec(3, title="Budget\x07 passes"))
        + line(rec(4, url="https://news.example/\x7fa"))
        + line(rec(5, title="Budget\u0085passes"))  # a C1 control (NEL)
        + line(rec(6, title="Lavrov in\nPyongyang", outlet="Wire\tDesk"))  # whitespace
    )
    items = list(iter_located_inputs([str(jsonl)]))
    got = [(i.line, i.message if isinstance(i, InputProblem) else "read") for i in items]
    assert got == [
        (1, "read"),
        (2, "outlet must not contain control characters (U+001B at character 3)"),
        (3, "title must not contain control characters (U+0007 at character 7)"),
        (4, "url must not contain control characters (U+007F at character 22)"),
        (5, "title must not contain control characters (U+0085 at character 7)"),
        (6, "read"),
    ]
    last = items[-1]
    assert isinstance(last, Located)
    assert (last.article.title, last.article.outlet) == ("Lavrov in Pyongyang", "Wire Desk")
    # a JSON list: the article of the list
    listed = tmp_path / "in.json"
    listed.write_text(json.dumps([rec(1), rec(2, outlet="A\x01P")]), encoding="utf-8")
    problem = list(iter_located_inputs([str(listed)]))[1]
    assert isinstance(problem, InputProblem)
    assert str(problem) == (
        f"{listed}: article #2 of the list: outlet must not contain control characters "
        "(U+0001 at character 2)"
    )
    # a folder's manifest: the .txt file it describes
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (folder / "manifest.json").write_text(
        json.dumps([{"file": "a.txt", "outlet": "AP", "title": "Leeds\x0c floods"}]),
        encoding="utf-8",
    )
    (problem,) = iter_located_inputs([str(folder)])
    assert isinstance(problem, InputProblem)
    assert str(problem) == (
        f"{folder / 'a.txt'}: title must not contain control characters (U+000C at character 6)"
    )
    # the library's error carries the field, as the API reports it
    with pytest.raises(InputError) as info:
        article_from_dict({"outlet": "AP\x1b", "text": A_TEXT})
    assert info.value.field == "outlet"


def test_a_character_reference_cannot_bring_a_control_character_in() -> None:
    """References are decoded before the rule is asked: one to a control character is
    nothing (``decode_references``), so "&#27;" cannot slip an escape past it."""
    art = article_from_dict({"outlet": "AP&#27;&#x7f;", "title": "A&#7;B", "text": A_TEXT})
    assert (art.outlet, art.title) == ("AP", "AB")


def test_an_id_with_a_control_or_invisible_character_is_refused(tmp_path: Path) -> None:
    """The API refuses ids that would look like another (a zero-width space, a direction
    override) or break a line; so do the readers. Spaces inside an id, which a file name
    gives ("AP story.txt"), and whitespace around it, which is stripped, stay allowed."""
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        line(rec(1, id="ap\u200b-1"))
        + line(rec(2, id="ap\u202e1-"))
        + line(rec(3, id="ap\t1"))
        + line(rec(4, id="ap\x1b1"))
        + line(rec(5, id="AP story 5"))
        + line(rec(6, id=" ap-6\n"))
    )
    items = list(iter_located_inputs([str(jsonl)]))
    message = (
        "id must not contain control characters or invisible format characters ({}): two "
        "ids would look alike"
    )
    assert [i.message if isinstance(i, InputProblem) else i.article.id for i in items] == [
        message.format("U+200B at character 3"),
        message.format("U+202E at character 3"),
        message.format("U+0009 at character 3"),
        message.format("U+001B at character 3"),
        "AP story 5",
        "ap-6",
    ]
    assert [i.line for i in items] == [1, 2, 3, 4, 5, 6]
    # a manifest's id for a .txt file is one too
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.txt").write_text(A_TEXT, encoding="utf-8")
    (folder / "manifest.json").write_text(
        json.dumps([{"file": "a.txt", "id": "a\u00adb", "outlet": "AP"}]), encoding="utf-8"
    )
    (problem,) = iter_located_inputs([str(folder)])
    assert isinstance(problem, InputProblem)
    assert problem.path == str(folder / "a.txt")
    assert problem.message == message.format("U+00AD at character 2")


@pytest.mark.parametrize(
    ("name", "code"),
    [("zero\u200bwidth.txt", "U+200B at character 5"), ("bell\x07.txt", "U+0007 at character 5")],
)
def test_a_file_name_the_id_cannot_be_made_from_is_named_as_the_problem(
    tmp_path: Path, name: str, code: str
) -> None:
    (tmp_path / name).write_text(A_TEXT, encoding="utf-8")
    for source in (str(tmp_path / name), str(tmp_path)):
        (problem,) = iter_located_inputs([source])
        assert isinstance(problem, InputProblem)
        assert problem.path == str(tmp_path / name)
        assert problem.message == (
            f"the file name holds a control character or an invisible format character "
            f"({code}), and the article's id is made from it; rename the file"
        )
    # a manifest that gives the id makes the file name no matter
    (tmp_path / "manifest.json").write_text(
        json.dumps([{"file": name, "id": "fine", "outlet": "AP"}]), encoding="utf-8"
    )
    (item,) = iter_located_inputs([str(tmp_path)])
    assert isinstance(item, Located) and item.article.id == "fine"


def test_html_instead_of_text_is_refused_in_files(tmp_path: Path) -> None:
    """The API refused a page's HTML as an article's text; a saved page in a .txt file
    was cleaned line by line and briefed."""
    page = (
        "<!DOCTYPE html><html><head><title>Floods</title></head><body><p>"
        + A_TEXT
        + "</p></body></html>"
    )
    (tmp_path / "page.txt").write_text(page, encoding="utf-8")
    tags = "<div><p>" + "</p><p>".join(["Short line here."] * 20) + "</p></div>"
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        line(rec(1, text=tags))
        # a text mentioning a tag or two is text
        + line(rec(2, text=A_TEXT + " Analysts wrote <b> in their notes."))
    )
    items = list(iter_located_inputs([str(tmp_path / "page.txt"), str(jsonl)]))
    html_message = HTML_MESSAGE
    assert [(i.line, i.message) for i in items if isinstance(i, InputProblem)] == [
        (None, html_message),
        (1, html_message),
    ]
    assert isinstance(items[2], Located) and items[2].line == 2


def test_lengths_are_counted_as_submitted_not_as_decoded(tmp_path: Path) -> None:
    """The readers counted an article's length after decoding "&amp;" to "&", the API
    before: one text was refused by one and read by the other. Both count the text as
    submitted, the characters a user sees and can shorten."""
    limit = 100
    escaped = "Q&amp;A " * 15  # 120 characters as written, 60 decoded
    assert len(escaped) == 120 and len(decode_references(escaped)) == 60
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        line(rec(1, text=escaped + "The council met."))
        + line(rec(2, text="Q&amp;A " * 12))  # 96 as written
    )
    items = list(iter_located_inputs([str(jsonl)], max_chars=limit))
    assert isinstance(items[0], InputProblem)
    assert items[0].message == "text has 136 characters; the limit is 100"
    assert isinstance(items[1], Located) and items[1].article.text.startswith("Q&A Q&A")
    (tmp_path / "a.txt").write_text(escaped, encoding="utf-8")
    (problem,) = iter_located_inputs([str(tmp_path / "a.txt")], max_chars=limit)
    assert isinstance(problem, InputProblem)
    assert problem.message == "text has 120 characters; the limit is 100"
    # the outlet's, title's and url's limits the same way, whitespace around them included
    base = {"outlet": "AP", "text": A_TEXT}
    with pytest.raises(InputError, match="outlet is longer than 300 characters"):
        article_from_dict({**base, "outlet": "AT&amp;T " * 34})  # 306 written, 170 decoded
    with pytest.raises(InputError, match="title is longer than 1000 characters"):
        article_from_dict({**base, "title": "T" * 999 + "  "})
    assert article_from_dict({**base, "title": "T" * 1000}).title == "T" * 1000
