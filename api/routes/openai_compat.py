"""`POST /v1/chat/completions` and `GET /v1/models`: enough of the OpenAI API for its clients.

The last user message is the question and the messages before it are the history; the reply is a
`chat.completion` (or `chat.completion.chunk` events ending in `[DONE]`) whose text is the
verified answer, with `finish_reason`, estimated `usage` (see `api.usage`), and `citations` and
`refused` as extra fields. Sampling options are ignored. Errors here are OpenAI-shaped
(`api.errors`).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response

from api.answering import answer, open_answer_stream, preference_applied, preferred_wait_s
from api.deps import AssistantDep, GateDep, SettingsDep
from api.errors import ApiError
from api.routes.chat import PreferHeader, check_question
from api.schemas import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    OpenAIErrorResponse,
    OpenAIMessage,
)
from api.streaming import (
    LeasedEventSourceResponse,
    completion_chunks,
    completion_id,
)
from api.usage import cut_to_tokens, usage
from rag.config import Settings
from rag.errors import InvalidQuestionError
from rag.schemas import Turn

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODEL_ID = "career-rag"


_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "model": OpenAIErrorResponse,
        "description": "No user message, a blank or too long one, or a malformed request",
    },
    502: {"model": OpenAIErrorResponse, "description": "The LLM behind the server did not answer"},
    503: {
        "model": OpenAIErrorResponse,
        "description": "Index not ready, or busy (see Retry-After) after `Prefer: wait=N`",
    },
}


def split_messages(messages: list[OpenAIMessage], settings: Settings) -> tuple[str, list[Turn]]:
    """(question, history): the last user message, and the messages before it but tool ones.

    Every user message was a question once, so each must be one still (the schema says so too);
    messages after the last user message (a tool call and its result, say) are ignored.
    """
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ApiError(
            422,
            "validation_error",
            "No message has role 'user'; the last user message is the question.",
            param="messages",
        )
    for i in users:
        try:
            check_question(messages[i].text(), settings)
        except InvalidQuestionError as exc:
            where = "" if i == users[-1] else f"Earlier user message {i}: "
            raise ApiError(
                422, "invalid_question", f"{where}{exc}", param=f"messages.{i}.content"
            ) from None
    last = users[-1]
    history = [
        Turn(role="system" if m.role == "developer" else m.role, content=m.text())
        for m in messages[:last]
        if m.role != "tool"
    ]
    return messages[last].text(), history


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        **_ERRORS,
        200: {
            "content": {"text/event-stream": {}},
            "description": "A `chat.completion`, or with `stream: true` SSE "
            "`chat.completion.chunk` data lines ending with `[DONE]`.",
        },
    },
)
async def chat_completions(
    body: ChatCompletionRequest,
    assistant: AssistantDep,
    settings: SettingsDep,
    gate: GateDep,
    response: Response,
    prefer: PreferHeader = None,
) -> Any:
    """OpenAI-compatible chat: point an OpenAI client's `base_url` at `<server>/v1`.

    `usage` token counts are estimates (4 characters a token). `max_completion_tokens` (or
    `max_tokens`) cuts the verified answer and sets `finish_reason: "length"`. When the model is
    saturated (or fails) the reply is the quotes-only answer at once, with the extra field
    `fallback` saying why; `Prefer: wait=N` waits up to N seconds for the model instead.
    """
    question, history = split_messages(body.messages, settings)
    model = body.model or MODEL_ID
    prompt_texts = [m.text() for m in body.messages]
    max_tokens = body.max_completion_tokens or body.max_tokens
    wait_s = preferred_wait_s(prefer)
    applied = preference_applied(wait_s)
    if body.stream:
        lease, stream = await open_answer_stream(assistant, gate, wait_s, question, history, None)
        chunks = completion_chunks(
            stream,
            model=model,
            prompt_texts=prompt_texts,
            max_tokens=max_tokens,
            include_usage=bool(body.stream_options and body.stream_options.include_usage),
        )
        return LeasedEventSourceResponse(chunks, lease=lease, stream=stream, headers=applied)
    response.headers.update(applied)
    reply = await answer(assistant, gate, wait_s, question, history, None)
    text, finish = cut_to_tokens(reply.answer, max_tokens)
    return ChatCompletion(
        id=completion_id(),
        created=int(time.time()),
        model=model,
        choices=[
            ChatCompletionChoice(
                message=ChatCompletionMessage(content=text),
                finish_reason=finish,  # type: ignore[arg-type]
            )
        ],
        usage=usage(prompt_texts, text),
        citations=reply.citations,
        refused=reply.refused,
        fallback=reply.fallback,
    )


@router.get("/models", response_model=ModelList)
async def list_models() -> ModelList:
    """The one model this server offers, for front ends that list models first."""
    return ModelList(data=[ModelCard(id=MODEL_ID)])
