"""HTML article -> `Outline`, through selectolax's lexbor parser (a browser-grade HTML5 parser).

The walk keeps what a reader sees: text of the article body (the page's single `<article>`,
else `<main>`, else `<body>`), with scripts, styles, forms, embedded media and `hidden` /
`aria-hidden` / `display:none` elements left out and entities decoded. Block elements end a
line; `<h1>`-`<h6>` are headings, `<li>` items start with `- ` or `N. ` (as rendered), `<dt>`
is a term (an FAQ question when it asks one), `<br>` breaks the line, a `<table>` becomes
"label: header: cell" rows. The title is `<title>`, else the first `<h1>`. Chunking is left to
`ingest.splitter`.
"""

from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from ingest.outline import Line, LineKind, Outline, OutlineError, table_lines, visible

_SKIP = frozenset(
    """script style noscript template svg math canvas iframe object embed video audio picture
    img head title meta link button select option input textarea label form dialog""".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# lexbor's parse time grows with the square of element nesting (50,000 nested <div>s: 11 s,
# 100,000: over a minute), and the walk below recurses per level; real articles nest a few dozen.
MAX_DEPTH = 200
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")
# Elements that never nest (void) or whose end tag may be left out: they do not deepen a tree.
_FLAT = frozenset(
    """area base br col embed hr img input link meta source track wbr p li dt dd tr td th
    thead tbody tfoot option optgroup colgroup caption rb rt rp html head body""".split()
)
_BLOCKS = frozenset(
    """p div section article main header footer aside nav blockquote figure figcaption address
    details summary fieldset hr dd center""".split()
)


def html_outline(source: str) -> Outline:
    """The outline of an HTML document; OutlineError when the parser rejects it or it nests
    elements deeper than MAX_DEPTH."""
    if nesting_depth(source, stop_above=MAX_DEPTH) > MAX_DEPTH:
        raise OutlineError(f"elements nested more than {MAX_DEPTH} deep")
    try:
        tree = LexborHTMLParser(source)
    except Exception as exc:  # the parser's own error types vary between its backends
        raise OutlineError(f"cannot parse the HTML ({type(exc).__name__}: {exc})") from exc
    walker = _Walker()
    root = _article_root(tree)
    if root is not None:
        walker.walk(root)
        walker.flush()
    title_node = tree.css_first("title")
    title = visible(title_node.text()) if title_node is not None else ""
    if not title:
        title = next((x.text for x in walker.lines if x.kind == "heading" and x.level == 1), "")
    return Outline(lines=walker.lines, title=title)


def nesting_depth(source: str, stop_above: int | None = None) -> int:
    """How deep the document's elements nest, from its tags alone, in linear time (an upper
    bound: an unclosed container counts as still open); stops once past `stop_above`."""
    depth = deepest = 0
    for match in _TAG.finditer(source):
        closing, name = match.group(1), match.group(2).lower()
        if name in _FLAT or match.group(0).endswith("/>"):
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
    return deepest


def _article_root(tree: LexborHTMLParser) -> Any:
    articles = tree.css("article")
    if len(articles) == 1:
        return articles[0]
    return tree.css_first("main") or tree.body


def _hidden(node: Any) -> bool:
    attrs = node.attributes
    style = (attrs.get("style") or "").replace(" ", "").lower()
    return "hidden" in attrs or attrs.get("aria-hidden") == "true" or "display:none" in style


class _Walker:
    """Depth-first walk that buffers inline text and emits a `Line` at every block boundary."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self._buffer: list[str] = []
        self._kind: LineKind = "text"
        self._level = 0
        self._marker = ""
        self._lists: list[list[int]] = []  # per open list: [next number], or [] for bullets

    def flush(self) -> None:
        text = visible("".join(self._buffer))
        self._buffer.clear()
        if not text:
            return
        kind = self._kind
        if self._marker:
            text, kind, self._marker = self._marker + text, "item", ""
        self.lines.append(Line(text, kind, self._level if kind == "heading" else 0))

    def walk(self, node: Any) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                self._buffer.append(child.text_content or "")
            elif tag.startswith("-") or tag in _SKIP or _hidden(child):
                continue  # comments, doctype, and what a reader does not see
            elif tag == "br":
                self.flush()
            elif tag in _HEADINGS:
                self._block(child, "heading", _HEADINGS[tag])
            elif tag == "dt" or (tag == "p" and _bold_only(child)):
                self._block(child, "term")
            elif tag in ("ul", "ol", "dl"):
                self._list(child, tag)
            elif tag == "li":
                self._item(child)
            elif tag == "table":
                self.flush()
                self.lines.extend(table_lines(_rows(child)))
            elif tag == "pre":
                self.flush()
                self.lines.extend(Line(visible(x)) for x in child.text().splitlines() if visible(x))
            elif tag in _BLOCKS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)  # inline element: its text joins the current line

    def _block(self, node: Any, kind: LineKind, level: int = 0) -> None:
        self.flush()
        saved = self._kind, self._level, self._marker
        self._kind, self._level, self._marker = kind, level, ""
        self.walk(node)
        self.flush()
        self._kind, self._level, self._marker = saved

    def _list(self, node: Any, tag: str) -> None:
        self.flush()
        start = node.attributes.get("start") or "1"
        self._lists.append([int(start)] if tag == "ol" and start.lstrip("-").isdigit() else [])
        self.walk(node)
        self.flush()
        self._lists.pop()

    def _item(self, node: Any) -> None:
        self.flush()
        counter = self._lists[-1] if self._lists else []
        marker = f"{counter[0]}. " if counter else "- "
        if counter:
            counter[0] += 1
        saved = self._kind, self._marker
        self._kind, self._marker = "text", marker
        self.walk(node)
        self.flush()
        self._kind, self._marker = saved[0], ""


def _bold_only(node: Any) -> bool:
    """A paragraph whose only content is one `<strong>`/`<b>`: a term, as in many FAQs."""
    parts = [
        child
        for child in node.iter(include_text=True)
        if not (child.tag == "-text" and not (child.text_content or "").strip())
    ]
    return len(parts) == 1 and parts[0].tag in ("strong", "b")


def _rows(table: Any) -> list[list[str]]:
    """Cell texts of a table's rows (nested tables' rows are read as their own rows)."""
    rows = []
    for tr in table.css("tr"):
        cells = [_cell_text(cell) for cell in tr.iter() if cell.tag in ("th", "td")]
        rows.append(cells)
    return rows


def _cell_text(node: Any) -> str:
    walker = _Walker()
    walker.walk(node)
    walker.flush()
    return " ".join(line.text for line in walker.lines)
