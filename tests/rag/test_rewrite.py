"""Follow-up questions become standalone before retrieval."""

from rag.claims import counterparts
from rag.rewrite import is_follow_up, rule_rewrite, standalone_question
from rag.schemas import Turn
from tests.fakes import ScriptedLLM

HISTORY = [
    Turn(role="user", content="What skills does an AI engineer need?"),
    Turn(role="assistant", content="Python and APIs [1]."),
]


def test_role_swap_follow_up_rewrites_the_previous_question():
    assert rule_rewrite("and for ML engineers?", "What skills does an AI engineer need?") == (
        "What skills does an ML engineer need?"
    )


def test_what_about_follow_up_joins_the_previous_question():
    assert rule_rewrite("What about salaries?", "Which role suits a mathematician?") == (
        "Which role suits a mathematician salaries?"
    )


def test_the_other_one_is_the_role_the_titles_compare_the_earlier_one_with():
    titles = ["AI Engineer vs ML Engineer: A Guide", "Machine Learning vs AI Engineering"]
    compared = counterparts(titles)
    assert compared == {"ai engineer": "ml engineer", "ml engineer": "ai engineer"}
    previous = "What does Egor say ML engineers earn?"
    assert rule_rewrite("and the other role?", previous, compared) == (
        "What does Egor say ai engineers earn?"
    )
    assert rule_rewrite("what about the other one?", "what does an ML engineer do", compared) == (
        "what does an ai engineer do"
    )
    # Without the titles' pairing the questions are only joined.
    assert "the other role" in rule_rewrite("and the other role?", previous)


def test_counterparts_come_from_the_titles_whatever_the_roles():
    titles = ["Data Scientist vs ML Engineer", "Data Scientist or Data Analyst?", "Data Scientist"]
    compared = counterparts(titles)
    assert rule_rewrite("and the other one?", "What does an ML engineer do?", compared) == (
        "What does an data scientist do?"
    )
    # A data scientist is named beside an ML engineer and a data analyst once each: a tie,
    # broken alphabetically.
    assert rule_rewrite("and the other one?", "What does a data scientist do?", compared) == (
        "What does a data analyst do?"
    )


def test_standalone_questions_are_left_alone():
    question = "Which cloud platform is mentioned for deploying machine learning models?"
    assert not is_follow_up(question)
    assert standalone_question(question, HISTORY) == question


def test_no_history_means_no_rewrite():
    assert standalone_question("And for ML engineers?", []) == "And for ML engineers?"


def test_a_stronger_llm_rewrites_when_its_output_keeps_the_follow_up_terms():
    llm = ScriptedLLM("What salaries do ML engineers earn?")
    llm.name = "openai:test"
    assert standalone_question("What about salaries?", HISTORY, llm) == (
        "What salaries do ML engineers earn?"
    )


def test_an_llm_rewrite_that_loses_the_question_falls_back_to_the_rule():
    llm = ScriptedLLM("Tell me a joke")
    llm.name = "openai:test"
    assert standalone_question("And for ML engineers?", HISTORY, llm) == (
        "What skills does an ML engineer need?"
    )


def test_the_tiny_local_model_is_not_used_for_rewriting():
    llm = ScriptedLLM("Something else entirely?")
    llm.name = "local:smollm2-135m"
    assert standalone_question("And for ML engineers?", HISTORY, llm) == (
        "What skills does an ML engineer need?"
    )
    assert llm.prompts == []


def test_a_role_the_code_never_heard_of_is_swapped_too():
    previous = "What does an ML engineer earn in the UK?"
    assert rule_rewrite("and for data scientists?", previous) == (
        "What does an data scientist earn in the UK?"
    )
    assert rule_rewrite("what about machine learning engineers?", "Do data analysts code?") == (
        "Do machine learning engineers code?"
    )


def test_a_pronoun_question_naming_any_role_is_standalone():
    assert not is_follow_up("Do data scientists use it?")
    assert is_follow_up("Do they really use it much in practice?")


def test_he_or_she_stands_for_the_one_person_the_previous_question_names():
    assert rule_rewrite("What does he recommend?", "Who is Egor Howell?") == (
        "What does Egor Howell recommend?"
    )
    assert rule_rewrite("And what is his advice?", "What does Egor say about pay?") == (
        "And what is Egor's advice?"
    )
    # No name, or two: which one "he" is cannot be told, so the questions are joined as before.
    assert rule_rewrite("What does he recommend?", "What does the newsletter say?") == (
        "What does the newsletter say What does he recommend?"
    )
    # A sentence's first word is no name.
    assert rule_rewrite("What does he recommend?", "Okay. Does Egor Howell agree?") == (
        "What does Egor Howell recommend?"
    )
    assert "he earn" in rule_rewrite("What does he earn?", "Is Sam at Google paid well?")


def _turns(*questions: str) -> list[Turn]:
    return [
        t
        for q in questions
        for t in (Turn(role="user", content=q), Turn(role="assistant", content="..."))
    ]


def test_a_follow_up_of_a_follow_up_reads_against_the_earlier_one_made_standalone():
    history = _turns("What do AI engineers earn?", "and for ML engineers?")
    # Before: "and for ML engineers why?", which names no subject at all.
    assert standalone_question("why?", history) == "What do ML engineers earn why?"


def test_he_with_no_name_of_its_own_stands_for_the_person_the_last_question_names():
    history = _turns("Why does Egor Howell think job titles are confusing?")
    question = "he also said something about companies slapping 'AI' on job ads?"
    assert not is_follow_up(question)  # too many words of its own for the other rules
    assert standalone_question(question, history) == (
        "Egor Howell also said something about companies slapping 'AI' on job ads?"
    )


def test_the_person_is_found_through_a_chain_of_follow_ups():
    history = _turns("What salaries does Egor Howell quote?", "and for AI engineers?")
    assert standalone_question("what does he recommend?", history) == (
        "what does Egor Howell recommend?"
    )


def test_a_pronoun_left_after_the_person_keeps_the_earlier_topic():
    """ "it" and "that" still point at what the earlier question asked about, so the two are
    joined once the person is named."""
    history = _turns("what salaries does Egor Howell's newsletter give for ML vs AI engineers?")
    assert standalone_question("does he think it'll stay like that?", history) == (
        "what salaries does Egor Howell's newsletter give for ML vs AI engineers "
        "does Egor Howell think it'll stay like that?"
    )


def test_a_person_pronoun_with_nobody_named_before_is_left_alone():
    history = _turns("What is the best language to learn?")
    question = "Is Python something he would use for production systems?"
    assert standalone_question(question, history) == question


def test_a_contracted_pronoun_makes_a_short_message_a_follow_up():
    """ "they'd" is "they" plus "would": no topical word of its own."""
    assert is_follow_up("any examples of stuff they'd build?")
