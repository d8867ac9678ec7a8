"""Request and response bodies that exist only at the HTTP layer.

The Answer, Passage, DocumentInfo and IngestSummary shapes come from `rag.schemas` unchanged; this
module adds the chat request, the OpenAI-compatible chat-completions subset, and the probes.
Question length is checked against the configured limit in the routes, since it is a setting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag.schemas import Citation, Turn

MAX_HISTORY_TURNS = 50
MAX_TURN_CHARS = 20_000


class ChatRequest(BaseModel):
    """`POST /chat`: one question plus the conversation so far (the server keeps no state)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "What does an AI engineer do day to day?",
                    "history": [],
                    "top_k": 5,
                    "stream": False,
                }
            ]
        },
    )

    question: str = Field(description="The question; at most `max_question_chars` characters.")
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first; a follow-up is read in their light.",
    )
    top_k: int | None = Field(default=None, ge=1, le=20, description="Passages to retrieve.")
    stream: bool = Field(default=False, description="Answer as Server-Sent Events.")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The question is empty; type a question about the career guides")
        return value

    @field_validator("history")
    @classmethod
    def _turns_bounded(cls, turns: list[Turn]) -> list[Turn]:
        for turn in turns:
            if len(turn.content) > MAX_TURN_CHARS:
                raise ValueError(f"A history turn is longer than {MAX_TURN_CHARS} characters")
        return turns


class OpenAIMessage(BaseModel):
    """One chat message; `content` may be a string or a list of `{"type": "text"}` parts."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(
            str(part.get("text", "")) for part in self.content if part.get("type") == "text"
        )


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat-completions request this server understands.

    Unknown sampling options (temperature, max_tokens, ...) are accepted and ignored so that
    existing OpenAI clients and chat front ends work unchanged; answers are always grounded.
    """

    model_config = ConfigDict(extra="ignore")

    model: str = "career-rag"
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=MAX_HISTORY_TURNS + 1)
    stream: bool = False


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatCompletionChoice(BaseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    """A `chat.completion` object; `citations` and `refused` are this server's extra fields."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    citations: list[Citation] = Field(default_factory=list)
    refused: bool = False


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "career-rag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    chunks: int = 0
    llm: str = ""
    llm_ready: bool = False
