"""`POST /chat`: one grounded answer, as JSON or as Server-Sent Events.

Validation of the question length happens here (the limit is a setting); answering is the
assistant's job, and it runs in worker threads behind the generation gate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from api.answering import (
    PREFER_HEADER_DOC,
    answer,
    open_answer_stream,
    preference_applied,
    preferred_wait_s,
)
from api.deps import AssistantDep, GateDep, SettingsDep
from api.schemas import ChatRequest, ErrorResponse
from api.streaming import LeasedEventSourceResponse, chat_events
from rag.config import Settings
from rag.errors import InvalidQuestionError
from rag.schemas import Answer

router = APIRouter(tags=["chat"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorResponse,
        "description": "Empty or too long question, unknown field, bad top_k, bad JSON",
    },
    502: {"model": ErrorResponse, "description": "The LLM behind the server did not answer"},
    503: {
        "model": ErrorResponse,
        "description": "Index not ready, or busy (see Retry-After) after `Prefer: wait=N`",
    },
}

PreferHeader = Annotated[str | None, Header(description=PREFER_HEADER_DOC)]


def check_question(question: str, settings: Settings) -> str:
    """The question, or InvalidQuestionError when it is blank or longer than the limit."""
    if not question.strip():
        raise InvalidQuestionError(
            "The question is empty; type a question about the career guides."
        )
    if len(question) > settings.max_question_chars:
        raise InvalidQuestionError(
            f"The question is {len(question)} characters long; the limit is "
            f"{settings.max_question_chars}. Shorten it and ask again."
        )
    return question


@router.post(
    "/chat",
    response_model=Answer,
    responses={
        **_ERRORS,
        200: {
            "content": {"text/event-stream": {}},
            "description": "The Answer, or with `stream: true` SSE events token*, answer, done.",
        },
    },
)
async def chat(
    body: ChatRequest,
    assistant: AssistantDep,
    settings: SettingsDep,
    gate: GateDep,
    response: Response,
    prefer: PreferHeader = None,
) -> Any:
    """Answer a question from the guides, with numbered citations of the passages it rests on.

    With `stream: true` the reply is Server-Sent Events: `token` events (`{"text"}`) carry the
    draft as the model writes it, then one `answer` event carries the verified Answer (show that
    text: verification may change the draft), then `done`. A failure mid-stream is an `error`
    event with `{"error": {"type", "message"}}` and ends the stream.

    When the model is saturated the reply comes at once and is the quotes-only answer (verified
    evidence sentences, quoted and cited, no model draft) with `fallback: "generator_busy"`;
    send `Prefer: wait=N` to wait up to N seconds for the model instead. A model that fails
    gives the quotes-only answer with `fallback: "llm_unavailable"`.
    """
    question = check_question(body.question, settings)
    wait_s = preferred_wait_s(prefer)
    applied = preference_applied(wait_s)
    if body.stream:
        lease, stream = await open_answer_stream(
            assistant, gate, wait_s, question, body.history, body.top_k
        )
        return LeasedEventSourceResponse(
            chat_events(stream), lease=lease, stream=stream, headers=applied
        )
    response.headers.update(applied)
    return await answer(assistant, gate, wait_s, question, body.history, body.top_k)
