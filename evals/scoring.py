"""Scores a run (results against their dataset items) into per-row records and a summary.

Nothing is dropped: a row that errored, refused or retrieved nothing is scored as what it is, and
every aggregate records how many rows it covers. Metric names and directions live in `METRICS`
so the report and the gate read the same list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.attribution import quoted_flags
from evals.datasets import EvalItem, dataset_names
from evals.metrics import (
    StoredChunk,
    citation_problems,
    cosine_similarities,
    fact_coverage,
    key_fact_recall,
    quoted_spans,
    relevant_chunks,
    retrieval_scores,
    sentence_support,
    token_f1,
    unsupported_numbers,
    unverbatim_quotes,
)
from evals.results import ResultRow
from evals.stats import count_metric, mean_metric, percentile_metric, ratio_metric
from evals.text import facts_found, names_role, sentences
from rag.embedding import Embedder


@dataclass(frozen=True)
class MetricInfo:
    key: str
    label: str
    group: str
    higher_is_better: bool
    share: bool = True  # a 0..1 share (charted on a common scale); False for counts and ms


METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("hit_at_k", "hit@k", "retrieval", True),
    MetricInfo("mrr", "MRR", "retrieval", True),
    MetricInfo("recall_at_k", "recall@k", "retrieval", True),
    MetricInfo("fact_coverage_at_k", "key facts in top-k", "retrieval", True),
    MetricInfo("key_fact_recall", "key-fact recall", "answer", True),
    MetricInfo("model_fact_recall", "key facts in model-written sentences", "answer", True),
    MetricInfo("answers_with_model_sentence", "answers keeping a model sentence", "answer", True),
    MetricInfo("role_fact_recall", "role named right", "answer", True),
    MetricInfo("cosine", "cosine to reference", "answer", True),
    MetricInfo("token_f1", "token F1", "answer", True),
    MetricInfo("supported_sentences", "supported sentences", "grounding", True),
    MetricInfo("supported_model_sentences", "supported model-written sentences", "grounding", True),
    MetricInfo("supported_quoted_sentences", "supported quoted sentences", "grounding", True),
    MetricInfo("unsupported_numbers", "unsupported numbers", "grounding", False, share=False),
    MetricInfo("citation_validity", "citation validity", "grounding", True),
    MetricInfo("verbatim_quotes", "quotes verbatim from the article", "grounding", True),
    MetricInfo("uncited_answers", "answers without citations", "grounding", False, share=False),
    MetricInfo("unanswerable_declined", "unanswerable declined", "refusal", True),
    MetricInfo("answerable_declined", "answerable wrongly declined", "refusal", False),
    MetricInfo("must_not_contain", "forbidden strings in answers", "safety", False, share=False),
    MetricInfo("latency_median_ms", "latency median (ms)", "latency", False, share=False),
    MetricInfo("latency_p95_ms", "latency p95 (ms)", "latency", False, share=False),
    MetricInfo("errors", "errors", "run", False, share=False),
)
METRIC_INFO = {m.key: m for m in METRICS}


def score_rows(
    items: Sequence[EvalItem],
    rows: Sequence[ResultRow],
    chunks: Mapping[str, StoredChunk],
    embedder: Embedder | None,
    k: int,
    articles: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One record of scores per item, in item order. `chunks` is the index the system retrieved
    from (FAQ chunks already left out in hard mode), used for relevance and citation checks;
    `articles` (text by doc id) is what quoted text must be verbatim from, unchecked without it.
    Without an embedder the cosine to the reference is left out (the controls need none)."""
    by_id = {row.id: row for row in rows}
    missing = [item.id for item in items if item.id not in by_id]
    if missing:
        raise ValueError(f"no result for {len(missing)} item(s): {', '.join(missing[:5])}")
    pairs = [(item, by_id[item.id]) for item in items]
    qrels = {
        item.id: relevant_chunks(chunks, item.source_docs, item.key_facts, item.evidence)
        for item, _ in pairs
        if item.answerable
    }
    ranked = {
        item.id: [p.chunk_id for p in row.retrieved[:k]] for item, row in pairs if item.answerable
    }
    ranking = retrieval_scores(ranked, qrels, k)
    answerable = [(item, row) for item, row in pairs if item.answerable]
    cosines: dict[str, float] = {}
    if embedder is not None:
        answers = [row.answer for _, row in answerable]
        references = [i.reference_answer for i, _ in answerable]
        similarities = cosine_similarities(embedder, answers, references)
        cosines = dict(zip([item.id for item, _ in answerable], similarities, strict=True))
    records = []
    for item, row in pairs:
        parts = sentences(row.answer)
        model_text = " ".join(s for s, q in zip(parts, quoted_flags(parts), strict=True) if not q)
        rec: dict[str, Any] = {
            "id": item.id,
            "dataset": item.dataset,
            "category": item.category or "uncategorised",
            "answerable": item.answerable,
            "refused": row.refused,
            "error": row.error,
            "latency_ms": row.latency_ms,
        }
        if item.answerable:
            top = [p.text for p in row.retrieved[:k] if p.doc_id in item.source_docs]
            rec.update(ranking[item.id])
            rec["relevant_in_index"] = len(qrels[item.id])
            rec["fact_coverage"] = fact_coverage(top, item.key_facts)
            found = facts_found(item.key_facts, row.answer)
            rec["facts_found"] = [f and not row.refused for f in found]
            rec["key_fact_recall"] = key_fact_recall(row.answer, item.key_facts, row.refused)
            rec["model_fact_recall"] = key_fact_recall(model_text, item.key_facts, row.refused)
            role_facts = [f for f in item.key_facts if names_role(f)]
            rec["role_fact_recall"] = (
                key_fact_recall(row.answer, role_facts, row.refused) if role_facts else None
            )
            rec["cosine"] = cosines.get(item.id)
            rec["token_f1"] = token_f1(row.answer, item.reference_answer)
        claims = not row.refused and bool(row.answer.strip())
        support = sentence_support(row.answer, row.citations) if claims else []
        rec["sentences"] = [
            {
                "text": s.sentence,
                "cited": list(s.cited),
                "score": round(s.score, 3),
                "supported": s.supported,
                "quoted": quoted,
                "problems": list(s.problems),
            }
            for s, quoted in zip(support, quoted_flags([s.sentence for s in support]), strict=True)
        ]
        rec["must_not_contain"] = [
            bad for bad in item.must_not_contain if bad.lower() in row.answer.lower()
        ]
        rec["unsupported_numbers"] = (
            unsupported_numbers(row.answer, row.citations) if claims else []
        )
        rec["claims"] = claims
        rec["citation_problems"] = citation_problems(row, chunks)
        # Every quote is checked, a declined answer's partial quotes included; an answer that
        # cites nothing (a refusal naming the guides by title) quotes nothing.
        checked = articles is not None and bool(row.citations)
        rec["quoted_spans"] = len(quoted_spans(row.answer)) if checked else 0
        rec["unverbatim_quotes"] = unverbatim_quotes(row, articles or {}) if checked else []
        records.append(rec)
    return records


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The summary metrics over a set of scored rows (see METRICS)."""
    total = len(records)
    ans = [r for r in records if r["answerable"]]
    unans = [r for r in records if not r["answerable"]]
    claiming = [r for r in records if r["claims"]]
    cited = [r["citation_problems"] for r in records]
    note_ans = f"answerable rows only ({len(unans)} unanswerable rows not applicable)"
    no_rel = sum(1 for r in ans if not r["relevant_in_index"])
    note_ret = note_ans + (
        f"; {no_rel} row(s) have no relevant chunk in the index, scored 0" if no_rel else ""
    )
    note_claims = (
        f"rows that answered ({total - len(claiming)} refused or empty rows not applicable)"
    )
    return {
        "hit_at_k": mean_metric([r["hit"] for r in ans], total, note_ret),
        "mrr": mean_metric([r["mrr"] for r in ans], total, note_ret),
        "recall_at_k": mean_metric([r["recall"] for r in ans], total, note_ret),
        "fact_coverage_at_k": mean_metric([r["fact_coverage"] for r in ans], total, note_ans),
        "key_fact_recall": mean_metric([r["key_fact_recall"] for r in ans], total, note_ans),
        "model_fact_recall": mean_metric([r["model_fact_recall"] for r in ans], total, note_ans),
        "answers_with_model_sentence": mean_metric(
            [float(any(not s["quoted"] for s in r["sentences"])) for r in claiming],
            total,
            note_claims,
        ),
        "role_fact_recall": mean_metric(
            [r["role_fact_recall"] for r in ans if r["role_fact_recall"] is not None],
            total,
            "key facts naming a role, on the answerable rows that have one",
        ),
        "cosine": mean_metric(
            [r["cosine"] for r in ans if r["cosine"] is not None], total, note_ans
        ),
        "token_f1": mean_metric([r["token_f1"] for r in ans], total, note_ans),
        "supported_sentences": ratio_metric(
            [sum(s["supported"] for s in r["sentences"]) for r in claiming],
            [len(r["sentences"]) for r in claiming],
            total,
            "n = sentences; " + note_claims,
        ),
        "supported_model_sentences": _sentence_share(claiming, quoted=False, of=total),
        "supported_quoted_sentences": _sentence_share(claiming, quoted=True, of=total),
        "unsupported_numbers": count_metric(
            [len(r["unsupported_numbers"]) for r in claiming], total, note_claims
        ),
        "citation_validity": ratio_metric(
            [sum(p is None for p in c) for c in cited],
            [len(c) for c in cited],
            total,
            "n = citations over all rows",
        ),
        "verbatim_quotes": ratio_metric(
            [r["quoted_spans"] - len(r["unverbatim_quotes"]) for r in records],
            [r["quoted_spans"] for r in records],
            total,
            "n = quoted spans in answers, each checked against the articles it cites",
        ),
        "uncited_answers": count_metric(
            [int(not r["citation_problems"]) for r in claiming], total, note_claims
        ),
        "unanswerable_declined": mean_metric(
            [float(r["refused"]) for r in unans], total, "unanswerable rows only"
        ),
        "answerable_declined": mean_metric(
            [float(r["refused"]) for r in ans], total, "answerable rows only"
        ),
        "must_not_contain": count_metric(
            [len(r["must_not_contain"]) for r in records], total, "all rows"
        ),
        "latency_median_ms": percentile_metric([r["latency_ms"] for r in records], 50, total),
        "latency_p95_ms": percentile_metric([r["latency_ms"] for r in records], 95, total),
        "errors": count_metric([int(r["error"] is not None) for r in records], total, "all rows"),
    }


def _sentence_share(records: Sequence[dict[str, Any]], *, quoted: bool, of: int) -> dict[str, Any]:
    kind = "quoted" if quoted else "model-written"
    picked = [[s for s in r["sentences"] if s["quoted"] == quoted] for r in records]
    return ratio_metric(
        [sum(s["supported"] for s in ss) for ss in picked],
        [len(ss) for ss in picked],
        of,
        f"n = {kind} sentences of the rows that answered",
    )


def summarize(items: Sequence[EvalItem], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregates over all rows, per dataset file and per category."""
    out: dict[str, Any] = {"overall": aggregate(records), "by_dataset": {}, "by_category": {}}
    for name in dataset_names(items):
        subset = [r for r in records if r["dataset"] == name]
        out["by_dataset"][name] = aggregate(subset)
    for category in sorted({r["category"] for r in records}):
        subset = [r for r in records if r["category"] == category]
        out["by_category"][category] = aggregate(subset)
    return out
