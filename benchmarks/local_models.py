"""Local model latency and memory: load time, RSS, time to first token and total generation time.

Run: `python -m benchmarks.local_models [--models smollm2-135m,qwen2.5-0.5b] [--threads 1,2]`.
Each (model, threads) pair runs in its own process through `rag.llm.local.LocalLLM`, so its RSS
is its own. Ten fixed prompts shaped like the real one (the system prompt of `rag.prompt`, three
or four facts copied from the corpus, a question) are answered with max_tokens=120 after one
warm-up; then each prompt is asked the coverage check (`rag.prompt.CHECK`) and answered, timing
the check and the answer's first token after it. Prints a markdown table with the load average
before and after (the figures mean little on a busy machine) and JSON with --json. GGUFs that
need assembling are assembled first, untimed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rag.prompt import prompt_messages, with_check

MAX_TOKENS = 120
MODELS = ["smollm2-135m", "gemma3-270m", "qwen2.5-0.5b", "qwen2.5-1.5b"]

# (question, facts): every fact is a sentence copied verbatim from an article in corpus/.
PROMPTS: list[tuple[str, list[str]]] = [
    (
        "What is the difference between an AI engineer and an ML engineer?",
        [
            "In a nutshell, an AI engineer is a software engineer who specializes in the "
            "implementation and integration of basic GenAI models such as Claude, GPT, BERT, "
            "and others.",
            "A machine learning engineer specializes in building machine learning models and "
            "applying them to manufacturing applications.",
            "Machine Learning Engineers primarily focus on developing models that learn patterns "
            "from data.",
        ],
    ),
    (
        "Which salary is higher, AI engineer or machine learning engineer?",
        [
            "Pay up According to Levels.fyi, the average salary for a machine learning engineer "
            "is £105k (UK) and for an AI engineer is £75k (UK), but I think this will increase "
            "in the future.",
            "While ML Engineers often see high rewards for deep technical specialization in model "
            "architecture and optimization, AI Engineers are seeing rapid salary growth due to "
            "their ability to quickly deploy high-impact, customer-facing solutions like "
            "autonomous agents.",
            "However, AI Engineers often command higher salaries when they combine machine "
            "learning knowledge with software engineering, cloud computing, distributed systems, "
            "and enterprise AI architecture because these multidisciplinary skills are currently "
            "in strong demand.",
        ],
    ),
    (
        "Can a software engineer move into AI engineering?",
        [
            'If you understand APIs, data flow, and "Agentic" workflows, you can transition faster '
            "here than into ML Engineering, which requires deeper mathematical foundations.",
            "Conversely, individuals who possess a strong background in traditional software "
            "development, system architecture, and product design will find the AI Engineer role "
            "more aligned with their skills.",
            "Rather than creating algorithms from foundational mathematics, these professionals "
            "utilize existing machine learning models, LLMs and application programming "
            "interfaces to assemble complex software systems.",
        ],
    ),
    (
        "How much math does an ML engineer need?",
        [
            "Machine Learning Engineering generally requires deeper expertise in statistics, "
            "probability, linear algebra, optimization, and machine learning theory because these "
            "concepts directly influence model development and evaluation.",
            "For machine learning engineering, you need to know these algorithms at an advanced "
            "level, which requires strong mathematical skills in mathematics, linear algebra, and "
            "calculus.",
            "Individuals who possess a strong aptitude for advanced mathematics, statistics, and "
            "algorithm design will find the ML Engineer role highly suitable.",
        ],
    ),
    (
        "What tools does an AI engineer use in 2026?",
        [
            "In 2026, the toolset of an Artificial Intelligence Engineer heavily features prompt "
            "engineering frameworks, orchestration libraries like LangChain or LlamaIndex, and "
            "vector databases utilized for information retrieval tasks.",
            "Professional AI Engineers now focus on Prompt Chaining, Automated Evaluations "
            "(LLM-as-a-judge), and fine-tuning to ensure reliability in production environments.",
            "The required technical skills include robust software engineering fundamentals, "
            "proficiency in back-end development languages such as Python, JavaScript, or Go, and "
            "a thorough understanding of system architecture.",
            "Python remains the most important programming language for both AI Engineering and "
            "Machine Learning Engineering.",
        ],
    ),
    (
        "How do ML engineers deploy models?",
        [
            "Deploying machine learning models and model deployment are key tasks for ML "
            "Engineers, often involving integrating trained models into existing systems and "
            "utilizing cloud platforms, containerization tools like Docker and Kubernetes, and "
            "MLOps practices to deploy, scale, and monitor models in production environments.",
            "The output of their work is usually a serialized model file or a specific "
            "microservice dedicated solely to generating predictions based on input variables.",
            "Machine learning engineering is very model-oriented: you create a model from scratch "
            "using available data, test it offline, and deploy it when you're happy with its "
            "performance.",
        ],
    ),
    (
        "What background do you need for these jobs?",
        [
            "It's the background The background for both jobs is similar, usually requiring a "
            "master's in a STEM subject and a few years of experience as a software engineer or "
            "data scientist.",
            "ML Engineers typically have a deeper academic background in STEM, data science, or "
            "research.",
            "Beginners should first build a solid foundation in machine learning, mathematics, "
            "Python programming, and software engineering.",
            "Employers now prioritize a robust portfolio of live projects, industry-recognized "
            "certifications, and the ability to solve real-world problems.",
        ],
    ),
    (
        "Who do ML engineers work with?",
        [
            "They collaborate closely with Data Scientists who conduct the initial exploratory "
            "data analysis and Data Engineers who manage the data storage infrastructure.",
            "Their workflow often includes building datasets, training models, validating "
            "results, deploying inference services, and maintaining model performance throughout "
            "production.",
            "Machine Learning Engineers traditionally spend much of their time working with "
            "machine learning frameworks, statistical libraries, feature engineering pipelines, "
            "data processing systems, experiment tracking tools, and MLOps platforms.",
        ],
    ),
    (
        "Can an ML engineer become an AI engineer?",
        [
            "By expanding their knowledge of cloud infrastructure, software engineering, "
            "enterprise architecture, distributed systems, and modern AI frameworks, ML engineers "
            "can transition naturally into AI Engineering roles.",
            "For most aspiring AI professionals, the ideal career path begins with mastering "
            "machine learning fundamentals and gradually expanding into AI Engineering, "
            "cloud-native architecture, enterprise AI, distributed systems, and production "
            "deployment.",
            "Professionals who understand both disciplines are becoming exceptionally valuable "
            "because they can contribute throughout the entire lifecycle of intelligent "
            "applications, from model development to large-scale production deployment.",
        ],
    ),
    (
        "Is demand for AI engineers growing?",
        [
            "However, as AI is now becoming more popular, the demand for AI engineers is "
            "increasing.",
            "Key Takeaway Both Machine Learning Engineering and AI Engineering offer exceptional "
            "career opportunities, but hiring trends in 2026 increasingly favor professionals "
            "with broader AI engineering capabilities.",
            "However, while demand for both roles remains strong, the nature of that demand is "
            "evolving.",
            "Today, organizations increasingly recruit AI Engineers, Generative AI Engineers, "
            "Applied AI Engineers, AI Platform Engineers, AI Infrastructure Engineers, and AI "
            "Solutions Engineers.",
        ],
    ),
]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(name: str, path: Path, threads: int) -> dict[str, Any]:
    """One model at one thread count, in this process."""
    from rag.llm.local import LocalLLM

    started = time.perf_counter()
    llm = LocalLLM(name, path, threads)
    load_s = time.perf_counter() - started
    rss_load = _rss_mb()
    ttft, total, tokens = [], [], []
    replies = []
    for i, (question, facts) in enumerate([PROMPTS[-1], *PROMPTS]):
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        for piece in llm.stream(prompt_messages(question, facts), max_tokens=MAX_TOKENS):
            if first is None:
                first = time.perf_counter() - started
            pieces.append(piece)
        if i == 0:
            continue  # warm-up
        total.append(time.perf_counter() - started)
        ttft.append(first if first is not None else total[-1])
        tokens.append(len(pieces))
        replies.append("".join(pieces))
    # The coverage check as the assistant asks it: the same prompt plus one line, then the answer,
    # whose shared prefix llama.cpp has just read.
    check, ttft_after_check = [], []
    for question, facts in PROMPTS:
        prompt = prompt_messages(question, facts)
        started = time.perf_counter()
        llm.yes_probability(with_check(prompt))
        check.append(time.perf_counter() - started)
        started = time.perf_counter()
        next(iter(llm.stream(prompt, max_tokens=MAX_TOKENS)), None)
        ttft_after_check.append(time.perf_counter() - started)
    return {
        "model": name,
        "threads": threads,
        "load_s": load_s,
        "rss_after_load_mb": rss_load,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ttft_s": statistics.median(ttft),
        "total_s": statistics.median(total),
        "tokens": statistics.median(tokens),
        # Pieces after the first over the time after it: decoding speed without prompt reading.
        "tokens_per_s": statistics.median(
            (n - 1) / (t - f)
            for n, t, f in zip(tokens, total, ttft, strict=True)
            if n > 1 and t > f
        ),
        "check_s": statistics.median(check),
        "ttft_after_check_s": statistics.median(ttft_after_check),
        "ttft_all_s": ttft,
        "total_all_s": total,
        "replies": replies,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", nargs=3, metavar=("MODEL", "GGUF", "THREADS"))
    args = parser.parse_args(argv)
    if args.worker:
        name, gguf, threads = args.worker
        print(json.dumps(measure(name, Path(gguf), int(threads))))
        return

    from rag.config import get_settings
    from rag.llm.models import model_path

    settings = get_settings()
    load_before = os.getloadavg()
    rows = []
    for name in args.models.split(","):
        gguf = model_path(name, settings)
        for threads in args.threads.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.local_models",
                    "--worker",
                    name,
                    str(gguf),
                    threads,
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            rows.append(json.loads(out.splitlines()[-1]))
            print(f"done {name} threads={threads}", file=sys.stderr)
    load_after = os.getloadavg()
    if args.json:
        print(json.dumps({"load_before": load_before, "load_after": load_after, "rows": rows}))
        return
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
        f"{os.cpu_count()} cores; max_tokens={MAX_TOKENS}; medians over {len(PROMPTS)} prompts\n"
    )
    print(
        "| model | threads | load s | RSS after load MB | peak RSS MB | first token s "
        "| total s | tokens | tokens/s | check s | first token after the check s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['model']} | {r['threads']} | {r['load_s']:.2f} | {r['rss_after_load_mb']:.0f} "
            f"| {r['peak_rss_mb']:.0f} | {r['ttft_s']:.2f} | {r['total_s']:.2f} "
            f"| {r['tokens']:.0f} | {r['tokens_per_s']:.1f} | {r['check_s']:.2f} "
            f"| {r['ttft_after_check_s']:.2f} |"
        )


if __name__ == "__main__":
    main()
