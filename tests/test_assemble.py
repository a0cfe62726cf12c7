"""Chunk assembly, with tiny fake chunk packages written into a temporary directory."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from summarizer.backends import assembly as asm
from summarizer.backends.assembly import Part, assemble, ensure_model, parts_for, verify_model
from summarizer.backends.manifest import ModelSpec
from summarizer.commands import models as models_command
from summarizer.errors import ModelAssemblyError, StoryBriefError
from summarizer.settings import get_settings

CHUNKS = [b"GGUF-first-chunk|", b"second-chunk-bytes|", b"third"]
_ids = itertools.count()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_packages(root: Path, chunks: list[bytes], prefix: str) -> None:
    """Write one importable module per chunk: ``<prefix><n>.get_part_path()``, n from 1."""
    for n, data in enumerate(chunks, start=1):
        pkg = root / f"{prefix}{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            textwrap.dedent(
                f"""
                import os
                def get_part_path():
                    return os.path.join(os.path.dirname(__file__), "data", "part{n:02d}.bin")
                """
            )
        )


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelSpec, Path, bytes]:
    """A manifest entry whose chunks live in fake installed packages: (spec, cache, bytes)."""
    prefix = f"fakepart{next(_ids)}_{abs(hash(tmp_path)) % 10**8}_"
    site = tmp_path / "site"
    make_packages(site, CHUNKS, prefix)
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(CHUNKS)
    spec = ModelSpec.model_validate(
        {
            "name": "fake-model",
            "role": "generator",
            "format": "gguf",
            "backends": ["llama_cpp"],
            "licence": "test",
            "file": "fake.gguf",
            "sha256": sha(whole),
            "size": len(whole),
            "context_length": 64,
            "source": {
                "package": prefix.replace("_", "-") + "{n}",
                "module": prefix + "{n}",
                "version": "1.0",
                "chunks": [{"size": len(c), "sha256": sha(c)} for c in CHUNKS],
            },
        }
    )
    return spec, tmp_path / "cache", whole


def fixed(path: Path) -> Callable[[], Path]:
    return lambda: path


def parts_from(paths: list[Path]) -> list[Part]:
    return [Part(f"pkg-{i}==1.0", fixed(p)) for i, p in enumerate(paths, 1)]


def write_chunks(tmp_path: Path, chunks: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(chunks, 1):
        p = tmp_path / f"c{i}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths


def leftovers(directory: Path) -> list[str]:
    """Files in the cache other than locks and verification stamps."""
    return sorted(
        p.name for p in directory.iterdir() if not p.name.endswith((".lock", ".verified"))
    )


def overwrite(path: Path, data: bytes) -> None:
    """Write over a cached file later than it was stamped (file times have a coarse tick)."""
    time.sleep(0.05)
    path.write_bytes(data)


def test_joins_chunks_in_order(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, whole = fake
    result = ensure_model(spec, cache)
    assert result.built
    assert result.path == cache / "fake.gguf"
    assert result.path.read_bytes() == whole
    assert leftovers(cache) == ["fake.gguf"]


def test_order_comes_from_the_part_list(tmp_path: Path) -> None:
    paths = write_chunks(tmp_path, [b"aa", b"bb", b"cc"])
    reordered = [paths[2], paths[0], paths[1]]
    dest = tmp_path / "out" / "m.bin"
    assemble(parts_from(reordered), dest, sha256=sha(b"ccaabb"), size=6)
    assert dest.read_bytes() == b"ccaabb"


def test_second_fetch_does_not_rewrite(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, _ = fake
    first = ensure_model(spec, cache).path.stat()
    again = ensure_model(spec, cache)
    assert not again.built
    second = again.path.stat()
    assert (second.st_ino, second.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)


def test_force_and_wrong_size_rebuild(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, whole = fake
    path = ensure_model(spec, cache).path
    path.write_bytes(whole[:-1])  # truncated: the size check catches it
    assert ensure_model(spec, cache).built
    assert path.read_bytes() == whole
    assert ensure_model(spec, cache, force=True).built


def test_total_hash_mismatch_leaves_no_file(tmp_path: Path) -> None:
    paths = write_chunks(tmp_path, [b"aa", b"bb"])
    dest = tmp_path / "out" / "m.bin"
    with pytest.raises(ModelAssemblyError, match="sha256") as info:
        assemble(parts_from(paths), dest, sha256=sha(b"xxxx"), size=4)
    assert "pip install --force-reinstall pkg-1==1.0 pkg-2==1.0" in str(info.value)
    assert leftovers(dest.parent) == []


def test_corrupt_chunk_is_named(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, _ = fake
    part2 = Path(parts_for(spec)[1].locate())
    part2.write_bytes(b"X" * part2.stat().st_size)  # same size, wrong bytes
    with pytest.raises(ModelAssemblyError) as info:
        ensure_model(spec, cache)
    message = str(info.value)
    assert "chunk 2" in message and "corrupt" in message
    package = spec.source.package_for(2)
    assert f"pip install --force-reinstall {package}==1.0" in message
    assert leftovers(cache) == []


def test_truncated_chunk_fails_before_writing(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, _ = fake
    Path(parts_for(spec)[2].locate()).write_bytes(b"th")
    with pytest.raises(ModelAssemblyError, match=r"chunk 3 .* has 2 bytes, expected 5"):
        ensure_model(spec, cache)
    assert leftovers(cache) == []


def test_missing_package_is_named(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, _ = fake
    broken = spec.model_copy(
        update={"source": spec.source.model_copy(update={"module": "no_such_module_{n}"})}
    )
    with pytest.raises(ModelAssemblyError) as info:
        ensure_model(broken, cache)
    assert "is not installed" in str(info.value)
    assert f"pip install --force-reinstall {spec.source.package_for(1)}==1.0" in str(info.value)


def test_missing_chunk_file_is_named(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, _ = fake
    Path(parts_for(spec)[1].locate()).unlink()
    with pytest.raises(ModelAssemblyError, match="chunk 2 .* is missing") as info:
        ensure_model(spec, cache)
    assert f"{spec.source.package_for(2)}==1.0" in str(info.value)


class _Boom(KeyboardInterrupt):
    pass


def test_interrupted_write_leaves_no_file(
    fake: tuple[ModelSpec, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, cache, whole = fake
    monkeypatch.setattr(asm, "BLOCK", 4)
    real_sha256 = hashlib.sha256
    calls = itertools.count()

    class Interrupting:
        def __init__(self) -> None:
            self._h = real_sha256()

        def update(self, data: bytes) -> None:
            if next(calls) == 7:  # several blocks in: the temporary file holds some bytes
                raise _Boom
            self._h.update(data)

        def hexdigest(self) -> str:
            return self._h.hexdigest()

    monkeypatch.setattr(hashlib, "sha256", Interrupting)
    with pytest.raises(_Boom):
        ensure_model(spec, cache)
    assert leftovers(cache) == []
    monkeypatch.setattr(hashlib, "sha256", real_sha256)
    assert ensure_model(spec, cache).path.read_bytes() == whole


def test_stale_partial_from_a_killed_run_is_removed(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, whole = fake
    cache.mkdir(parents=True)
    stale = cache / ".fake.gguf.99999.partial"
    stale.write_bytes(whole)  # the right size, yet never taken for the model
    result = ensure_model(spec, cache)
    assert result.built
    assert leftovers(cache) == ["fake.gguf"]


def test_verify_reports_hash_and_catches_corruption(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, whole = fake
    with pytest.raises(ModelAssemblyError, match="storybrief models fetch fake-model"):
        verify_model(spec, cache)
    path = ensure_model(spec, cache).path
    assert verify_model(spec, cache) == sha(whole)
    overwrite(path, b"Z" + whole[1:])  # the same size
    with pytest.raises(ModelAssemblyError, match="fetch --force fake-model"):
        verify_model(spec, cache)


def test_a_file_changed_since_it_was_verified_is_hashed_and_rebuilt(
    fake: tuple[ModelSpec, Path, bytes],
) -> None:
    spec, cache, whole = fake
    path = ensure_model(spec, cache).path
    assert asm.is_verified(path, spec.sha256, spec.size)
    overwrite(path, b"Z" + whole[1:])  # the same size, so only the hash can tell
    assert not asm.is_verified(path, spec.sha256, spec.size)
    assert ensure_model(spec, cache).built
    assert path.read_bytes() == whole and asm.is_verified(path, spec.sha256, spec.size)
    # a good file without a stamp (copied in, or from before stamps) is hashed, not rebuilt
    (cache / ".fake.gguf.verified").unlink()
    again = ensure_model(spec, cache)
    assert not again.built and asm.is_verified(path, spec.sha256, spec.size)


def test_a_read_only_cache_with_a_good_file_is_used(
    fake: tuple[ModelSpec, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, cache, whole = fake
    path = ensure_model(spec, cache).path
    (cache / ".fake.gguf.verified").unlink()

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Read-only file system")

    # nothing may be created in the cache: no folder, no lock, no stamp
    monkeypatch.setattr(asm, "file_lock", read_only)
    monkeypatch.setattr(Path, "mkdir", read_only)
    monkeypatch.setattr(asm.os, "replace", read_only)
    result = ensure_model(spec, cache)
    assert not result.built and result.path.read_bytes() == whole
    # a bad file there cannot be rebuilt: a clear error, not a traceback
    overwrite(path, b"Z" + whole[1:])
    with pytest.raises(ModelAssemblyError, match="cannot write fake.gguf into the model cache"):
        ensure_model(spec, cache)


def test_an_unusable_cache_path_is_a_clear_error(fake: tuple[ModelSpec, Path, bytes]) -> None:
    spec, cache, _ = fake
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder")
    with pytest.raises(ModelAssemblyError, match="cannot write fake.gguf into the model cache"):
        ensure_model(spec, cache)
    cache.unlink()
    (cache / "fake.gguf").mkdir(parents=True)
    with pytest.raises(ModelAssemblyError, match="is a folder"):
        ensure_model(spec, cache)


def test_a_package_that_fails_on_import_is_named(
    fake: tuple[ModelSpec, Path, bytes], tmp_path: Path
) -> None:
    spec, cache, _ = fake
    init = tmp_path / "site" / (spec.source.module_for(2)) / "__init__.py"
    init.write_text("raise RuntimeError('broken package')\n")
    with pytest.raises(ModelAssemblyError, match=r"pip install --force-reinstall .*2==1.0"):
        ensure_model(spec, cache)


def test_not_enough_disk_space(
    fake: tuple[ModelSpec, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, cache, _ = fake
    monkeypatch.setattr(shutil, "disk_usage", lambda p: type("U", (), {"free": 3})())
    with pytest.raises(ModelAssemblyError, match="bytes free"):
        ensure_model(spec, cache)


# ---------------------------------------------------------------- the command


def main(argv: list[str]) -> int:
    """Run ``storybrief models ...`` through the command's own parser and error handling."""
    parser = argparse.ArgumentParser(prog="storybrief")
    models_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except StoryBriefError as exc:
        print(f"storybrief: error: {exc}", file=sys.stderr)
        return 2


