"""The attribution checks behind sentence support: what word overlap cannot see."""

from __future__ import annotations

from evals.attribution import (
    anchors,
    claim_problems,
    has_negation,
    initialisms,
    is_quoted,
    quoted_flags,
    roles,
)

QUOTE = (
    "According to Levels.fyi, the average salary for a machine learning engineer is £105k (UK) "
    "and for an AI engineer is £75k (UK)."
)


def test_roles_are_read_from_the_text_not_a_fixed_pair() -> None:
    assert roles("AI Engineers and machine learning engineers") == {
        "ai engineer",
        "machine learning engineer",
    }
    # One role however it is spelled, when the texts compared write both spellings.
    short = initialisms("ML engineers", "machine learning engineers")
    assert short == {"machine learning": "ml"}
    assert roles("machine learning engineers", short) == roles("ML engineers", short)
    assert initialisms("AI Platform Engineers") == {}  # an initialism is not spelled by itself
    assert roles("a data scientist or a software engineer") == {
        "data science",
        "software engineer",
    }
    assert roles("an engineer") == set()


def test_a_faithful_sentence_has_no_problem() -> None:
    assert claim_problems(QUOTE, QUOTE) == []
    reordered = "AI engineers average £75k in the UK, while machine learning engineers get £105k."
    assert claim_problems(reordered, QUOTE) == []


def test_a_number_moved_to_the_other_role_is_caught() -> None:
    swapped = "The average salary for an AI engineer is £105k and for an ML engineer £75k."
    assert any("another role" in p for p in claim_problems(swapped, QUOTE))


def test_a_role_the_quote_does_not_talk_about_is_caught() -> None:
    problems = claim_problems(
        "AI engineers need strong statistics.", "ML engineers need strong statistics."
    )
    assert any("role" in p for p in problems)


def test_negation_in_either_direction_is_caught() -> None:
    assert has_negation("You don't need a PhD") and not has_negation("You need a PhD")
    assert "negation differs" in claim_problems("Maths is not important.", "Maths is important.")
    assert "negation differs" in claim_problems("Maths is important.", "Maths is not important.")


def test_a_flipped_comparative_is_caught() -> None:
    problems = claim_problems(
        "ML engineers earn less than AI engineers.", "ML engineers earn more than AI engineers."
    )
    assert any("comparative" in p for p in problems)
    flipped_sides = claim_problems(
        "AI engineers earn more than ML engineers.", "ML engineers earn more than AI engineers."
    )
    assert any("another role" in p for p in flipped_sides)


def test_a_number_the_quote_lacks_is_caught() -> None:
    assert any("number" in p for p in claim_problems("It pays £130k.", QUOTE))


def test_anchors_attach_words_to_the_nearest_role_before_them() -> None:
    got = anchors("ML engineers train models while AI engineers build apps")
    assert got["train"] == {"ml engineer"} and got["build"] == {"ai engineer"}


def test_quoted_sentences_are_recognised_with_their_markers() -> None:
    assert is_quoted("“Python is key.” [2]")
    assert is_quoted('"Python is key." [1][2]')
    assert not is_quoted("Python is key [1].")


def test_every_piece_of_a_multi_sentence_quote_counts_as_quoted() -> None:
    parts = ["They use PyTorch [1].", "“Lead in: item one.", "Item two.” [2]", "Own words [3]."]
    assert quoted_flags(parts) == [False, True, True, False]
