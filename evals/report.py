"""Writes an eval run to disk: results.jsonl, scores.jsonl, summary.json, report.md, report.html.

The HTML report is one self-contained file (inline CSS, no scripts, no external assets); every
piece of text from answers, quotes or datasets is HTML-escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evals.datasets import EvalItem
from evals.results import ResultRow, write_results
from evals.scoring import METRIC_INFO, METRICS, MetricInfo

SYSTEM, BASELINE = "system", "baseline"


def fmt(value: float | None, info: MetricInfo) -> str:
    if value is None:
        return "n/a"
    if info.key.endswith("_ms"):
        return f"{value:.0f}"
    if not info.share:
        return f"{value:.0f}"
    return f"{value:.3f}"


def fmt_ci(ci: Sequence[float] | None) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""


def _cell(m: Mapping[str, Any] | None, info: MetricInfo) -> tuple[str, str, str]:
    if m is None:
        return "", "", ""
    return fmt(m["value"], info), fmt_ci(m["ci95"]), f"{m['n']}"


# Markdown ----------------------------------------------------------------------------------------


def _config_lines(summary: Mapping[str, Any]) -> list[str]:
    cfg = summary["config"]
    datasets = ", ".join(f"{k} ({v})" for k, v in cfg["datasets"].items())
    mode = "hard (FAQ chunks excluded)" if cfg.get("exclude_faq") else "normal"
    lines = [
        f"- datasets: {datasets}; {cfg['items']} questions",
        f"- mode: {mode}; LLM backend: {cfg.get('llm', '?')}; k = {cfg['k']}",
    ]
    saved = cfg.get("saved_results", {})
    for name, run in summary["systems"].items():
        how = " (sum of the saved run's per-question latencies)" if saved.get(name) else ""
        lines.append(f"- {name}: answered in {run['seconds']} s{how}")
    if "wall_seconds" in summary:
        what = "this run; some answers read from saved results" if any(saved.values()) else "eval"
        lines.append(f"- wall time: {summary['wall_seconds']} s ({what})")
    return lines


def markdown(summary: Mapping[str, Any]) -> str:
    systems = summary["systems"]
    sys_o = systems[SYSTEM]["overall"]
    base_o = systems.get(BASELINE, {}).get("overall")
    out = ["# Answer-quality eval", "", *_config_lines(summary), "", "## Summary", ""]
    head = "| metric | system | 95% CI | n |"
    rule = "|---|---:|---|---:|"
    if base_o:
        head += " baseline | 95% CI | n |"
        rule += "---:|---|---:|"
    out += [head, rule]
    for info in METRICS:
        row = f"| {info.label} | " + " | ".join(_cell(sys_o[info.key], info)) + " |"
        if base_o:
            row += " " + " | ".join(_cell(base_o[info.key], info)) + " |"
        out.append(row)
    out += [
        "",
        "Each n is the number of rows (sentences or citations where stated) the metric covers; "
        "the notes in summary.json say which rows are out of scope and why.",
        "",
    ]
    by = systems[SYSTEM]["by_dataset"]
    if len(by) > 1:
        out += [
            "## System by dataset",
            "",
            "| metric | " + " | ".join(by) + " |",
            "|---|" + "---:|" * len(by),
        ]
        for info in METRICS:
            cells = [
                f"{fmt(by[d][info.key]['value'], info)} (n={by[d][info.key]['n']})" for d in by
            ]
            out.append(f"| {info.label} | " + " | ".join(cells) + " |")
        out.append("")
    out += _category_markdown(systems[SYSTEM].get("by_category") or {})
    if summary.get("gate"):
        out += [
            "## Gate",
            "",
            "| metric | bound | threshold | value | n | result |",
            "|---|---|---:|---:|---:|---|",
        ]
        for v in summary["gate"]["verdicts"]:
            metric = v["metric"].partition(" [")[0]  # a category floor: "key_fact_recall [list]"
            info = METRIC_INFO[metric]
            label = v["metric"].replace(metric, info.label)
            out.append(
                f"| {label} | {v['bound']} | {v['threshold']} | {fmt(v['value'], info)} "
                f"| {v['n']} | {'pass' if v['passed'] else '**FAIL**'} |"
            )
        out.append("")
    out += [
        "## Negative controls",
        "",
        "Wrong answer sets built from the system's own answers; each must score far worse on "
        "the metric it targets.",
        "",
        "| control | metric | system | control | far worse |",
        "|---|---|---:|---:|---|",
    ]
    for c in summary["controls"]:
        info = METRIC_INFO[c["metric"]]
        out.append(
            f"| {c['description']} | {info.label} | {fmt(c['system'], info)} | "
            f"{fmt(c['control_value'], info)} (n={c['n']}) | {_far(c, '**no**')} |"
        )
    out.append("")
    out += _judge_markdown(summary.get("judge"))
    return "\n".join(out) + "\n"


def _far(control: Mapping[str, Any], no: str) -> str:
    if not control.get("applicable", True):
        return "n/a (too few changed)"
    return "yes" if control["far_worse"] else no


CATEGORY_METRICS = (
    "hit_at_k",
    "key_fact_recall",
    "model_fact_recall",
    "supported_sentences",
    "answerable_declined",
    "unanswerable_declined",
    "must_not_contain",
)


def _category_markdown(by_category: Mapping[str, Any]) -> list[str]:
    if len(by_category) < 2:
        return []
    infos = [METRIC_INFO[k] for k in CATEGORY_METRICS]
    out = [
        "## System by category",
        "",
        "| category | rows | " + " | ".join(i.label for i in infos) + " |",
        "|---|---:|" + "---:|" * len(infos),
    ]
    for name, agg in by_category.items():
        rows = agg["errors"]["n"]
        cells = ["–" if agg[i.key]["value"] is None else fmt(agg[i.key]["value"], i) for i in infos]
        out.append(f"| {name} | {rows} | " + " | ".join(cells) + " |")
    return [*out, ""]


def _judge_markdown(judge: Mapping[str, Any] | None) -> list[str]:
    out = ["## LLM judge (optional)", ""]
    if not judge:
        return [*out, "Not run (pass --judge with an OpenAI-compatible server configured).", ""]
    for name, res in judge.items():
        if res.get("skipped"):
            out.append(f"- {name}: skipped: {res['skipped']}")
        else:
            out.append(
                f"- {name}: mean score {res['mean']:.2f} / 5 over {res['n']} rows, "
                f"{res['runs']} runs; run means {res['run_means']}; mean per-row spread "
                f"{res['mean_spread']:.2f}; parse failures {res['parse_failures']}"
            )
    return [*out, ""]


# HTML --------------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:#b00;font-weight:bold}.ok{color:#080}.muted{color:#777}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:12px}
.chart{border:1px solid #ddd;padding:6px 8px;border-radius:4px}
.chart h4{margin:0 0 4px;font-size:13px}
.bar{display:flex;align-items:center;gap:6px;font-size:12px;margin:2px 0}
.bar span.l{width:60px}.track{flex:1;background:#eee;height:12px;position:relative}
.fill{height:12px;background:#3b6fb6}.fill.b{background:#c98a2b}
details{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 8px}
summary{cursor:pointer}blockquote{margin:4px 0 4px 1em;padding-left:8px;border-left:3px solid #ccc}
pre{white-space:pre-wrap;background:#fafafa;padding:6px;margin:4px 0}
"""


