"""The reading-order outline of a Markdown or HTML article: what the splitter needs, nothing more.

A format module (`ingest.markdown_outline`, `ingest.html_outline`) turns markup into `Line`s of
visible text, each tagged with the role the markup gave it (heading, paragraph, list item, table
row, definition term). `ingest.splitter` cuts those into the same chunks a `.txt` article makes,
without guessing headings from line shapes. Parsing and chunking are left to those modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

# "term": a bold-only paragraph or <dt>; "cell": one cell line of a `.txt` table (splitter only).
LineKind = Literal["heading", "text", "item", "row", "term", "cell"]


class OutlineError(ValueError):
    """Raised when a parser cannot read an article's markup at all."""


@dataclass(frozen=True)
class Line:
    """One line of visible text; `level` is the heading level (1-6), 0 otherwise."""

    text: str
    kind: LineKind = "text"
    level: int = 0


@dataclass
class Outline:
    """An article's lines in reading order, and the title its markup declares ("" if none)."""

    lines: list[Line] = field(default_factory=list)
    title: str = ""


def visible(text: str) -> str:
    """Whitespace as a browser shows it: runs (newlines, tabs, non-breaking spaces) become one."""
    return " ".join(text.split())


def render_row(header: Sequence[str], row: Sequence[str]) -> str:
    """One table row as lines a reader can check, one per cell: `Row label (Column): “cell”`.

    The cell's text stays verbatim inside the quotation marks, so quoting a line quotes the
    article; the row label and column header outside them (the table's own cells) say whose cell
    it is, which is what lets the verifier check attribution. The first header cell labels the
    row-label column (often empty). Empty cells are left out; a row of another width keeps its
    cells in order, each quoted, rather than guessing their headers.
    """
    if len(row) == len(header) and len(row) > 1:
        label, lines = row[0], []
        for column, cell in zip(header[1:], row[1:], strict=True):
            if cell:
                name = f"{label} ({column})" if label and column else label or column
                lines.append(f"{name}: “{cell}”" if name else f"“{cell}”")
        return "\n".join(lines)
    return "\n".join(f"“{cell}”" for cell in row if cell)


def table_lines(rows: Sequence[Sequence[str]]) -> list[Line]:
    """Table rows (the first is the header) as `row` lines; a header alone is one line."""
    rows = [[visible(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [Line(render_row((), header), "row")]
    return [Line(text, "row") for text in (render_row(header, row) for row in body) if text]
