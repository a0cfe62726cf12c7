"""The library's exception tree.

::

    StoryBriefError
     ├── InputError            bad articles or arguments (the caller can fix them)
     │    └── EmptyTextError   text that is empty or cleans down to nothing
     ├── ModelError            a model is missing, corrupt or failed
     │    ├── ModelAssemblyError   a chunk package is missing or a hash does not match
     │    └── GenerationError      the generator failed or ran out of time
     └── ConfigError           settings that cannot work together
"""

from __future__ import annotations


class StoryBriefError(Exception):
    """Base of every error the library raises on purpose."""


class InputError(StoryBriefError, ValueError):
    """The input cannot be processed; ``field`` names the offending field when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class EmptyTextError(InputError):
    """An article's text is empty, or nothing is left of it after cleaning."""


class ModelError(StoryBriefError):
    """A model could not be found, loaded or run."""


class ModelAssemblyError(ModelError):
    """A chunked model could not be assembled or verified."""


class GenerationError(ModelError):
    """Generation failed or exceeded its time limit."""


class GenerationCancelled(GenerationError):
    """Generation was stopped by ``Generator.cancel`` (the service is stopping): no brief,
    not even an extractive one, comes of it."""


class ConfigError(StoryBriefError):
    """The settings are inconsistent."""