def _bars(info: MetricInfo, values: Mapping[str, float | None]) -> str:
    known = [v for v in values.values() if v is not None]
    scale = 1.0 if info.share else max([*known, 1e-9])
    rows = []
    for name, value in values.items():
        width = 0.0 if value is None else max(0.0, min(1.0, value / scale)) * 100
        cls = "fill b" if name == BASELINE else "fill"
        rows.append(
            f'<div class="bar"><span class="l">{escape(name)}</span><div class="track">'
            f'<div class="{cls}" style="width:{width:.1f}%"></div></div>'
            f"<span>{escape(fmt(value, info))}</span></div>"
        )
    better = "higher is better" if info.higher_is_better else "lower is better"
    return (
        f'<div class="chart"><h4>{escape(info.label)} <span class="muted">({better})</span></h4>'
        + "".join(rows)
        + "</div>"
    )


def _summary_table(summary: Mapping[str, Any]) -> str:
    systems = summary["systems"]
    names = list(systems)
    head = (
        "<tr><th>metric</th>"
        + "".join(f"<th>{escape(n)}</th><th>95% CI</th><th>n</th>" for n in names)
        + "<th>note</th></tr>"
    )
    body = []
    for info in METRICS:
        cells = []
        for n in names:
            m = systems[n]["overall"][info.key]
            v, ci, count = _cell(m, info)
            cells.append(f'<td class="num">{v}</td><td>{ci}</td><td class="num">{count}</td>')
        note = systems[SYSTEM]["overall"][info.key]["note"]
        body.append(
            f"<tr><td>{escape(info.label)}</td>{''.join(cells)}"
            f'<td class="muted">{escape(note)}</td></tr>'
        )
    return f"<table>{head}{''.join(body)}</table>"


