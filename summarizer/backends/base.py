"""The ``Generator`` interface every inference backend implements.

A backend takes a prompt (plain text) or chat messages and returns the generated text
with token counts. Greedy decoding is the default. Models load lazily on first use and
are released by ``close()``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from summarizer.errors import InputError


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


Prompt = str | Sequence[ChatMessage]


@dataclass(frozen=True, slots=True)
class GenerationConfig:
    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    temperature: float = 0.0  # 0 means greedy
    repeat_penalty: float = 1.0
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length", "timeout"] = "stop"
    prefill_s: float = 0.0  # time to first token
    decode_s: float = 0.0  # time after the first token
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return self.prefill_s + self.decode_s


class Generator(ABC):
    """A loaded (or lazily loadable) text generator."""

    name: str  # the manifest name
    backend: str  # "llama_cpp" | "transformers"
    sha256: str  # hash of the weights file (or of the model directory's weights)
    context_length: int

    @abstractmethod
    def generate(self, prompt: Prompt, config: GenerationConfig | None = None) -> GenerationResult:
        """Generate from a plain prompt or chat messages (the model's own chat template)."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """How many tokens the model's tokenizer makes of ``text`` (for budgeting)."""

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        """Tokens the model reads for ``prompt``, chat template included.

        Backends count exactly; this default (for fakes) adds a few tokens per message.
        """
        if isinstance(prompt, str):
            return self.count_tokens(prompt)
        return sum(self.count_tokens(m["content"]) + 5 for m in prompt) + 3

    def new_token_allowance(self, n_prompt: int, max_new_tokens: int) -> int:
        """How many tokens may follow a prompt of ``n_prompt`` tokens in the context.

        Raises ``InputError`` when the prompt leaves no room for a single new token.
        """
        if n_prompt >= self.context_length:
            raise InputError(
                f"the prompt has {n_prompt} tokens; {self.name} is run with a context of "
                f"{self.context_length}",
                field="prompt",
            )
        return min(max_new_tokens, self.context_length - n_prompt)

    @abstractmethod
    def close(self) -> None:
        """Release the model; a later call loads it again."""

    def cancel(self) -> None:
        """Stop a generation under way, soon, and every later one, with
        ``GenerationCancelled`` (a service that is stopping does not wait for a long brief,
        nor start one in a task that reaches the model after the stop). It is for good: a
        cancelled generator is done with. A backend that cannot stop one lets it finish."""
        return None  # this one cannot

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
