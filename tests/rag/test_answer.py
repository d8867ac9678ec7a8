"""Answer composition: quotes, citation numbers, and table cells quoted as the article has them."""

import numpy as np

from rag.answer import compose
from rag.evidence import Evidence, select_evidence
from rag.generation import Chunk
from rag.verify import Supported


def evidence(text: str, kind: str = "section", chunk_text: str | None = None) -> Evidence:
    chunk = Chunk(
        chunk_id=f"doc:{kind}",
        doc_id="doc",
        title="Guide",
        section="S",
        kind=kind,
        text=chunk_text or text,
        position=0,
        content_hash="",
        ingested_at="",
        publisher=None,
    )
    return Evidence(text=text, chunk=chunk, vector=np.zeros(3), similarity=0.5, score=0.5)


def test_prose_evidence_is_quoted_whole_and_cited_verbatim():
    answer, citations = compose([], [evidence("ML engineers train models.")])
    assert answer == "“ML engineers train models.” [1]"
    assert citations[0].quote == "ML engineers train models."


def test_a_table_line_keeps_its_labels_outside_the_quotation_marks():
    line = "Math Requirement (ML Engineer): “Heavy: Linear algebra, calculus, and probability.”"
    answer, citations = compose([], [evidence(line, kind="table")])
    assert answer == f"{line} [1]"  # no second pair of quotation marks around the labels
    assert citations[0].quote == line


def test_a_model_sentence_resting_on_a_table_cell_cites_its_line():
    line = "Key Output (AI Engineer): “A functional AI feature.”"
    ev = evidence(line, kind="table")
    answer, citations = compose(
        [Supported("AI engineers ship a functional AI feature", ev, False)], [ev]
    )
    assert answer == "AI engineers ship a functional AI feature. [1]"
    assert [c.quote for c in citations] == [line]


def test_a_pronoun_sentence_without_its_antecedent_in_the_chunk_is_not_evidence():
    """ "This phase..." opening its chunk would point at whatever precedes it in the answer."""
    text = "This phase needs Kubernetes. ML engineers deploy models. They monitor drift."
    sentences = [
        "This phase needs Kubernetes.",
        "ML engineers deploy models.",
        "They monitor drift.",
    ]
    chosen = select_evidence([evidence(s, chunk_text=text) for s in sentences], limit=3)
    assert [ev.text for ev in chosen] == sentences[1:]


def test_a_sentence_is_not_quoted_again_as_the_antecedent_of_another():
    text = "The ML Engineer is the specialist. They live in the math. Pay is high."
    first, second, third = (
        evidence(s, chunk_text=text)
        for s in ["The ML Engineer is the specialist.", "They live in the math.", "Pay is high."]
    )
    answer, citations = compose([], [first, second, third])
    assert answer.count("The ML Engineer is the specialist.") == 1
    assert answer == (
        "“The ML Engineer is the specialist. They live in the math.” [1] “Pay is high.” [2]"
    )
    assert [c.quote for c in citations] == [
        "The ML Engineer is the specialist. They live in the math.",
        "Pay is high.",
    ]
    answer, _ = compose([], [second, first, third])  # the antecedent comes second
    assert answer.count("The ML Engineer is the specialist.") == 1


def test_a_pronoun_sentence_whose_antecedent_is_too_far_back_is_not_evidence():
    """Quoted with the three sentences before it, it would still open with "They"."""
    sentences = [
        "AI engineers build products.",
        "They design systems.",
        "They integrate models.",
        "They build pipelines.",
        "They develop agents.",
    ]
    text = " ".join(sentences)
    chosen = select_evidence([evidence(s, chunk_text=text) for s in sentences], 5, per_chunk=5)
    assert [ev.text for ev in chosen] == sentences[:4]
