"""`POST /v1/chat/completions` and `GET /v1/models`: enough of the OpenAI API for its clients.

The last user message is the question and the messages before it are the history; the reply is a
`chat.completion` (or `chat.completion.chunk` events ending in `[DONE]`) whose text is the
verified answer, with `citations` and `refused` as extra fields. Sampling options are ignored.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import AssistantDep, GateDep, SettingsDep
from api.errors import ApiError
from api.routes.chat import check_question
from api.schemas import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
)
from api.streaming import (
    LeasedEventSourceResponse,
    completion_chunks,
    completion_id,
    open_stream,
)
from rag.schemas import Turn

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODEL_ID = "career-rag"


def split_messages(body: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    """(question, history): the last message must come from the user."""
    messages = [m for m in body.messages if m.role != "tool"]
    if not messages or messages[-1].role != "user":
        raise ApiError(
            422, "validation_error", "The last message must have role 'user'; it is the question."
        )
    history = [
        Turn(role="system" if m.role == "developer" else m.role, content=m.text())  # type: ignore[arg-type]
        for m in messages[:-1]
    ]
    return messages[-1].text(), history


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionRequest, assistant: AssistantDep, settings: SettingsDep, gate: GateDep
) -> Any:
    """OpenAI-compatible chat: point an OpenAI client's `base_url` at `<server>/v1`."""
    question, history = split_messages(body)
    check_question(question, settings)
    model = body.model or MODEL_ID
    if body.stream:
        lease, stream = await open_stream(gate, partial(assistant.stream, question, history, None))
        chunks = completion_chunks(stream, model=model)
        return LeasedEventSourceResponse(chunks, lease=lease, stream=stream)
    async with gate.slot():
        answer = await run_in_threadpool(assistant.ask, question, history, None)
    return ChatCompletion(
        id=completion_id(),
        created=int(time.time()),
        model=model,
        choices=[ChatCompletionChoice(message=ChatCompletionMessage(content=answer.answer))],
        citations=answer.citations,
        refused=answer.refused,
    )


@router.get("/models", response_model=ModelList)
async def list_models() -> ModelList:
    """The one model this server offers, for front ends that list models first."""
    return ModelList(data=[ModelCard(id=MODEL_ID)])