def _drilldown_one(item: EvalItem, runs: Mapping[str, tuple[ResultRow, dict[str, Any]]]) -> str:
    facts = (
        "".join(f"<li>{escape(f)}</li>" for f in item.key_facts) or "<li>none (unanswerable)</li>"
    )
    flags = []
    parts = [
        f"<p><b>Question:</b> {escape(item.question)}</p>",
        f"<p><b>Reference:</b> {escape(item.reference_answer)}</p>",
        f"<p><b>Key facts:</b></p><ul>{facts}</ul>",
    ]
    for name, (row, rec) in runs.items():
        bad = _row_problems(item, row, rec)
        if bad and name == SYSTEM:
            flags = bad
        parts.append(
            f"<h4>{escape(name)} ({row.latency_ms:.0f} ms)"
            f"{' &mdash; refused' if row.refused else ''}</h4>"
        )
        if row.error:
            parts.append(f'<p class="fail">error: {escape(row.error)}</p>')
        parts.append(f"<pre>{escape(row.answer) or '(empty)'}</pre>")
        if bad:
            parts.append(f'<p class="fail">{escape("; ".join(bad))}</p>')
        if rec.get("sentences"):
            sents = "".join(
                f'<li class="{"ok" if s["supported"] else "fail"}">{escape(s["text"])} '
                f'<span class="muted">cites {s["cited"]} support {s["score"]}</span></li>'
                for s in rec["sentences"]
            )
            parts.append(f"<p>Sentences:</p><ul>{sents}</ul>")
        cites = []
        for c, problem in zip(row.citations, rec["citation_problems"], strict=True):
            status = (
                f'<span class="fail">{escape(problem)}</span>'
                if problem
                else '<span class="ok">valid</span>'
            )
            cites.append(
                f"<li>[{c.n}] {escape(c.doc_id)} / {escape(c.section or '')} "
                f'<span class="muted">{escape(c.chunk_id)}</span> {status}'
                f"<blockquote>{escape(c.quote)}</blockquote></li>"
            )
        parts.append(f"<p>Citations ({len(row.citations)}):</p><ul>{''.join(cites)}</ul>")
        passages = "".join(
            f"<details><summary>{i}. {escape(p.doc_id)} / {escape(p.section or '')} "
            f"({p.score:.3f})</summary><pre>{escape(p.text)}</pre></details>"
            for i, p in enumerate(row.retrieved, 1)
        )
        parts.append(f"<p>Retrieved ({len(row.retrieved)}):</p>{passages}")
    mark = f' <span class="fail">{escape("; ".join(flags))}</span>' if flags else ""
    return (
        f"<details><summary><b>{escape(item.id)}</b> {escape(item.question)}{mark}</summary>"
        + "".join(parts)
        + "</details>"
    )


def _row_problems(item: EvalItem, row: ResultRow, rec: Mapping[str, Any]) -> list[str]:
    out = []
    if row.error:
        out.append("error")
    if item.answerable and row.refused:
        out.append("wrongly declined")
    if not item.answerable and not row.refused:
        out.append("answered an unanswerable question")
    if item.answerable and not row.refused:
        missing = [f for f, ok in zip(item.key_facts, rec["facts_found"], strict=True) if not ok]
        if missing:
            out.append("missing: " + ", ".join(missing))
    if rec.get("unsupported_numbers"):
        out.append("unsupported numbers: " + ", ".join(rec["unsupported_numbers"]))
    bad = [p for p in rec["citation_problems"] if p]
    if bad:
        out.append(f"{len(bad)} invalid citation(s)")
    return out


