"""Domain errors. `api` maps them to HTTP status codes in one place; the CLI to exit codes."""

from __future__ import annotations


class CareerRagError(Exception):
    """Base class for every error this project raises on purpose."""

    exit_code = 1


class CorpusError(CareerRagError):
    """Raised when the corpus folder is missing, or no article in it can be read."""

    exit_code = 2


class IndexNotReadyError(CareerRagError):
    """Raised when a question arrives but the index is missing or empty (run the ingest)."""

    exit_code = 3


class InvalidQuestionError(CareerRagError):
    """Raised when a question is empty, only whitespace, or longer than the configured limit."""

    exit_code = 4


class ModelUnavailableError(CareerRagError):
    """Raised when a packaged model (an LLM or the ranking encoder) is not installed, or its
    parts do not assemble into the pinned file."""

    exit_code = 5


class LLMUnavailableError(ModelUnavailableError):
    """Raised when the configured LLM cannot be loaded or its server does not answer in time."""


class StoreWriteError(CareerRagError):
    """Raised when the ingest cannot write the index (disk full, read-only data dir); whatever it
    had not yet published is discarded and readers keep the previous index."""

    exit_code = 7


class BusyError(CareerRagError):
    """Raised when generation is saturated beyond the waiting queue; retry after a short pause."""

    exit_code = 6

    def __init__(
        self, message: str = "The assistant is busy; retry shortly.", retry_after_s: int = 2
    ):
        super().__init__(message)
        self.retry_after_s = retry_after_s
