"""Every setting of career-rag in one place, read from `CAREER_RAG_*` environment variables.

Nothing else in the project reads `os.environ`; code asks `get_settings()` instead.

Where state lives does not depend on the working directory: run from a source checkout (the folder
holding pyproject.toml and corpus/), the index is that folder's `.data/` and the articles its
`corpus/`; installed anywhere else, both live in the user data dir, `$XDG_DATA_HOME/career-rag`
(by default `~/.local/share/career-rag`, articles in its `corpus/`). A data or corpus dir given
explicitly (flag or `CAREER_RAG_*` variable) is taken as given, relative to the working directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMBackendName = Literal["local", "openai", "none"]
LocalModelName = Literal["gemma3-270m", "smollm2-135m", "qwen2.5-0.5b", "qwen2.5-1.5b"]
RankerName = Literal["mpnet", "none"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root(package_dir: Path = _PACKAGE_DIR) -> Path | None:
    """The source checkout the package runs from (the folder above it holding pyproject.toml and
    corpus/), or None when it is installed elsewhere."""
    checkout = package_dir.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "corpus").is_dir():
        return checkout
    return None


def user_data_dir() -> Path:
    """Where an installed career-rag keeps its state: `$XDG_DATA_HOME/career-rag`, by default
    `~/.local/share/career-rag` (the XDG base-directory spec ignores a relative value)."""
    base = Path(os.environ.get("XDG_DATA_HOME") or "")
    if not base.is_absolute():
        base = Path.home() / ".local" / "share"
    return base / "career-rag"


def default_data_dir() -> Path:
    """The checkout's `.data/`, else the user data dir: absolute, the same from any folder."""
    root = project_root()
    return root / ".data" if root else user_data_dir()


def default_corpus_dir() -> Path:
    """The checkout's `corpus/`, else `corpus/` in the user data dir."""
    root = project_root()
    return root / "corpus" if root else user_data_dir() / "corpus"


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as `CAREER_RAG_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="CAREER_RAG_", extra="ignore")

    # Where state lives. The defaults are absolute (see the module docstring); a value given
    # explicitly stays as given, so a relative one means relative to the working directory.
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Index, ingest record and assembled models (default: the checkout's .data/, "
        "else ~/.local/share/career-rag).",
    )
    corpus_dir: Path = Field(
        default_factory=default_corpus_dir,
        description="The articles and sources.json (default: the checkout's corpus/, else "
        "corpus/ in the user data dir).",
    )
    # Corpus bounds, checked before an article is read (ingest holds the texts it re-embeds).
    max_article_bytes: int = Field(
        default=5_000_000, ge=1, description="A larger article is skipped with a message."
    )
    max_corpus_files: int = Field(
        default=5_000, ge=1, description="More article files than this: ingest refuses the folder."
    )
    max_corpus_bytes: int = Field(
        default=200_000_000,
        ge=1,
        description="More bytes of articles than this in total: ingest refuses the folder.",
    )
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); embedded when unset."
    )
    collection: str = "career_guides"

    # Retrieval.
    top_k: int = Field(default=5, ge=1, le=20)
    ranker: RankerName = Field(
        default="mpnet",
        description="A second sentence encoder that ranks sentences beside MiniLM "
        "(all-mpnet-base-v2; docs/answering.md), or none. Changing it re-publishes the index.",
    )
    exclude_faq: bool = Field(
        default=False, description="Leave FAQ chunks out of retrieval (eval hard mode)."
    )
    generation_poll_s: float = Field(
        default=2.0,
        ge=0.0,
        description="How often a running process checks the manifest for a re-ingested index.",
    )

    # Generation.
    llm: LLMBackendName = "local"
    local_model: LocalModelName = "smollm2-135m"
    llm_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1",
    )
    llm_model: str = "local-model"
    # Secrets stay out of `repr(settings)`, so a logged or printed Settings cannot leak them.
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_timeout_s: float = 30.0
    max_tokens: int = Field(default=120, ge=16, le=1024)
    llm_coverage_floor: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description=(
            "Below this probability of the model's 'Yes, the facts answer the question', an answer "
            "becomes a partial one (default: per model, see docs/answering.md; 0 turns it off)."
        ),
    )
    llm_threads: int | None = Field(
        default=None, description="CPU threads for the local LLM (default 1: see rag/llm/local.py)."
    )

    # Serving.
    admin_token: str | None = Field(
        default=None,
        repr=False,
        description="Bearer token for the admin routes (POST /ingest); unset, they answer 403.",
    )
    api_key: str | None = Field(
        default=None,
        repr=False,
        description="Bearer key the chat routes (/chat, /search, /v1/...) require; unset, open.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins browsers may call the API from, as JSON: '[\"https://a.example\"]'; "
        "empty (the default): no CORS headers, so only same-origin pages can read answers.",
    )
    # The largest chat body the schema admits (50 history turns of 20,000 characters, each
    # character up to 6 bytes as a JSON \u escape) is about 6 MB; anything beyond is refused.
    max_request_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="Request bodies above this many bytes get 413 before they are read whole.",
    )
    max_question_chars: int = 2000
    max_concurrent_generations: int = 1
    max_queued_generations: int = 4
    generation_wait_answers: float = Field(
        default=1.0,
        ge=0,
        description="How long a question may wait for a generation slot, in typical answer "
        "times, unless it sends `Prefer: wait=N`; past that, or when the waiting room is that "
        "full already, it gets the quotes-only answer at once.",
    )

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.json"

    @property
    def ranker_name(self) -> str | None:
        """The ranking encoder configured (`ranker`), or None for "none"."""
        return None if self.ranker == "none" else self.ranker

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
