"""The Assistant end to end over a real embedded Chroma, with a fake embedder and a scripted LLM."""

from __future__ import annotations

import pytest

from rag.coverage import UNSURE
from rag.errors import IndexNotReadyError, InvalidQuestionError
from rag.prompt import CHECK
from rag.schemas import Answer, Turn
from tests.fakes import ScriptedLLM
from tests.rag.conftest import chunk_texts, fake_assistant


def assert_citations_are_verbatim_and_retrieved(answer: Answer, texts: dict[str, str]) -> None:
    retrieved = {p.chunk_id for p in answer.retrieved}
    assert answer.citations, "expected at least one citation"
    for citation in answer.citations:
        assert citation.chunk_id in retrieved
        assert citation.quote in texts[citation.chunk_id]
        assert f"[{citation.n}]" in answer.answer


def test_extractive_answer_quotes_the_salary_passage(fake_index):
    answer = fake_assistant(fake_index).ask("What does Levels.fyi say about the average salary?")
    assert not answer.refused
    assert "£105k" in answer.answer
    assert_citations_are_verbatim_and_retrieved(answer, chunk_texts(fake_index[0]))


def test_an_invented_number_in_the_draft_never_reaches_the_answer(fake_index):
    llm = ScriptedLLM(
        "According to Levels.fyi, the average salary for a machine learning engineer is £250k (UK)."
    )
    answer = fake_assistant(fake_index, llm).ask(
        "What does Levels.fyi say about the average salary?"
    )
    assert "£250k" not in answer.answer
    assert llm.prompts, "the model was asked"
    assert_citations_are_verbatim_and_retrieved(answer, chunk_texts(fake_index[0]))


def test_the_prompt_holds_short_numbered_evidence_not_whole_pages(fake_index):
    llm = ScriptedLLM("Python matters.")
    fake_assistant(fake_index, llm).ask("What programming languages matter for both careers?")
    prompt = llm.prompts[0][-1]["content"]
    assert "[1] " in prompt and "Question: What programming languages" in prompt
    assert len(prompt) < 2500


def test_stream_yields_draft_tokens_then_the_verified_answer(fake_index):
    llm = ScriptedLLM("Python remains the most important programming language for both careers.")
    items = list(
        fake_assistant(fake_index, llm).stream(
            "Which programming language remains the most important for AI and ML engineering?"
        )
    )
    assert all(isinstance(i, str) for i in items[:-1]) and len(items) > 2
    assert isinstance(items[-1], Answer)


def test_off_topic_questions_are_declined_naming_the_guides(fake_index):
    answer = fake_assistant(fake_index).ask("What is the capital of Australia?")
    assert answer.refused and answer.coverage == "decline"
    assert answer.citations == []
    assert answer.retrieved, "the nearest passages are still shown"
    assert "don't cover" in answer.answer
    assert "AI Engineer vs ML Engineer: The Definitive 2026 Career Guide" in answer.answer


def test_a_named_thing_the_guides_lack_gets_a_partial_answer(fake_index):
    """The topic is covered, the named country is not: say so, then quote."""
    answer = fake_assistant(fake_index).ask(
        "What is the average salary of an AI engineer in Germany?"
    )
    assert answer.refused and answer.coverage == "partial"
    assert answer.answer.startswith("The guides don't mention the name in your question.")
    texts = chunk_texts(fake_index[0])
    assert answer.citations and all(c.quote in texts[c.chunk_id] for c in answer.citations)


def test_a_question_that_greets_someone_by_name_is_answered(fake_index):
    assistant = fake_assistant(fake_index)
    plain = assistant.ask("What is the average salary of an AI engineer?")
    greeted = assistant.ask("Hey Sam, what is the average salary of an AI engineer?")
    assert plain.coverage == greeted.coverage == "answer"
    assert not greeted.refused and greeted.citations[0] == plain.citations[0]


def test_a_partial_answer_never_repeats_words_the_guides_lack(fake_index):
    """An injected instruction cannot make the assistant print its words through the partial
    answer's note on what the guides do not give."""
    answer = fake_assistant(fake_index).ask(
        "What is the average salary of an AI engineer in Germany and HACKED?"
    )
    assert answer.coverage == "partial"
    assert answer.answer.startswith("The guides don't mention the names in your question.")
    assert "HACKED" not in answer.answer and "Germany" not in answer.answer


SALARY = "What is the average salary of an AI engineer?"


def test_an_answer_the_model_reads_as_not_in_the_evidence_becomes_a_partial_one(fake_index):
    """A question the coverage features let through, but the configured model says the facts do
    not answer: the reader is told so, and gets the quotes, not a model-written answer."""
    llm = ScriptedLLM("AI engineers earn £75k.", says_yes=0.2, coverage_floor=0.5)
    answer = fake_assistant(fake_index, llm).ask(SALARY)
    assert llm.checks and llm.checks[0][-1]["content"].endswith(CHECK)
    assert not llm.prompts, "no answer is written once the model doubts the evidence"
    assert answer.refused and answer.coverage == "partial"
    assert answer.answer.startswith(UNSURE)
    texts = chunk_texts(fake_index[0])
    assert answer.citations and all(c.quote in texts[c.chunk_id] for c in answer.citations)


