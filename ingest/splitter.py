"""Structure-aware chunking of one article: pure functions over text, no I/O, no models.

The articles are plain text whose structure lives in bare lines: headings ("Section 2: …",
"Key Takeaway", "What's going on?"), a table flattened into `|` lines, FAQ blocks (numbered
questions or `Q:`/`A:` pairs) and a multiple-choice quiz. This module turns that into chunks:

- text before the first heading is `intro`; each heading starts a `section` and its line(s)
  open the section's first chunk, because a heading often carries meaning ("What AI cannot do");
- every FAQ question with its answer is exactly one `faq` chunk; every quiz question with its
  options is one `quiz` chunk; a table becomes `table` chunk(s) with one line per cell,
  `Row (Column): “cell”`, the cell verbatim;
- small sections merge with the next one, long ones split on sentence boundaries with a
  one-sentence overlap so each chunk fits MiniLM's 256 word-piece window.

Markdown and HTML articles arrive as an `Outline` whose markup already says which line is a
heading, a list item, a table row or a term; they go through the same segmentation and size
rules, with two additions that need the markup: a sub-heading or bold term asking a question under
an FAQ heading is an FAQ question, and a list is kept in one piece with its lead-in line when
it fits (a `.txt` article cannot tell a list from short sentences reliably enough for that).

Chunk text is verbatim article text with whitespace normalised inside lines and line breaks kept.
Embedding, storage and ids of whole documents are left to `ingest.pipeline`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ingest.formats import outline_of
from ingest.outline import Line, render_row

# Sizes in words. MiniLM truncates at 256 word-pieces (~190 English words), and the embedded text
# also carries the title and section, so chunks aim a little lower.
MIN_WORDS = 50
TARGET_WORDS = 150
MAX_WORDS = 190
# A longer last sentence is not repeated in the next chunk: the overlap must stay small.
MAX_OVERLAP_WORDS = 45
# Multiple-choice questions in the corpus have four options; a fifth line is the next question
# even when it does not end with "?" ("Name one way to verify …").
QUIZ_OPTIONS = 4

SECTION_JOIN = " › "  # consecutive headings: "Machine Learning Engineer › What's going on?"
MERGE_JOIN = " · "  # sections merged because they were small: "Pay up · The Final Choice?"

_STRONG_HEADING = re.compile(r"^Section \d+\s*:", re.IGNORECASE)
_FAQ_HEADING = re.compile(r"^(frequently asked questions|faqs?)$", re.IGNORECASE)
_QUIZ_HEADING = re.compile(r"^(end-of-lesson check|quiz|check your understanding)$", re.IGNORECASE)
_TOC_HEADING = re.compile(r"^(table of contents|contents)$", re.IGNORECASE)
_READ_MORE = re.compile(r"^read more\s*:", re.IGNORECASE)
_BULLET = re.compile(r"^[-*•]\s")
_FAQ_QUESTION = re.compile(r"^(?:Q\s*[:.]\s*\S.*|\d{1,3}[.)]\s+\S.*\?)$")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_TERMINAL_PUNCT = tuple(".,;:!")


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage of an article, in reading order."""

    chunk_id: str
    text: str
    section: str  # "" for the intro
    kind: str  # "intro" | "section" | "faq" | "table" | "quiz"
    position: int

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class _Block:
    """A run of lines that belongs together before size rules apply."""

    kind: str
    section: str
    lines: list[str] = field(default_factory=list)
    whole: bool = False  # FAQ pairs and quiz questions are never merged or split
    # Per line: keep it in the same chunk as the line before (list items of outlined articles).
    glued: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.glued = self.glued or [False] * len(self.lines)

    def add(self, line: str, *, glued: bool = False) -> None:
        self.lines.append(line)
        self.glued.append(glued)

    @property
    def words(self) -> int:
        return sum(len(line.split()) for line in self.lines)


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a heading, or a table row) with the line it came from."""

    text: str
    line: int
    last_line: int = -1  # a unit glued over several lines ends on this one

    @property
    def end(self) -> int:
        return self.last_line if self.last_line >= 0 else self.line

    @property
    def words(self) -> int:
        return len(self.text.split())


# ---------------------------------------------------------------- public API


def split_article(doc_id: str, text: str, title: str = "", fmt: str = "txt") -> list[Chunk]:
    """Chunks of one article, in order, with stable content-derived ids.

    `fmt` is the article's format (`ingest.formats`): "txt", "markdown" or "html"; `text` is the
    file's text, markup included. Raises OutlineError when the markup cannot be parsed.
    """
    if fmt == "txt":
        lines = txt_lines(clean_lines(text, title))
    else:
        lines = clean_outline(outline_of(fmt, text).lines, title)
    blocks = _merge_small(_segment(lines))
    pieces: list[tuple[str, str, str]] = []
    for block in blocks:
        for chunk_text in _split_block(block):
            pieces.append((chunk_text, block.section, block.kind))
    ids = chunk_ids(doc_id, [piece[0] for piece in pieces])
    return [
        Chunk(chunk_id=cid, text=body, section=section, kind=kind, position=pos)
        for pos, (cid, (body, section, kind)) in enumerate(zip(ids, pieces, strict=True))
    ]


def chunk_ids(doc_id: str, texts: Sequence[str]) -> list[str]:
    """`doc_id:sha1(text)[:16]`, with `-2`, `-3`… when the same text repeats in one article."""
    seen: dict[str, int] = {}
    ids = []
    for text in texts:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        seen[digest] = seen.get(digest, 0) + 1
        suffix = "" if seen[digest] == 1 else f"-{seen[digest]}"
        ids.append(f"{doc_id}:{digest}{suffix}")
    return ids


def normalize_line(line: str) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) into single spaces."""
    return " ".join(line.split())