def html_report(
    summary: Mapping[str, Any],
    items: Sequence[EvalItem],
    runs: Mapping[str, tuple[Sequence[ResultRow], Sequence[dict[str, Any]]]],
) -> str:
    """The self-contained HTML report."""
    systems = summary["systems"]
    charts = "".join(
        _bars(info, {n: systems[n]["overall"][info.key]["value"] for n in systems})
        for info in METRICS
    )
    config = "".join(f"<li>{escape(line[2:])}</li>" for line in _config_lines(summary))
    gate = ""
    if summary.get("gate"):
        rows = "".join(
            f"<tr><td>{escape(v['metric'])}</td><td>{v['bound']}</td>"
            f"<td class=num>{v['threshold']}</td>"
            f"<td class=num>{'n/a' if v['value'] is None else round(v['value'], 4)}</td>"
            f"<td class=num>{v['n']}</td><td class={'ok' if v['passed'] else 'fail'}>"
            f"{'pass' if v['passed'] else 'FAIL'}</td></tr>"
            for v in summary["gate"]["verdicts"]
        )
        gate = (
            "<h2>Gate</h2><table><tr><th>metric</th><th>bound</th><th>threshold</th>"
            f"<th>value</th><th>n</th><th>result</th></tr>{rows}</table>"
        )
    controls = "".join(
        f"<tr><td>{escape(c['description'])}</td><td>{escape(METRIC_INFO[c['metric']].label)}</td>"
        f"<td class=num>{fmt(c['system'], METRIC_INFO[c['metric']])}</td>"
        f"<td class=num>{fmt(c['control_value'], METRIC_INFO[c['metric']])}</td>"
        f"<td class={'fail' if c['far_worse'] is False else 'ok'}>{_far(c, 'no')}</td></tr>"
        for c in summary["controls"]
    )
    judge = "".join(
        f"<p>{escape(line)}</p>" for line in _judge_markdown(summary.get("judge"))[2:] if line
    )
    by_run = {
        name: ({r.id: r for r in rows}, {r["id"]: r for r in recs})
        for name, (rows, recs) in runs.items()
    }
    drill = "".join(
        _drilldown_one(
            item, {n: (rows[item.id], recs[item.id]) for n, (rows, recs) in by_run.items()}
        )
        for item in items
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>career-rag eval</title><style>{CSS}</style></head><body>"
        f"<h1>Answer-quality eval</h1><ul>{config}</ul>"
        f"<h2>Summary</h2>{_summary_table(summary)}<h2>Charts</h2><div class=charts>{charts}</div>"
        f"{gate}<h2>Negative controls</h2><table><tr><th>control</th><th>metric</th><th>system</th>"
        f"<th>control</th><th>far worse</th></tr>{controls}</table>"
        f"<h2>LLM judge</h2>{judge}<h2>Per question</h2>{drill}</body></html>"
    )


def write_report(
    output: Path,
    summary: Mapping[str, Any],
    items: Sequence[EvalItem],
    runs: Mapping[str, tuple[Sequence[ResultRow], Sequence[dict[str, Any]]]],
) -> None:
    """All report files into `output` (created if needed). The system's answers go to
    results.jsonl, the baseline's to baseline_results.jsonl; per-row scores to scores.jsonl."""
    output.mkdir(parents=True, exist_ok=True)
    for name, (rows, _) in runs.items():
        write_results(
            output / ("results.jsonl" if name == SYSTEM else f"{name}_results.jsonl"), rows
        )
    with (output / "scores.jsonl").open("w", encoding="utf-8") as fh:
        for name, (_, records) in runs.items():
            for rec in records:
                fh.write(json.dumps({"system": name, **rec}, ensure_ascii=False) + "\n")
    (output / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (output / "report.md").write_text(markdown(summary), encoding="utf-8")
    (output / "report.html").write_text(html_report(summary, items, runs), encoding="utf-8")
