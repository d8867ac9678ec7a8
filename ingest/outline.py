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
    """One table row as the `.txt` tables read: "Label: Header1: cell Header2: cell".

    The first header cell labels the row-label column (often empty), so the row's first cell
    pairs with no header. Empty cells are left out; a row of another width keeps its cells in
    order rather than guessing their headers.
    """
    if len(row) == len(header) and len(row) > 1:
        cells = " ".join(
            f"{h}: {c}" if h else c for h, c in zip(header[1:], row[1:], strict=True) if c
        )
        return f"{row[0]}: {cells}" if row[0] else cells
    return " ".join(cell for cell in row if cell)


def table_lines(rows: Sequence[Sequence[str]]) -> list[Line]:
    """Table rows (the first is the header) as `row` lines; a header alone is one line."""
    rows = [[visible(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [Line(" ".join(c for c in header if c), "row")]
    return [Line(text, "row") for text in (render_row(header, row) for row in body) if text]
