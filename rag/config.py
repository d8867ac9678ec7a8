"""Every setting of career-rag in one place, read from `CAREER_RAG_*` environment variables.

Nothing else in the project reads `os.environ`; code asks `get_settings()` instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMBackendName = Literal["local", "openai", "none"]
LocalModelName = Literal["gemma3-270m", "smollm2-135m"]


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as `CAREER_RAG_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="CAREER_RAG_", extra="ignore")

    # Where state lives.
    data_dir: Path = Path(".data")
    corpus_dir: Path = Path("corpus")
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); embedded when unset."
    )
    collection: str = "career_guides"

    # Retrieval.
    top_k: int = Field(default=5, ge=1, le=20)
    exclude_faq: bool = Field(
        default=False, description="Leave FAQ chunks out of retrieval (eval hard mode)."
    )

    # Generation.
    llm: LLMBackendName = "local"
    local_model: LocalModelName = "smollm2-135m"
    llm_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1",
    )
    llm_model: str = "local-model"
    llm_api_key: str | None = None
    llm_timeout_s: float = 30.0
    max_tokens: int = Field(default=120, ge=16, le=1024)
    llm_threads: int | None = Field(
        default=None, description="CPU threads for the local LLM (default 1: see rag/llm/local.py)."
    )

    # Serving.
    admin_token: str | None = None
    max_question_chars: int = 2000
    max_concurrent_generations: int = 1
    max_queued_generations: int = 4

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.json"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
