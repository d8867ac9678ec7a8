"""Request and response bodies that exist only at the HTTP layer.

The Answer, Passage, DocumentInfo and IngestSummary shapes come from `rag.schemas` unchanged; this
module adds the chat request, the OpenAI-compatible chat-completions subset, the probes and the
error bodies. The schemas state every constraint the server enforces, so the OpenAPI document
and the server agree: booleans and integers are strict (`0` is not `false`, `"5"` is not `5`) and
a question must hold a non-whitespace character. The question length limit is a setting, so
fields marked with `QUESTION_LIMIT` get their `maxLength` when `api.openapi` builds the schema;
the routes check it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from rag.schemas import Citation, FallbackReason, Turn

MAX_HISTORY_TURNS = 50
MAX_TURN_CHARS = 20_000

# Replaced by `"maxLength": settings.max_question_chars` in the OpenAPI schema.
QUESTION_LIMIT = "x-question-limit"
# What `str.strip()` removes. A class of these very characters reads the same in every regex
# dialect; `\s` does not (ECMA-262, Python and Rust each count different characters).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A question: at least one character that is not whitespace, i.e. `text.strip()` is not empty.
NOT_BLANK: dict[str, Any] = {"minLength": 1, "pattern": f"[^{WHITESPACE}]"}
QUESTION_TEXT: dict[str, Any] = {**NOT_BLANK, QUESTION_LIMIT: True}


def _integral_float_to_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# JSON Schema's integer is a number without a fractional part (`5.0` is one), never a string or
# a boolean. The models are strict, so this only lets integral floats through. It goes after
# any bounds in `Annotated[int, ...]`, or pydantic leaves the bounds out of the JSON schema.
JSON_INTEGER = BeforeValidator(_integral_float_to_int)


class HistoryTurn(Turn):
    """One earlier turn of the conversation, as `POST /chat` takes it."""

    content: str = Field(max_length=MAX_TURN_CHARS)


class ChatRequest(BaseModel):
    """`POST /chat`: one question plus the conversation so far (the server keeps no state)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
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

    question: str = Field(
        description="The question; at most `max_question_chars` characters, not only whitespace.",
        json_schema_extra=QUESTION_TEXT,
    )
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Earlier turns, oldest first; a follow-up is read in their light.",
    )
    top_k: Annotated[int, Field(ge=1, le=20), JSON_INTEGER] | None = Field(
        default=None, description="Passages to retrieve."
    )
    stream: bool = Field(default=False, description="Answer as Server-Sent Events.")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("The question is empty; type a question about the career guides")
        return value


class TextPart(BaseModel):
    """A `{"type": "text", "text": ...}` content part; this server reads text only."""

    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["text"]
    text: str = Field(json_schema_extra={QUESTION_LIMIT: True})


def _text(content: str | list[Any] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(
        str(part.get("text", "")) if isinstance(part, dict) else part.text
        for part in content
        if (part.get("type") if isinstance(part, dict) else part.type) == "text"
    )


# Of a user message's parts, at least one is a text part with a non-whitespace character.
_SOME_TEXT = {
    "contains": {
        "type": "object",
        "properties": {"type": {"const": "text"}, "text": {"type": "string", **NOT_BLANK}},
        "required": ["type", "text"],
    }
}


class UserMessage(BaseModel):
    """A user message: every one is a question, so it must have text (parts are joined)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    role: Literal["user"]
    content: (
        Annotated[str, Field(json_schema_extra=QUESTION_TEXT)]
        | Annotated[list[TextPart], Field(min_length=1, json_schema_extra=_SOME_TEXT)]
    ) = Field(
        description="The question, at most `max_question_chars` characters; a list of text "
        "parts counts as their concatenation (a bound JSON Schema cannot state)."
    )

    def text(self) -> str:
        return _text(self.content)


class ContextMessage(BaseModel):
    """Any other message: context for the question. Tool messages are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)

    role: Literal["system", "developer", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        return _text(self.content)


OpenAIMessage = Annotated[UserMessage | ContextMessage, Field(discriminator="role")]


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    include_usage: bool = Field(
        default=False, description="Send a last chunk, with `choices: []`, carrying `usage`."
    )


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat-completions request this server understands.

    The last user message is the question, the messages before it are the conversation and any
    after it (an assistant's tool call, tool results) are ignored. `max_completion_tokens` (or
    the older `max_tokens`) cuts the answer, with `finish_reason: "length"`. Other options
    (temperature, n, tools, ...) are accepted and ignored so that existing OpenAI clients and
    chat front ends work unchanged; answers are always grounded.
    """

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = "career-rag"
    messages: list[OpenAIMessage] = Field(
        min_length=1,
        max_length=MAX_HISTORY_TURNS + 1,
        json_schema_extra={
            "contains": {
                "type": "object",
                "properties": {"role": {"const": "user"}},
                "required": ["role"],
            }
        },
        description="At least one message with role `user`; the last one is the question.",
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_completion_tokens: Annotated[int, Field(ge=1), JSON_INTEGER] | None = None
    max_tokens: Annotated[int, Field(ge=1), JSON_INTEGER] | None = Field(
        default=None, description="Deprecated by OpenAI for `max_completion_tokens`."
    )


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatCompletionChoice(BaseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: Literal["stop", "length"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Token counts, estimated (see `api.usage`): the backends report none."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """A `chat.completion` object; `citations`, `refused` and `fallback` are this server's extra
    fields."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: Usage
    citations: list[Citation] = Field(default_factory=list)
    refused: bool = False
    fallback: FallbackReason | None = Field(
        default=None,
        description="Set when the text is the quotes-only answer: `generator_busy` or "
        "`llm_unavailable` (see the Answer schema of `POST /chat`).",
    )


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


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorInfo(BaseModel):
    type: str = Field(description="Machine-readable kind, e.g. `validation_error`, `busy`.")
    message: str = Field(description="What went wrong and what to do, for people.")
    details: list[ErrorDetail] | None = Field(
        default=None, description="Request validation only: each offending field."
    )


class ErrorResponse(BaseModel):
    """The project's error body, on every route outside `/v1/`."""

    error: ErrorInfo


class OpenAIErrorInfo(BaseModel):
    message: str
    type: str = Field(description="OpenAI's kind: `invalid_request_error`, `server_error`, ...")
    param: str | None = Field(description="The offending request field, when there is one.")
    code: str | None = Field(description="This project's error type, e.g. `busy`.")


class OpenAIErrorResponse(BaseModel):
    """OpenAI's error body, on the routes under `/v1/`."""

    error: OpenAIErrorInfo


class NotReady(Readiness):
    """`GET /ready` when the server cannot answer yet: the readiness plus the reason."""

    error: ErrorInfo
