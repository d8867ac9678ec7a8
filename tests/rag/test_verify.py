"""Verification keeps supported sentences, drops invented facts, and cites only evidence."""

from __future__ import annotations

from rag.answer import compose
from rag.claims import abbreviations, meaning_changes
from rag.evidence import Evidence
from rag.retrieve import Chunk
from rag.verify import unsupported_facts, verify
from tests.fakes import FakeEmbedder

EMBEDDER = FakeEmbedder()
SALARY = (
    "According to Levels.fyi, the average salary for a machine learning engineer is £105k (UK) "
    "and for an AI engineer is £75k (UK)."
)
BACKGROUND = "AI Engineers are often from a software engineering background."


def evidence(text: str, chunk_id: str = "doc:1") -> Evidence:
    chunk = Chunk(chunk_id, "doc", "Title", "Section", "section", text, 0, "h", "t", None)
    vector = EMBEDDER.embed([text])[0]
    return Evidence(text, chunk, vector, 0.9, 0.9)


POOL = [evidence(SALARY, "doc:salary"), evidence(BACKGROUND, "doc:background")]


def test_a_faithful_paraphrase_is_kept_and_cited_to_its_evidence():
    result = verify(
        "AI engineers are often from a software engineering background.", POOL, EMBEDDER
    )
    assert [k.evidence.chunk.chunk_id for k in result.kept] == ["doc:background"]
    assert not result.kept[0].quoted


def test_a_planted_invented_number_is_dropped_or_replaced_by_the_real_quote():
    draft = (
        "According to Levels.fyi, the average salary for a machine learning engineer is £130k (UK)."
    )
    result = verify(draft, POOL, EMBEDDER)
    assert all("£130k" not in k.text for k in result.kept)
    assert any("£130k" in reason for _, reason in result.dropped)
    # When kept at all, what remains is the verbatim evidence with the true figure.
    assert all(k.quoted and k.text == SALARY for k in result.kept)


def test_a_sentence_about_an_unrelated_topic_is_dropped():
    result = verify("The capital of Australia is Canberra, a planned city.", POOL, EMBEDDER)
    assert result.kept == []
    assert result.dropped and "supports" in result.dropped[0][1]


def test_model_citation_markers_are_ignored_and_replaced_by_alignment():
    draft = "AI engineers are often from a software engineering background [1][2]."
    result = verify(draft, POOL, EMBEDDER)
    assert result.kept[0].evidence is POOL[1]
    assert "[" not in result.kept[0].text


def test_repeated_sentences_are_kept_once():
    sentence = "AI engineers are often from a software engineering background."
    result = verify(f"{sentence} {sentence}", POOL, EMBEDDER)
    assert len(result.kept) == 1


def test_unsupported_facts_lists_missing_numbers_and_names():
    missing = unsupported_facts("ML engineers in Germany earn £90k.", SALARY)
    assert set(missing) == {"£90k", "germany"}
    assert unsupported_facts("The average ML salary is £105k.", SALARY) == []


def test_role_swap_is_detected():
    assert meaning_changes("ML engineers are often from a software background.", BACKGROUND)
    assert not meaning_changes("AI engineers come from software.", BACKGROUND)


SALARY_BOTH = (
    "According to Levels.fyi, the average salary for a machine learning engineer is £105k (UK) "
    "and for an AI engineer is £75k (UK)."
)


def test_a_figure_moved_to_the_other_role_is_detected():
    assert meaning_changes("The average salary for an AI engineer is £105k.", SALARY_BOTH)
    assert not meaning_changes("The average salary for an AI engineer is £75k.", SALARY_BOTH)
    assert not meaning_changes(
        "AI engineers average £75k while machine learning engineers average £105k.", SALARY_BOTH
    )


def test_negation_degree_and_quantifier_changes_are_detected():
    evidence = "Mathematics is more important for ML engineers."
    assert meaning_changes("Mathematics is not more important for ML engineers.", evidence)
    assert meaning_changes("Mathematics is less important for ML engineers.", evidence)
    assert meaning_changes("Mathematics is always important for ML engineers.", evidence)
    assert not meaning_changes("For ML engineers, mathematics is more important.", evidence)


def test_entities_come_from_the_text_not_a_fixed_pair():
    evidence = "Data scientists analyse data while software engineers build products."
    assert meaning_changes("Data scientists build products.", evidence)
    assert not meaning_changes("Software engineers build products.", evidence)


def test_a_role_spelled_out_is_the_role_its_initials_name_in_the_texts_compared():
    spelled = abbreviations("QA engineers", "quality assurance engineers")
    assert spelled == {"quality assurance": "qa"}
    assert abbreviations("AI Platform Engineers") == {}  # "AI" does not spell itself out
    evidence = "QA engineers earn £50k, and data engineers earn £60k."
    assert not meaning_changes("Quality assurance engineers earn £50k.", evidence)
    assert meaning_changes("Quality assurance engineers earn £60k.", evidence)
    # Without the initials in either text, the two words stay a name of their own.
    assert meaning_changes("Quality assurance engineers earn £50k.", "Data engineers earn £50k.")


