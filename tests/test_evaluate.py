"""The evaluation command: file reader, ROUGE wrapper, metric functions, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.errors import InputError
from summarizer.evaluate import (
    Fact,
    GoldAlignment,
    PredictedCitation,
    alignment_scores,
    article_id_for,
    fact_found,
    facts_of,
    faithfulness,
    names_and_numbers,
    parse_cluster,
    read_eval_file,
    rouge,
    spans_overlap,
    split_sentences,
    token_rates,
)
from summarizer.types import BriefSentence, Citation


@pytest.fixture(scope="module")
def dev_file(eval_path: Path) -> Path:
    """The dev set (the conftest fixture skips when ``../shared/eval`` is absent)."""
    return eval_path


def _row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "unique_id": "c1",
        "documents": [
            {
                "documentFile": "0.txt",
                "rawDocumentText": "Alpha beta gamma. Delta epsilon.",
                "documentTitle": None,
                "documentUrl": "None",
            },
            {
                "documentFile": "1.txt",
                "rawDocumentText": "Zeta eta theta.",
                "documentTitle": " A title ",
                "documentUrl": "https://www.example.org/x",
            },
        ],
        "response": "Alpha and zeta.",
        "set_of_highlights_in_context": [
            {"scuSentence": "Alpha and zeta.", "documentFile": "0.txt", "docSpanOffsets": [[0, 5]]},
            {
                "scuSentence": "Alpha and zeta.",
                "documentFile": "1.txt",
                "docSpanOffsets": "[[0, 4], [9, 15]]",
            },
        ],
    }
    row.update(over)
    return row


# ---------------------------------------------------------------- reader


def test_parse_cluster_builds_articles_and_groups_highlights_by_sentence() -> None:
    c = parse_cluster(_row())
    assert c.id == "c1"
    assert [a.id for a in c.articles] == ["c1-0", "c1-1"]
    assert c.articles[0].outlet == "0.txt" and c.articles[0].url is None
    assert (
        c.articles[1].outlet == "example.org" and c.articles[1].url == "https://www.example.org/x"
    )
    assert c.articles[1].title == "A title"
    assert len(c.alignments) == 1
    assert c.alignments[0].spans == {"c1-0": ((0, 5),), "c1-1": ((0, 4), (9, 15))}


@pytest.mark.parametrize(
    "over, message",
    [
        ({"documents": []}, "non-empty"),
        ({"response": " "}, "response"),
        (
            {
                "set_of_highlights_in_context": [
                    {"scuSentence": "x", "documentFile": "9.txt", "docSpanOffsets": [[0, 1]]}
                ]
            },
            "9.txt",
        ),
        (
            {
                "set_of_highlights_in_context": [
                    {"scuSentence": "x", "documentFile": "0.txt", "docSpanOffsets": [[5, 1]]}
                ]
            },
            "bad span",
        ),
    ],
)
def test_parse_cluster_refuses_malformed_rows(over: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_cluster(_row(**over))


def test_read_eval_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.jsonl does not exist"):
        read_eval_file(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="is not a regular file"):
        read_eval_file(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:1"):
        read_eval_file(bad)
    twice = tmp_path / "twice.jsonl"
    twice.write_text(json.dumps(_row()) + "\n" + json.dumps(_row()) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="twice"):
        read_eval_file(twice)
    assert len(read_eval_file(twice, limit=1)) == 1


def test_read_eval_file_reports_unreadable_input_with_its_line(tmp_path: Path) -> None:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    good = json.dumps(_row()).encode() + b"\n"
    # a byte-order mark is not an error; bytes that are not UTF-8 are, with their line
    assert len(read_eval_file(write("bom.jsonl", b"\xef\xbb\xbf" + good))) == 1
    with pytest.raises(InputError, match=r"latin\.jsonl:2: not UTF-8 text \(byte 0xe9\)"):
        read_eval_file(write("latin.jsonl", good + b'{"unique_id": "caf\xe9"}\n'))
    with pytest.raises(InputError, match="deep.jsonl:1: unreadable JSON"):
        read_eval_file(write("deep.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n"))
    with pytest.raises(InputError, match="list.jsonl:1: a cluster must be a JSON object"):
        read_eval_file(write("list.jsonl", b"[1, 2]\n"))
    # highlights: absent is "no gold"; present but not a list is an error
    row = _row()
    del row["set_of_highlights_in_context"]
    (cluster,) = read_eval_file(write("nogold.jsonl", json.dumps(row).encode() + b"\n"))
    assert cluster.alignments == ()
    bad_hl = json.dumps(_row(set_of_highlights_in_context=5)).encode() + b"\n"
    with pytest.raises(InputError, match="hl.jsonl:1: set_of_highlights_in_context must be a list"):
        read_eval_file(write("hl.jsonl", bad_hl))


def test_read_eval_file_refuses_clashing_ids_and_empty_articles_before_any_work(
    tmp_path: Path,
) -> None:
    docs = _row()["documents"]
    assert isinstance(docs, list)
    # two files of one cluster with the same stem would share an article id
    same_stem = [dict(docs[0]), dict(docs[1], documentFile="0.html")]
    with pytest.raises(InputError, match="gives the article id 'c1-0'"):
        parse_cluster(_row(documents=same_stem, set_of_highlights_in_context=[]))
    # cluster "a" file "b-0.txt" and cluster "a-b" file "0.txt" are both article "a-b-0"
    first = _row(unique_id="a", documents=[dict(docs[0], documentFile="b-0.txt")])
    second = _row(unique_id="a-b", documents=[dict(docs[1], documentFile="0.txt")])
    for row in (first, second):
        row["set_of_highlights_in_context"] = []
    clash = tmp_path / "clash.jsonl"
    clash.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"clash.jsonl:2: article id 'a-b-0' .* line 1"):
        read_eval_file(clash)
    # an article that cleans down to nothing stops the run at reading, not after the briefs
    furniture = [dict(docs[0]), dict(docs[1], rawDocumentText="Advertisement\nFull Screen\n")]
    empty = tmp_path / "empty.jsonl"
    empty.write_text(
        json.dumps(_row(documents=furniture, set_of_highlights_in_context=[])) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"empty.jsonl:1: .*c1-1"):
        read_eval_file(empty)


def test_read_eval_file_on_the_dev_set(dev_file: Path) -> None:
    clusters = read_eval_file(dev_file)
    assert len(clusters) == 28
    assert sum(len(c.articles) for c in clusters) == 64
    ids = [a.id for c in clusters for a in c.articles]
    assert len(set(ids)) == len(ids)
    n_align = 0
    for c in clusters:
        texts = {a.id: a.text for a in c.articles}
        assert c.reference
        for g in c.alignments:
            n_align += 1
            for aid, spans in g.spans.items():
                assert aid in texts
                assert all(0 <= s < e <= len(texts[aid]) for s, e in spans)
    assert n_align > 200
    assert len(read_eval_file(dev_file, limit=3)) == 3
    assert article_id_for("test0", "1.txt") == "test0-1"


# ---------------------------------------------------------------- ROUGE


def test_rouge_identical_disjoint_and_stemmed() -> None:
    same = rouge(["The cat sat on the mat."], ["The cat sat on the mat."])
    assert same == pytest.approx({"rouge1": 1.0, "rouge2": 1.0, "rougeLsum": 1.0})
    none = rouge(["Dogs bark loudly."], ["The cat sat."])
    assert none["rouge1"] == 0.0
    stemmed = rouge(["Voters voted."], ["The voter votes."])
    assert stemmed["rouge1"] > 0.5
    assert rouge([], ["The cat sat."])["rouge1"] == 0.0


def test_rouge_lsum_reads_sentences_as_units() -> None:
    ref = ["a b c d.", "e f g h."]
    joined = rouge(["a b c d. e f g h."], ref)
    split = rouge(["a b c d.", "e f g h."], ref)
    assert joined["rouge1"] == pytest.approx(split["rouge1"])
    swapped = rouge(["e f g h.", "a b c d."], ref)
    # Lsum takes the union LCS per reference sentence, so the order of sentences is free
    assert swapped["rougeLsum"] == pytest.approx(1.0)
    with pytest.raises(InputError):
        rouge("a string", ref)
    with pytest.raises(InputError):
        rouge(["x"], [])


def test_split_sentences() -> None:
    assert split_sentences("Mr. Smith went to Washington. He won.") == [
        "Mr. Smith went to Washington.",
        "He won.",
    ]


# ---------------------------------------------------------------- alignment


def test_spans_overlap_is_half_open() -> None:
    assert spans_overlap((0, 5), (4, 9))
    assert not spans_overlap((0, 5), (5, 9))
    assert spans_overlap((3, 4), (0, 10))


def test_alignment_scores_count_article_hits_and_span_overlaps() -> None:
    gold = [
        GoldAlignment("s1", {"a": ((10, 20),)}),
        GoldAlignment("s2", {"a": ((10, 20),), "b": ((0, 5),)}),
        GoldAlignment("s3", {"b": ((50, 60),)}),
        GoldAlignment("s4", {"a": ((0, 1),)}),
    ]
    pred = [
        PredictedCitation("a", 15, 40),  # hit, overlap
        PredictedCitation("b", 30, 40),  # hit (second gold article), no overlap
        PredictedCitation("a", 50, 60),  # wrong article
        PredictedCitation(None),  # nothing found
    ]
    s = alignment_scores(gold, pred)
    assert (s.sentences, s.article_hits, s.span_overlaps) == (4, 2, 1)
    assert s.article_hit_rate == 0.5 and s.span_overlap_rate == 0.25
    with pytest.raises(InputError):
        alignment_scores(gold, pred[:2])


# ---------------------------------------------------------------- faithfulness


def test_names_and_numbers_skip_function_words() -> None:
    facts = names_and_numbers("The talks in Pyongyang drew 1,200 people, Kim's aides said.")
    assert facts == ["1200", "Pyongyang", "Kim"]
    assert names_and_numbers("He said it was 3.5 percent.") == ["3.5"]


def test_fact_found_matches_whole_tokens() -> None:
    assert fact_found("1200", "about 1,200 people")
    assert not fact_found("120", "about 1,200 people")
    assert fact_found("Kim", "Kim Jong Un met")
    assert not fact_found("Kim", "Kimberly met")


def test_an_opening_capital_is_found_in_lower_case_and_only_there() -> None:
    facts = facts_of('Police said the U.S. team left. "Officers" came, Reuters said.')
    assert facts == [
        Fact("US"),
        Fact("Police", opening=True),
        Fact("Officers", opening=True),
        Fact("Reuters"),
    ]
    evidence = "They told police the US team and officers had left, according to reuters."
    found = {f.text: fact_found(f, evidence) for f in facts}
    assert found == {"US": True, "Police": True, "Officers": True, "Reuters": False}
    # an abbreviation is found with or without its dots, and not inside another word
    assert fact_found("US", "U.S. forces") and fact_found("US", "US forces")
    assert not fact_found("US", "USA forces") and not fact_found("UN", "U.N.C. forces")


def _sent(text: str, support: float, quotes: list[str], supported: bool = True) -> BriefSentence:
    cits = [Citation(article_id="a", outlet="o", quote=q, start=0, end=len(q)) for q in quotes]
    return BriefSentence(text=text, support=support, citations=cits, supported=supported)


def test_faithfulness_proxies_on_a_tiny_brief() -> None:
    """Refused sentences carry their nearest evidence, as the citer leaves them: that is
    no citation, and their support counts as the citer reports it."""
    brief = [
        _sent(
            "Lavrov met Choe in Moscow on 3 days.", 0.8, ["Lavrov met Choe in Moscow for 3 days."]
        ),
        _sent("Putin agreed to 40 deals.", 0.6, ["Putin agreed to 14 deals."]),
        # refused below the threshold: its nearest evidence is still attached
        _sent("Nothing supports this.", 0.2, ["The weather was fine."], supported=False),
        # refused by another check (a quotation) at a support above the threshold
        _sent("Peace is near.", 0.9, ['"Peace is near," Lavrov said.'], supported=False),
    ]
    f = faithfulness(brief, threshold=0.55).as_dict()
    assert f["sentences"] == 4
    assert f["cited_share"] == pytest.approx(2 / 4, abs=1e-3)
    assert f["supported_share"] == pytest.approx(3 / 4, abs=1e-3)
    # facts: 3, Lavrov, Choe, Moscow | 40, Putin | Peace (in its quote) -> 40 is missing
    assert f["facts"] == 7
    assert f["facts_found_share"] == pytest.approx(6 / 7, abs=1e-3)
    assert f["facts_missing_examples"] == ["40"]
    empty = faithfulness([], threshold=0.5).as_dict()
    assert empty["cited_share"] is None


def test_token_rates_leave_out_cached_prompt_tokens_and_the_first_new_token() -> None:
    rows = [
        {"prefill": 4.0, "decode": 2.0, "prompt_tokens": 560, "completion_tokens": 21},
        {  # the shared instructions came from the KV cache
            "prefill": 3.5,
            "decode": 3.0,
            "prompt_tokens": 576,
            "prompt_cached_tokens": 66,
            "completion_tokens": 31,
        },
        {"prepare": 0.1},  # an extractive brief: no generation
    ]
    assert token_rates(rows) == {
        "prompt": 1136,
        "prompt_cached": 66,
        "completion": 52,
        "prefill_tokens_per_s": round((1136 - 66) / 7.5, 2),
        "decode_tokens_per_s": round((20 + 30) / 5.0, 2),
    }
    assert token_rates([{"prepare": 0.1}])["prefill_tokens_per_s"] is None


# ---------------------------------------------------------------- end to end


def test_eval_command_extractive_one_cluster(
    dev_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from summarizer.cli import main

    out = tmp_path / "results.json"
    args = ["eval", "--data", str(dev_file), "--limit", "1", "--extractive", "--out", str(out)]
    code = main(args)
    assert code == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    assert {
        "config",
        "rouge",
        "rouge1_margin_over_best_baseline",
        "alignment",
        "alignment_cosine_only",
        "faithfulness",
        "grouping",
        "timings",
        "tokens",
        "extractive_fallbacks",
        "targets",
        "clusters",
        "wall_s",
    } <= set(res)
    assert res["config"]["clusters"] == 1 and res["config"]["extractive"]
    for system in ("ours", "lead", "lexrank"):
        assert set(res["rouge"][system]) == {"rouge1", "rouge2", "rougeLsum"}
        assert 0.0 < res["rouge"][system]["rouge1"] <= 100.0
    cluster = res["clusters"][0]
    assert cluster["id"] == "test0" and cluster["articles"] == 2
    assert cluster["word_budget"] == sum(len(s.split()) for s in cluster["brief"])
    # every served sentence is listed with the quotes that support it
    served = [s for s in cluster["sentences"] if s["supported"]]
    assert [s["text"] for s in served] == cluster["brief"]
    assert all(s["quotes"] and s["origin"] == "extract" for s in served)
    assert res["alignment"]["sentences"] == len(read_eval_file(dev_file, limit=1)[0].alignments)
    assert 0.0 <= res["alignment"]["article_hit_rate"] <= 1.0
    assert res["faithfulness"]["sentences"] >= cluster["served_sentences"] > 0
    assert res["grouping"]["articles"] == 2 and res["grouping"]["gold_clusters"] == 1
    assert set(res["targets"]) == {
        "rouge1_margin",
        "article_hit_rate",
        "span_overlap_rate",
        "bcubed_f1",
    }
    assert {"dedup", "select", "generate", "cite", "prepare", "total"} <= set(
        res["timings"]["mean"]
    )
    assert res["tokens"]["completion"] == 0  # extractive: nothing generated
    printed = capsys.readouterr().out
    assert "ROUGE" in printed and "lexrank" in printed


def test_eval_words_longer_than_our_brief_cut_every_system_to_our_length(
    dev_file: Path, tmp_path: Path
) -> None:
    from summarizer.cli import main

    out = tmp_path / "results.json"
    args = ["eval", "--data", str(dev_file), "--limit", "1", "--extractive", "--words", "5000"]
    assert main([*args, "--out", str(out)]) == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    cluster = res["clusters"][0]
    assert res["config"]["word_budget"] == 5000
    # the baselines got no more words than our brief has, not 5,000
    assert cluster["word_budget"] == sum(len(s.split()) for s in cluster["brief"]) < 5000
    assert res["timings"]["warm_up_s"] > 0


def test_eval_command_refuses_bad_arguments(tmp_path: Path) -> None:
    from summarizer.cli import main

    assert main(["eval", "--data", str(tmp_path / "none.jsonl"), "--extractive"]) == 2


def test_eval_without_gold_and_with_hyphenated_file_names(
    dev_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The true clusters come from the file, not from parsing article ids; a file without
    gold highlights reports alignment as not measured, not as 0%; --out is written whole
    and may not be the input."""
    from summarizer.cli import main

    rows = [json.loads(line) for line in dev_file.read_text(encoding="utf-8").splitlines()[:2]]
    for row in rows:
        row.pop("set_of_highlights_in_context", None)
        for i, doc in enumerate(row["documents"]):
            doc["documentFile"] = f"outlet-{i}-story.txt"
    data = tmp_path / "hyphen.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["eval", "--data", str(data), "--extractive", "--out", str(data)]) == 2
    assert "is an input of this command" in capsys.readouterr().err
    assert main(["eval", "--data", str(data), "--extractive", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err

    out = tmp_path / "results.json"
    assert main(["eval", "--data", str(data), "--extractive", "--out", str(out)]) == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res["grouping"]["gold_clusters"] == 2 and res["grouping"]["articles"] == sum(
        len(r["documents"]) for r in rows
    )
    assert res["grouping"]["f1"] >= 0.95  # the two dev stories are told apart
    assert res["alignment"]["sentences"] == 0
    assert res["alignment"]["article_hit_rate"] is None
    assert res["targets"]["article_hit_rate"] == {"value": None, "target": 0.9, "met": None}
    assert res["extractive_fallbacks"] is None  # no model to fall back from
    printed = capsys.readouterr().out
    assert "not measured" in printed and "n/a (extractive run)" in printed
    assert not list(tmp_path.glob(".results.json.*"))  # no temporary file left behind
