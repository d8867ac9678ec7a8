"""Which article files the corpus folder holds, by extension, and how each format is read.

`.txt` articles are split from their text by `ingest.splitter`'s line rules; Markdown and HTML
go through a parser into an `Outline` first (`ingest.markdown_outline`, `ingest.html_outline`).
Reading files is left to `ingest.loader`.
"""

from __future__ import annotations

from typing import Literal

from ingest.html_outline import html_outline
from ingest.markdown_outline import markdown_outline
from ingest.outline import Outline

Format = Literal["txt", "markdown", "html"]

FORMATS: dict[str, Format] = {
    ".txt": "txt",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
}


def format_of(suffix: str) -> Format | None:
    """The format of a file extension (any case); None for a file that is not an article."""
    return FORMATS.get(suffix.lower())


def outline_of(fmt: str, source: str) -> Outline:
    """The outline of a Markdown or HTML source; OutlineError when its parser rejects it."""
    if fmt == "markdown":
        return markdown_outline(source)
    if fmt == "html":
        return html_outline(source)
    raise ValueError(f"no outline parser for format {fmt!r}")
