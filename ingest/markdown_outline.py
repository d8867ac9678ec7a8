"""Markdown article -> `Outline`, through markdown-it-py's token stream (CommonMark + GFM tables).

Lines hold what a reader of the rendered page sees: emphasis, links and code spans become their
text, entities are decoded, images and inline HTML tags are dropped, raw HTML blocks go through
`ingest.html_outline`. List items start with `- ` (bullets) or `N. ` (numbers as rendered), as
in the `.txt` articles. A leading YAML front-matter block is not text; its `title:` is the
document's title, else the first `# ` heading. Chunking is left to `ingest.splitter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.html_outline import html_outline
from ingest.outline import Line, LineKind, Outline, table_lines, visible

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title\s*:\s*(.+?)\s*$", re.MULTILINE)
_HARD_BREAK = "\n"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@dataclass
class _ListState:
    ordered: bool
    next_number: int


def markdown_outline(source: str) -> Outline:
    """The outline of a Markdown document (never raises on odd Markdown: every input renders)."""
    title = ""
    front = _FRONT_MATTER.match(source)
    if front:
        found = _FRONT_MATTER_TITLE.search(front.group(1))
        title = visible(found.group(1).strip("\"'")) if found else ""
        source = source[front.end() :]
    lines: list[Line] = []
    lists: list[_ListState] = []
    marker = ""  # the list marker waiting for the item's first paragraph
    heading_level = 0
    rows: list[list[str]] | None = None  # cells of the table being read
    for token in _parser().parse(source):
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1:])
        elif kind == "heading_close":
            heading_level = 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append(_ListState(kind == "ordered_list_open", int(start) if start else 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            state = lists[-1]
            marker = f"{state.next_number}. " if state.ordered else "- "
            state.next_number += 1
        elif kind == "table_open":
            rows = []
        elif kind == "tr_open" and rows is not None:
            rows.append([])
        elif kind == "table_close" and rows is not None:
            lines.extend(table_lines(rows))
            rows = None
        elif kind == "inline":
            text = inline_text(token)
            if rows is not None:
                if rows:
                    rows[-1].append(visible(text))
            elif heading_level:
                if visible(text):
                    lines.append(Line(visible(text), "heading", heading_level))
            elif not marker and _bold_only(token):
                lines.append(Line(visible(text), "term"))
            else:
                marker = _add_paragraph(lines, text, marker)
        elif kind in ("fence", "code_block"):
            lines.extend(Line(visible(x)) for x in token.content.splitlines() if visible(x))
        elif kind == "html_block":
            lines.extend(html_outline(token.content).lines)
    if not title:
        title = next((x.text for x in lines if x.kind == "heading" and x.level == 1), "")
    return Outline(lines=lines, title=title)


def _add_paragraph(lines: list[Line], text: str, marker: str) -> str:
    """Append a paragraph's lines (a hard break starts a new line); returns the unused marker."""
    for part in text.split(_HARD_BREAK):
        part = visible(part)
        if not part:
            continue
        kind: LineKind = "item" if marker else "text"
        lines.append(Line(marker + part, kind))
        marker = ""
    return marker


def _bold_only(token: Token) -> bool:
    """A paragraph that is all bold (`**Which role pays more?**`): a term, as in many FAQs."""
    depth, outside = 0, []
    for child in token.children or []:
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
        elif depth == 0 and child.type in ("text", "code_inline"):
            outside.append(child.content)
    children = [c for c in token.children or [] if c.type != "text" or c.content.strip()]
    return bool(children) and children[0].type == "strong_open" and not visible("".join(outside))


def inline_text(token: Token) -> str:
    """The visible text of an inline token: markup, images and inline HTML tags removed."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append(_HARD_BREAK)
    return "".join(out)
