"""Optional LLM judge: an OpenAI-compatible model grades each answer against its reference.

Never required and never gated on. It runs RUNS times per answer (temperature above zero, so the
spread shows how stable its verdicts are) and counts replies it could not parse instead of
guessing a score. When no server is configured (`CAREER_RAG_LLM_URL`), it is skipped with a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evals.datasets import EvalItem
from evals.results import ResultRow
from rag.config import Settings

RUNS = 3
TEMPERATURE = 0.7
NOT_CONFIGURED = "no OpenAI-compatible server configured (set CAREER_RAG_LLM_URL)"

PROMPT = """You grade answers about AI engineer and ML engineer careers.
Question: {question}
Reference answer: {reference}
Answer to grade: {answer}

Score the answer from 1 to 5: 5 = correct and consistent with the reference, 3 = partly correct,
1 = wrong, unrelated or empty. If the reference says the guides do not answer the question, an
answer that declines scores 5 and an answer that makes something up scores 1.
Reply with JSON only, like {{"score": 4}}."""

_SCORE = re.compile(r'"score"\s*:\s*"?([1-5])\b')


def parse_score(reply: str) -> int | None:
    """The 1-5 score in the judge's reply, or None when there is no unambiguous one."""
    match = _SCORE.search(reply)
    if match:
        return int(match.group(1))
    bare = re.fullmatch(r"\s*([1-5])\s*", reply)
    return int(bare.group(1)) if bare else None


class Judge:
    """Grades rows with `complete(prompt) -> reply`, RUNS times each."""

    def __init__(self, complete: Callable[[str], str], runs: int = RUNS) -> None:
        self._complete = complete
        self.runs = runs

    @classmethod
    def from_settings(cls, settings: Settings) -> Judge | None:
        """A judge on the configured server, or None when there is none."""
        if not settings.llm_url:
            return None
        from openai import OpenAI

        client = OpenAI(
            base_url=settings.llm_url,
            api_key=settings.llm_api_key or "not-needed",
            timeout=settings.llm_timeout_s,
        )

        def complete(prompt: str) -> str:
            reply = client.chat.completions.create(
                model=settings.llm_model,
                messages=[{"role": "user", "content": prompt}],
                temperature=TEMPERATURE,
                max_tokens=20,
            )
            return reply.choices[0].message.content or ""

        return cls(complete)

    def __call__(self, items: Sequence[EvalItem], rows: Sequence[ResultRow]) -> dict[str, Any]:
        by_id = {r.id: r for r in rows}
        per_run: list[list[float]] = [[] for _ in range(self.runs)]
        spreads, failures, errors = [], 0, 0
        for item in items:
            row = by_id[item.id]
            prompt = PROMPT.format(
                question=item.question,
                reference=item.reference_answer,
                answer=row.answer or "(empty)",
            )
            scores = []
            for run in range(self.runs):
                try:
                    score = parse_score(self._complete(prompt))
                except Exception:  # a judge outage is reported, not fatal: the judge is optional
                    errors += 1
                    continue
                if score is None:
                    failures += 1
                    continue
                scores.append(score)
                per_run[run].append(float(score))
            if len(scores) > 1:
                spreads.append(float(max(scores) - min(scores)))
        all_scores = [s for run in per_run for s in run]
        return {
            "n": len(items),
            "runs": self.runs,
            "scored": len(all_scores),
            "mean": float(np.mean(all_scores)) if all_scores else 0.0,
            "run_means": [round(float(np.mean(r)), 2) if r else None for r in per_run],
            "mean_spread": float(np.mean(spreads)) if spreads else 0.0,
            "parse_failures": failures,
            "request_errors": errors,
        }


def skipped(reason: str = NOT_CONFIGURED) -> dict[str, Any]:
    return {"skipped": reason}
