"""Sentence splitting and the facts verification checks (numbers, names)."""

import pytest

from rag.text import (
    content_terms,
    defined_acronyms,
    expand_acronyms,
    numbers,
    proper_names,
    quotes_own_cell,
    split_sentences,
    stem,
)


def test_split_sentences_breaks_on_full_stops_and_lines_but_not_abbreviations():
    text = "First one, e.g. with an abbreviation. Second one!\nA heading\nThird? Yes."
    assert split_sentences(text) == [
        "First one, e.g. with an abbreviation.",
        "Second one!",
        "A heading",
        "Third?",
        "Yes.",
    ]


def test_numbers_normalises_amounts_years_and_percentages():
    assert numbers("£105k in 2026, up 3.5% from $1,200") == {"£105k", "2026", "3.5%", "$1200"}


def test_proper_names_skip_sentence_starts_only():
    names = proper_names("Python matters. Engineers use Docker and Google Cloud as AI Engineers.")
    # No fixed list of the guides' own words: "Engineers" mid-sentence is a name like any other
    # (callers find it in the corpus's vocabulary or the evidence); "AI" is too short to count.
    assert names == {"docker", "google", "cloud", "engineers"}


def test_a_word_opening_a_quotation_or_bracket_is_capitalised_as_a_start_not_a_name():
    text = "End with 'Confirmed: it pays' and [Claim your prize](x) for Germany: Berlin"
    assert proper_names(text) == {"germany"}


def test_stem_matches_plurals_and_verb_forms():
    assert stem("languages") == stem("language")
    assert stem("programming") == stem("program")
    assert stem("salaries") == stem("salary")
    assert stem("pays") == stem("pay")


def test_content_terms_drop_stopwords():
    assert content_terms("What is the salary of the engineers?") == {"salary", "engineer"}


def test_a_stopwords_contractions_are_stopwords_too():
    assert content_terms("any examples they'd build? you're sure it isn't, we've seen") == {
        "exampl",
        "build",
        "sure",
        "seen",
    }


def test_a_sentence_end_inside_a_quotation_does_not_split_the_line():
    line = "Pay (AI Engineer): “High. Rising fast.”"
    assert split_sentences(f"Before it. {line}\nOther") == ["Before it.", line, "Other"]


@pytest.mark.parametrize(
    ("line", "own"),
    [
        ("Core Philosophy (AI Engineer): “Applied Intelligence: models for business.”", True),
        ("“A functional AI feature or product.”", True),
        ("Engineers now call this kind of work “vibe coding”", False),
        ("They do not “build” these models, but rather use them.", False),
    ],
)
def test_only_a_table_cell_line_counts_as_quoting_itself(line, own):
    assert quotes_own_cell(line) is own


def test_defined_acronyms_are_read_from_long_form_then_bracket():
    text = (
        "Large Language Models (LLMs), Retrieval-Augmented Generation (RAG) and convolutional "
        "neural networks (CNNs) matter. The average is £75k (UK). Tools (AWS) vary."
    )
    assert defined_acronyms(text) == {
        "llm": "Large Language Models",
        "rag": "Retrieval-Augmented Generation",
        "cnn": "convolutional neural networks",
    }


def test_expand_acronyms_spells_out_the_first_use_of_each_defined_one_only():
    long_forms = {"rag": "Retrieval-Augmented Generation", "llm": "Large Language Models"}
    assert (
        expand_acronyms("What is RAG, and do LLMs use RAG? And AWS?", long_forms)
        == "What is Retrieval-Augmented Generation (RAG), and do Large Language Models (LLMs) "
        "use RAG? And AWS?"
    )
    already = "Is retrieval-augmented generation (RAG) hard?"
    assert expand_acronyms(already, long_forms) == already
