"""The sentence embedder (the real packaged all-MiniLM-L6-v2; small and local)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from summarizer.embed import (
    Embedder,
    cpu_has_native_bf16,
    default_model_path,
    load_embedder,
    resolve_precision,
)
from summarizer.errors import ConfigError, InputError, ModelError
from summarizer.settings import Settings


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    emb = load_embedder(Settings())
    yield emb
    emb.close()


def test_load_embedder_refuses_unknown_names() -> None:
    with pytest.raises(ConfigError, match="all-minilm-l6-v2"):
        load_embedder(Settings(embedder="no-such-model"))


def test_lazy_load_and_metadata() -> None:
    emb = Embedder(threads=1)
    assert not emb.loaded  # nothing loads at construction
    assert emb.name == "all-minilm-l6-v2" and emb.dim == 384
    weights = default_model_path() / "model.safetensors"
    assert emb.sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert not emb.loaded  # hashing does not load the model


def test_missing_model_directory(tmp_path: Path) -> None:
    emb = Embedder(tmp_path)
    with pytest.raises(ModelError, match="weights not found"):
        _ = emb.sha256
    with pytest.raises(ModelError, match="no sentence-transformers model"):
        emb.encode(["text"])


def test_encode_shape_dtype_norm(embedder: Embedder) -> None:
    v = embedder.encode(["North Korea's leader met Russia's foreign minister.", "", "Hi"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    empty = embedder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_encode_is_deterministic_and_batch_independent(embedder: Embedder) -> None:
    texts = [f"Sentence {i} about the harbour storm and its damage." for i in range(7)]
    a = embedder.encode(texts, batch_size=2)
    b = embedder.encode(texts, batch_size=64)
    assert np.allclose(a, b, atol=1e-5)


def test_repeated_texts_are_embedded_once(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies share the vector of their first occurrence; rows stay in input order."""
    texts = [
        "The ferry sank.",
        "Rain fell all day.",
        "The ferry sank.",
        "",
        " ",
        "Rain fell all day.",
    ]
    seen: list[list[str]] = []
    forward = embedder._forward

    def spy(items: list[str], batch_size: int) -> object:
        seen.append(list(items))
        return forward(items, batch_size)

    monkeypatch.setattr(embedder, "_forward", spy)
    v = embedder.encode(texts)
    assert seen == [["The ferry sank.", "Rain fell all day.", " "]]
    assert v.shape == (6, 384) and v.flags.c_contiguous
    assert np.array_equal(v[0], v[2]) and np.array_equal(v[1], v[5]) and np.array_equal(v[3], v[4])
    alone = embedder.encode(["Rain fell all day."])
    assert np.allclose(v[1], alone[0], atol=1e-5) and not np.allclose(v[0], v[1], atol=0.1)


def test_paraphrases_are_closer_than_unrelated_text(embedder: Embedder) -> None:
    v = embedder.encode(
        [
            "Lavrov invited Choe to visit Moscow at her convenience.",
            "The Russian minister asked his North Korean counterpart to come to Moscow.",
            "The recipe needs two cups of flour and a pinch of salt.",
        ]
    )
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.3


def test_encode_refuses_bad_input(embedder: Embedder) -> None:
    with pytest.raises(InputError, match="sequence of strings"):
        embedder.encode("one string")
    with pytest.raises(InputError, match=r"texts\[1\]"):
        embedder.encode(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(InputError, match="batch_size"):
        embedder.encode(["ok"], batch_size=0)


def test_close_then_encode_loads_again() -> None:
    with Embedder(threads=1) as emb:
        first = emb.encode(["A sentence."])
        assert emb.loaded
    assert not emb.loaded
    again = emb.encode(["A sentence."])
    assert np.allclose(first, again, atol=1e-6)
    emb.close()


@pytest.mark.parametrize(
    ("flags", "native"),
    [
        ("fpu sse2 avx2 avx512f avx512_vnni avx512_bf16", True),
        ("fpu sse2 avx2 avx512f amx_bf16 amx_tile", True),
        ("fpu sse2 avx2 avx512f avx512_vnni", False),  # bfloat16 would be emulated
        ("fpu sse2 avx2 avx512_bf16x", False),  # a whole flag, not a prefix
    ],
)
def test_native_bfloat16_is_read_from_the_cpu_flags(
    tmp_path: Path, flags: str, native: bool
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n")
    assert cpu_has_native_bf16(cpuinfo) is native


def test_unreadable_cpu_flags_keep_float32(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cpu_has_native_bf16(tmp_path / "missing") is False
    (tmp_path / "noflags").write_text("processor\t: 0\n")
    assert cpu_has_native_bf16(tmp_path / "noflags") is False
    # an explicit precision is kept as asked; auto picks bfloat16 only on a capable CPU
    import summarizer.embed as embed

    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("bfloat16", "cuda") == "bfloat16"
    monkeypatch.setattr(embed, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bfloat16"
    assert resolve_precision("auto", "cuda") == "float32"
    monkeypatch.setattr(embed, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "float32"


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ConfigError, match="precision 'half'"):
        Embedder(precision="half")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embed_dtype"):
        Settings(embed_dtype="half")  # type: ignore[arg-type]


def test_bfloat16_vectors_agree_with_float32(seed_dir: Path) -> None:
    """Vectors stored by one precision are used with the other's, so they must agree: on
    the seed sentences every pair is within a cosine of 0.9995, and the thresholds the
    pipeline uses (0.55 support, 0.78 paraphrase) are far coarser than that."""
    from summarizer.io import iter_inputs
    from summarizer.sentences import prepare_article
    from summarizer.types import Article

    texts = [
        s.text
        for a in iter_inputs([str(seed_dir)])
        if isinstance(a, Article)
        for s in prepare_article(a)[1]
    ]
    assert len(texts) > 50
    with (
        Embedder(threads=2, precision="float32") as e32,
        Embedder(threads=2, precision="bfloat16") as e16,
    ):
        v32, v16 = e32.encode(texts), e16.encode(texts)
        assert (e32.precision, e16.precision) == ("float32", "bfloat16")
    assert v16.dtype == np.float32 and v16.shape == v32.shape
    assert np.allclose(np.linalg.norm(v16, axis=1), 1.0, atol=1e-5)
    cos = (v32 * v16).sum(axis=1)
    assert cos.min() >= 0.9995
    assert not np.array_equal(v32, v16)  # the other precision really ran