def clean_lines(text: str, title: str = "") -> list[str]:
    """Non-empty normalised lines without the title line, the table of contents and link lines."""
    lines = [normalize_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if lines and title and lines[0].casefold() == normalize_line(title).casefold():
        lines = lines[1:]  # the title travels as metadata; repeating it as text adds nothing
    out: list[str] = []
    in_toc = False
    previous = ""
    for line in lines:
        if _TOC_HEADING.match(line):
            in_toc = True
        elif in_toc and (line == "-" or previous == "-"):
            pass  # a TOC entry is a "-" line followed by the entry text
        else:
            in_toc = False
            if not _READ_MORE.match(line):
                out.append(line)
        previous = line
    return out


def txt_lines(lines: Sequence[str]) -> list[Line]:
    """Clean `.txt` lines with the roles their shape gives them: heading, table cell or text."""
    flags = heading_flags(lines)
    return [
        Line(x, "heading", 1) if flag else Line(x, "cell" if is_table_line(x) else "text")
        for x, flag in zip(lines, flags, strict=True)
    ]


def clean_outline(lines: Sequence[Line], title: str = "") -> list[Line]:
    """An outline without its title line, its table of contents and its link lines."""
    out = list(lines)
    if out and title and out[0].text.casefold() == normalize_line(title).casefold():
        out = out[1:]
    kept: list[Line] = []
    in_toc = False
    for line in out:
        if line.kind == "heading" and _TOC_HEADING.match(line.text):
            in_toc = True
        elif in_toc and line.kind == "item":
            pass  # the entries of the table of contents
        else:
            in_toc = False
            if not _READ_MORE.match(line.text):
                kept.append(line)
    return kept


def is_table_line(line: str) -> bool:
    """A cell of the flattened table: a bare `|` (row separator) or text ending in ` |`."""
    return line == "|" or line.endswith(" |")


def is_heading_candidate(line: str) -> bool:
    """Short, capitalised, no sentence punctuation at the end; or a very short question."""
    if _STRONG_HEADING.match(line) or _FAQ_HEADING.match(line) or _QUIZ_HEADING.match(line):
        return True
    if not line[:1].isupper() or _BULLET.match(line) or is_table_line(line):
        return False
    words = len(line.split())
    if line.endswith("?"):
        return words <= 6
    return words <= 14 and not line.endswith(_TERMINAL_PUNCT)


def heading_flags(lines: Sequence[str]) -> list[bool]:
    """Which lines are headings.

    "Section N:", FAQ and quiz headings always are. Other candidates are headings only in runs of
    at most two (a heading plus a subheading); a longer run of short lines is a list, as in the
    lesson article's "What AI does well here" items.
    """
    strong = [
        bool(_STRONG_HEADING.match(x) or _FAQ_HEADING.match(x) or _QUIZ_HEADING.match(x))
        for x in lines
    ]
    weak = [is_heading_candidate(x) and not s for x, s in zip(lines, strong, strict=True)]
    flags = list(strong)
    i = 0
    while i < len(lines):
        if not weak[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and weak[j]:
            j += 1
        if j - i <= 2:
            flags[i:j] = [True] * (j - i)
        i = j
    return flags


def table_rows(lines: Sequence[str]) -> list[str]:
    """The rows of a flattened table, rendered as `ingest.outline.render_row` renders them.

    Cells sit between bare `|` lines; the first row is the header (an empty corner cell shows
    only as the leading double `|`). Cell text stays verbatim apart from the trailing ` |`.
    """
    rows: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line == "|":
            if current:
                rows.append(current)
            current = []
        else:
            current.append(line[: -len(" |")].strip())
    if current:
        rows.append(current)
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [render_row((), header)]
    if len(body[0]) == len(header) + 1:
        header = ["", *header]  # an empty corner cell leaves no line of its own
    return [text for text in (render_row(header, row) for row in body) if text]


def split_sentences(line: str) -> list[str]:
    """Sentences of one line (split after . ! ? before a capital, digit or opening quote)."""
    return [part for part in _SENTENCE_END.split(line) if part]


# ---------------------------------------------------------------- structure


def _segment(lines: list[Line]) -> list[_Block]:
    """Cut the lines into intro, section, table, FAQ-item and quiz-question blocks."""
    blocks: list[_Block] = []
    section = ""
    chain: list[str] = []  # heading lines not yet placed at the start of a block
    mode = "normal"
    faq_level = 0  # the FAQ heading's level: deeper question headings are its questions
    block = _Block("intro", "")
    i = 0

    def flush() -> None:
        nonlocal block
        if block.lines:
            blocks.append(block)
        block = _Block("section", section)

    while i < len(lines):
        line = lines[i].text
        if mode == "quiz":
            if block.kind != "quiz" and not line.endswith("?"):
                i += 1  # instructions before the first question ("10 questions · take it …")
                continue
            if block.kind != "quiz" or line.endswith("?") or len(block.lines) > QUIZ_OPTIONS:
                flush()
                block = _Block("quiz", section, [line], whole=True)
            else:
                block.add(line)
            i += 1
            continue
        if mode == "faq" and _is_faq_question(lines[i], faq_level):
            flush()
            block = _Block("faq", section, [line], whole=True)
            i += 1
            continue
        if lines[i].kind == "heading":
            flush()
            chain = [*chain, line] if chain and i > 0 and lines[i - 1].kind == "heading" else [line]
            section = SECTION_JOIN.join(chain)
            block = _Block("section", section)
            mode = "normal"
            if _FAQ_HEADING.match(line):
                mode, chain = "faq", []  # FAQ chunks are question + answer only
                faq_level = lines[i].level
            elif _QUIZ_HEADING.match(line):
                mode, chain = "quiz", []
            i += 1
            continue
        if mode == "faq" and block.kind == "faq":
            block.add(line)  # answer line(s) of the current question
            i += 1
            continue
        if lines[i].kind in ("cell", "row"):
            j = i
            while j < len(lines) and lines[j].kind == lines[i].kind:
                j += 1
            run = [x.text for x in lines[i:j]]
            flush()
            rows = table_rows(run) if lines[i].kind == "cell" else run
            blocks.append(_Block("table", section, [*chain, *rows]))
            chain = []
            block = _Block("section", section)
            i = j
            continue
        if not block.lines and chain:
            for heading in chain:
                block.add(heading)
        chain = []
        block.add(line, glued=lines[i].kind == "item")
        i += 1
    flush()
    if chain:  # headings with nothing under them (a footer): keep their text with the last block
        if blocks and not blocks[-1].whole:
            for heading in chain:
                blocks[-1].add(heading)
        else:
            blocks.append(_Block("section", section, chain))
    return blocks


def _is_faq_question(line: Line, faq_level: int) -> bool:
    """Under an FAQ heading: a numbered or `Q:` question line, or (outlined articles) a deeper
    heading or a bold term that asks a question."""
    if _FAQ_QUESTION.match(line.text):
        return True
    asks = line.text.endswith("?")
    return asks and (line.kind == "term" or (line.kind == "heading" and line.level > faq_level))


def _merge_small(blocks: list[_Block]) -> list[_Block]:
    """Merge sections under MIN_WORDS into the next (else the previous) section that fits."""
    out = list(blocks)
    changed = True
    while changed:
        changed = False
        for i, block in enumerate(out):
            if block.kind != "section" or block.words >= MIN_WORDS:
                continue
            for j in (i + 1, i - 1):
                if 0 <= j < len(out) and out[j].kind == "section":
                    first, second = (block, out[j]) if j > i else (out[j], block)
                    if first.words + second.words <= MAX_WORDS:
                        out[min(i, j)] = _join(first, second)
                        del out[max(i, j)]
                        changed = True
                        break
            if changed:
                break
    return out


def _join(first: _Block, second: _Block) -> _Block:
    names = [first.section] if first.section == second.section else [first.section, second.section]
    section = MERGE_JOIN.join(name for name in names if name)
    return replace(
        first,
        section=section,
        lines=[*first.lines, *second.lines],
        glued=[*first.glued, *second.glued],
    )


# ---------------------------------------------------------------- sizes


def _split_block(block: _Block) -> list[str]:
    if block.whole or block.words <= MAX_WORDS:
        return ["\n".join(block.lines)]
    if block.kind == "table":
        # Rows are the unit: a table row is never cut, and rows are not repeated as overlap.
        units = [_Unit(row, n) for n, row in enumerate(block.lines)]
        return [_render(group) for group in _pack(units, overlap=False)]
    units = [
        _Unit(sentence, n)
        for n, line in enumerate(block.lines)
        for sentence in split_sentences(line)
    ]
    if any(block.glued):
        units = _glue(units, block.glued)
    return [_render(group) for group in _pack(units, overlap=True)]


def _glue(units: list[_Unit], glued: Sequence[bool]) -> list[_Unit]:
    """Fold each glued line (a list item) into the unit before it while the result fits
    MAX_WORDS, so a list and its lead-in land in one chunk."""
    out: list[_Unit] = []
    for unit in units:
        previous = out[-1] if out else None
        if (
            previous is not None
            and glued[unit.line]
            and previous.end in (unit.line, unit.line - 1)
            and previous.words + unit.words <= MAX_WORDS
        ):
            joint = " " if previous.end == unit.line else "\n"
            out[-1] = _Unit(previous.text + joint + unit.text, previous.line, unit.line)
        else:
            out.append(unit)
    return out


def _pack(units: list[_Unit], *, overlap: bool) -> list[list[_Unit]]:
    """Greedy packing towards equal-sized groups of about TARGET_WORDS, never over MAX_WORDS.

    Aiming at total/n instead of filling each chunk to the brim avoids a tiny last chunk.
    A unit longer than MAX_WORDS gets a group of its own (MiniLM will truncate it).
    """
    total = sum(unit.words for unit in units)
    goal = total / max(1, math.ceil(total / TARGET_WORDS))
    groups: list[list[_Unit]] = []
    start = 0
    while start < len(units):
        end, words = start, 0
        while end < len(units) and (
            end == start or (words < goal and words + units[end].words <= MAX_WORDS)
        ):
            words += units[end].words
            end += 1
        groups.append(units[start:end])
        if end >= len(units):
            break
        last = units[end - 1]
        repeat = overlap and end - start > 1 and last.words <= MAX_OVERLAP_WORDS
        start = end - 1 if repeat else end
    # A last group that is only the overlap plus a scrap goes back into the one before it.
    if len(groups) > 1:
        tail = [u for u in groups[-1] if u not in groups[-2]]
        if sum(u.words for u in tail) < MIN_WORDS // 2 and (
            sum(u.words for u in groups[-2]) + sum(u.words for u in tail) <= MAX_WORDS
        ):
            groups[-2] = [*groups[-2], *tail]
            groups.pop()
    return groups


def _render(units: Iterable[_Unit]) -> str:
    """Sentences of one line joined by a space, lines by a newline (as in the article)."""
    out: list[str] = []
    previous = -1
    for unit in units:
        if out:
            out.append(" " if unit.line == previous else "\n")
        out.append(unit.text)
        previous = unit.end
    return "".join(out)