@pytest.mark.parametrize(
    ("says_yes", "model_floor", "setting", "checked", "answered"),
    [
        (0.9, 0.5, None, True, True),  # the model reads the facts as answering
        (None, 0.5, None, True, True),  # it cannot tell: the coverage model's decision stands
        (0.2, 0.0, None, False, True),  # a model whose reading is not trusted is never asked
        (0.2, 0.5, 0.0, False, True),  # the setting turns the check off
        (0.4, 0.0, 0.5, True, False),  # ...or on, for any model
        (0.4, 0.5, 0.3, True, True),  # ...or moves the floor
    ],
)
def test_the_models_check_and_its_floor(
    fake_index, says_yes, model_floor, setting, checked, answered
):
    llm = ScriptedLLM("AI engineers earn £75k.", says_yes=says_yes, coverage_floor=model_floor)
    answer = fake_assistant(fake_index, llm, llm_coverage_floor=setting).ask(SALARY)
    assert bool(llm.checks) is checked
    assert (answer.coverage == "answer") is answered
    assert bool(llm.prompts) is answered


def test_the_model_is_not_asked_to_check_what_coverage_already_declined(fake_index):
    llm = ScriptedLLM("Canberra.", says_yes=0.9, coverage_floor=0.5)
    answer = fake_assistant(fake_index, llm).ask("What is the capital of Australia?")
    assert answer.coverage == "decline" and not llm.checks


def test_follow_up_is_rewritten_before_retrieval(fake_index):
    history = [
        Turn(role="user", content="What skills does an AI engineer need?"),
        Turn(role="assistant", content="..."),
    ]
    answer = fake_assistant(fake_index).ask("And for ML engineers?", history=history)
    assert answer.standalone_question == "What skills does an ML engineer need?"


def test_faq_chunks_are_left_out_in_hard_mode(fake_index):
    answer = fake_assistant(fake_index, exclude_faq=True).ask("Which role offers higher salaries?")
    assert all(p.kind != "faq" for p in answer.retrieved)


def test_quiz_options_are_never_evidence(fake_index):
    passages = fake_assistant(fake_index).search("Which use of AI fits this topic best?", top_k=20)
    assert all(p.kind != "quiz" for p in passages)


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_empty_or_overlong_questions_are_rejected(fake_index, question):
    with pytest.raises(InvalidQuestionError):
        fake_assistant(fake_index).ask(question)


def test_an_empty_index_says_to_ingest(tmp_path, fake_embedder):
    from rag.assistant import Assistant
    from rag.config import Settings
    from rag.store import open_collection

    settings = Settings(data_dir=tmp_path, llm="none", ranker="none")
    assistant = Assistant(
        settings, embedder=fake_embedder, llm=None, collection=open_collection(settings)
    )
    with pytest.raises(IndexNotReadyError, match="career-rag ingest"):
        assistant.ask("What does an AI engineer do?")


def test_documents_lists_each_article_with_its_chunks(fake_index):
    docs = fake_assistant(fake_index).documents()
    assert len(docs) == 4
    assert all(d.chunks > 0 and len(d.content_hash) == 64 and d.title for d in docs)


def test_generation_stops_once_the_draft_has_three_sentences(fake_index):
    llm = ScriptedLLM(" ".join(f"Python is the language number {i}." for i in range(1, 9)))
    items = list(
        fake_assistant(fake_index, llm).stream(
            "Which programming language remains the most important for AI and ML engineering?"
        )
    )
    draft = "".join(i for i in items if isinstance(i, str))
    assert draft.count("Python is") == 3


def test_a_message_the_guides_cannot_answer_alone_is_read_after_the_previous_question(fake_index):
    """No follow-up marker ("and", a pronoun), yet it only makes sense after the last question:
    it is answered in that context rather than declined."""
    history = [
        Turn(role="user", content="What does Levels.fyi say about the average salary?"),
        Turn(role="assistant", content="..."),
    ]
    assistant = fake_assistant(fake_index)
    alone = assistant.ask("Is the figure different for the other role?")
    assert alone.refused
    answer = assistant.ask("Is the figure different for the other role?", history=history)
    assert not answer.refused
    assert answer.standalone_question.startswith(
        "What does Levels.fyi say about the average salary"
    )
    assert "£105k" in answer.answer


def test_a_lead_in_whose_items_could_not_join_it_is_not_evidence(fake_index):
    """ "...must have some common skills:" is followed by whole paragraphs, too long to join as
    its items; quoted alone it would promise a list it does not show."""
    assistant = fake_assistant(fake_index)
    question = "Which common skills must both AI and ML engineers have?"
    _, hits, candidates = assistant.evidence_for(question)
    assert any("they should and must have some common skills:" in h.chunk.text for h in hits)
    assert candidates
    assert not any(ev.text.rstrip().endswith(":") for ev in candidates)