@pytest.fixture
def cli_env(
    fake: tuple[ModelSpec, Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModelSpec, Path, bytes]]:
    spec, cache, whole = fake
    src = spec.source
    chunks = ",\n".join(f'{{ size = {c.size}, sha256 = "{c.sha256}" }}' for c in src.chunks)
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        textwrap.dedent(
            f"""
            schema = 1
            [[models]]
            name = "fake-model"
            role = "generator"
            format = "gguf"
            backends = ["llama_cpp"]
            licence = "test"
            file = "fake.gguf"
            sha256 = "{spec.sha256}"
            size = {spec.size}
            context_length = 64
            [models.source]
            package = "{src.package}"
            module = "{src.module}"
            version = "1.0"
            chunks = [
            """
        )
        + chunks
        + "\n]\n"
    )
    monkeypatch.setenv("STORYBRIEF_MANIFEST", str(manifest))
    monkeypatch.setenv("STORYBRIEF_CACHE_DIR", str(cache))
    get_settings.cache_clear()
    yield spec, cache, whole
    get_settings.cache_clear()


def test_cli_fetch_verify_list(
    cli_env: tuple[ModelSpec, Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, cache, whole = cli_env
    assert main(["models", "list"]) == 0
    assert "not assembled" in capsys.readouterr().out
    assert main(["models", "fetch"]) == 0
    assert "fake-model: assembled" in capsys.readouterr().out
    assert main(["models", "fetch", "fake-model"]) == 0
    assert "already assembled" in capsys.readouterr().out
    assert main(["models", "verify"]) == 0
    assert f"fake-model: OK sha256 {sha(whole)}" in capsys.readouterr().out
    overwrite(cache / "fake.gguf", b"Z" + whole[1:])
    assert main(["models", "list"]) == 0
    assert "not verified" in capsys.readouterr().out
    assert main(["models", "verify"]) == 1
    assert "FAILED" in capsys.readouterr().err
    assert main(["models", "fetch"]) == 0  # hashed, found wrong, rebuilt
    assert "fake-model: assembled" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    assert "ready" in capsys.readouterr().out


def test_cli_unknown_name_and_missing_part(
    cli_env: tuple[ModelSpec, Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, _, _ = cli_env
    assert main(["models", "fetch", "nope"]) == 2
    assert "the manifest has: fake-model" in capsys.readouterr().err
    Path(parts_for(spec)[0].locate()).unlink()
    assert main(["models", "fetch"]) == 2
    assert f"pip install --force-reinstall {spec.source.package_for(1)}==1.0" in (
        capsys.readouterr().err
    )