def test_a_word_the_evidence_lacks_sends_the_sentence_back_to_its_quote():
    """One unchecked word ("junior") is enough: the model's sentence is not shown, its quote is."""
    draft = (
        "According to Levels.fyi, the average salary for a junior machine learning engineer is "
        "£105k (UK) and for an AI engineer is £75k (UK)."
    )
    result = verify(draft, POOL, EMBEDDER)
    assert all("junior" not in k.text for k in result.kept)
    assert any("junior" in reason for _, reason in result.dropped)


def test_naming_a_role_the_evidence_sentence_does_not_name_is_refused():
    """ "They do not build models" cannot tell who "they" are, so it cannot support a role."""
    assert meaning_changes(
        "ML engineers do not build these models.", "They do not build these models."
    )
    assert not meaning_changes("They do not build these models.", "They do not build these models.")


def test_an_everyday_corpus_word_in_place_of_the_evidence_word_is_refused():
    """Every word counts, the corpus's everyday ones too: "agents" for "Engineers" reuses a word
    found all over the guides but changes who is meant."""
    duty = "AI Engineers are responsible for designing the logic of an application."
    pool = [evidence(duty, "doc:duty")]
    result = verify(
        "AI agents are responsible for designing the logic of an application.", pool, EMBEDDER
    )
    assert not any(not k.quoted for k in result.kept)
    assert any("agent" in reason for _, reason in result.dropped)


def test_an_acronym_stands_for_its_spelled_out_words_and_back():
    pool = [evidence("Machine learning engineers tune hyperparameters every week.", "doc:ml")]
    result = verify("ML engineers tune hyperparameters every week.", pool, EMBEDDER)
    assert [k.quoted for k in result.kept] == [False]


def test_a_leading_pronoun_for_a_role_is_refused_and_quoted_with_its_antecedent():
    """ "They collaborate..." read after another role's sentence would change who "they" are."""
    text = (
        "ML Engineers build the data pipelines. "
        "They collaborate closely with data scientists on features."
    )
    chunk = Chunk("doc:team", "doc", "Title", "Section", "section", text, 0, "h", "t", None)
    sentence = "They collaborate closely with data scientists on features."
    ev = Evidence(sentence, chunk, EMBEDDER.embed([sentence])[0], 0.9, 0.9)
    result = verify(sentence, [ev], EMBEDDER)
    assert [k.quoted for k in result.kept] == [True]
    answer, citations = compose(result.kept, [ev])
    assert answer.startswith("“ML Engineers build the data pipelines. They collaborate")
    assert citations[0].quote in text


def test_an_antecedent_reaches_back_past_pronoun_sentences_and_outside_the_chunk_is_unchecked():
    text = "Companies want assistants. They want agents too. They ask AI engineers to build them."
    chunk = Chunk("doc:want", "doc", "Title", "Section", "section", text, 0, "h", "t", None)
    last = "They ask AI engineers to build them."
    ev = Evidence(last, chunk, EMBEDDER.embed([last])[0], 0.9, 0.9)
    answer, _ = compose([], [ev])
    assert answer.startswith("“Companies want assistants. They want agents too. They ask")
    opening_text = "They want assistants for every team. Companies pay for them."
    opening_chunk = Chunk(
        "doc:o", "doc", "Title", "Section", "section", opening_text, 0, "h", "t", None
    )
    first = "They want assistants for every team."
    opening = Evidence(first, opening_chunk, EMBEDDER.embed([first])[0], 0.9, 0.9)
    result = verify(first, [opening], EMBEDDER)  # word for word, yet "they" has no antecedent
    assert [k.quoted for k in result.kept] == [True]
    assert any("pronoun" in reason for _, reason in result.dropped)


def test_a_name_counts_in_another_number_or_spelling_out_an_acronym_but_not_abbreviating():
    evidence = "The machine learning engineer designs models."
    assert unsupported_facts("Machine Learning Engineers design models.", evidence) == []
    assert unsupported_facts("Each ML Engineer designs models.", evidence) == []
    abbreviated = "Most AI engineers build apps."
    assert (
        unsupported_facts("Most Artificial Intelligence engineers build apps.", abbreviated) == []
    )
    spelled_out = "They use application programming interfaces."
    assert sorted(unsupported_facts("They use LLMs and API calls.", spelled_out)) == ["api", "llms"]
    missing = unsupported_facts("Most Data Scientists design models.", evidence)
    assert sorted(missing) == ["data", "scientists"]
