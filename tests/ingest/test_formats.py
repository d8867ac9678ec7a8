"""Markdown and HTML articles: chunked by their markup's structure, quoted as readers see them."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from ingest.html_outline import MAX_DEPTH, html_outline
from ingest.loader import load_corpus
from ingest.markdown_outline import markdown_outline
from ingest.splitter import MAX_WORDS, Chunk, split_article

ARTICLES = Path(__file__).parent / "articles"
MARKDOWN = ARTICLES / "skills-guide.md"
HTML = ARTICLES / "hiring-notes.html"
_MARKER = re.compile(r"^(?:- |\d+\. )")


class _TextCollector(HTMLParser):
    """Every text node of a page outside <script>/<style>: a reader's view, from the stdlib."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def reader_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    return " ".join(" ".join(collector.parts).split())


def chunks(path: Path, title: str = "") -> list[Chunk]:
    fmt = "markdown" if path.suffix == ".md" else "html"
    return split_article(path.stem, path.read_text(encoding="utf-8"), title, fmt)


def by_kind(items: list[Chunk], kind: str) -> list[Chunk]:
    return [c for c in items if c.kind == kind]


def test_markdown_headings_list_table_and_faq_become_sections_table_and_faq_chunks() -> None:
    got = chunks(MARKDOWN, "Skills for AI Engineers: A Field Guide")
    assert [c.kind for c in got] == ["section", "table", "faq", "faq"]
    section, table, faq_heading, faq_bold = got
    assert section.section.endswith("What the job is")
    assert "The core skills of an AI engineer include:\n- Python and TypeScript for services\n" in (
        section.text
    )
    assert table.section == "Salary bands"
    assert table.text.splitlines()[1:] == [
        "AI Engineer (Junior): “£55k”",
        "AI Engineer (Senior): “£95k”",
        "ML Engineer (Junior): “£60k”",
        "ML Engineer (Senior): “£100k”",
    ]
    # A question sub-heading and a bold question paragraph under the FAQ heading: one pair each.
    assert faq_heading.section == faq_bold.section == "Frequently Asked Questions"
    assert faq_heading.text.startswith("Do AI engineers train their own models?\nRarely.")
    assert faq_bold.text == (
        "Is a PhD required?\n"
        "No. Product teams value shipped projects and solid software engineering over degrees."
    )
    assert not any("Table of contents" in c.text for c in got)


def test_html_headings_list_table_and_definition_faq_become_the_same_structure() -> None:
    got = chunks(HTML, "Hiring Notes: ML Engineers & Their Toolkits")
    assert [c.kind for c in got] == ["section", "table", "faq", "faq"]
    section, table, first, second = got
    assert section.section.endswith("Daily work")
    assert "Typical tools of an ML engineer are:\n- PyTorch or JAX for training\n" in section.text
    assert table.text.splitlines()[1:] == [
        "Mid (London): “£70k”",
        "Mid (Remote): “£65k”",
        "Staff (London): “£120k”",
        "Staff (Remote): “£110k”",
    ]
    assert first.section == "FAQ"
    assert first.text.startswith("Do ML engineers need a research background?\nNot always.")
    assert second.text.startswith("Which language matters most?\nPython")


@pytest.mark.parametrize("path", [MARKDOWN, HTML], ids=["markdown", "html"])
def test_every_chunk_line_is_verbatim_text_a_reader_sees(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    page = (
        MarkdownIt("commonmark").enable("table").render(source) if path.suffix == ".md" else source
    )
    seen = reader_text(page)
    for chunk in chunks(path):
        assert not re.search(r"\*\*|&amp;|&lt;|&mdash;|<[a-z/]|\]\(|`", chunk.text), chunk.text
        if chunk.kind == "table":
            continue  # rows read "label: header: cell"; the cells themselves are checked below
        for line in chunk.text.splitlines():
            assert _MARKER.sub("", line) in seen, line
    table = by_kind(chunks(path), "table")[0]
    for cell in ("£55k", "£95k", "Junior") if path.suffix == ".md" else ("£120k", "Remote"):
        assert cell in table.text and cell in seen


def test_html_leaves_out_what_a_reader_does_not_see() -> None:
    text = "\n".join(c.text for c in chunks(HTML))
    for hidden in ("do not index this", "font-family", "Secret draft", "Home", "© 2026"):
        assert hidden not in text  # script, style, hidden element, nav/footer outside <article>
    assert "look for — and what they skip" in text  # &mdash; decoded


def test_a_list_stays_in_one_chunk_with_its_lead_in_when_a_long_section_is_split() -> None:
    # Sized so that packing by sentences alone would cut right after the lead-in line.
    prose = " ".join(
        f"Sentence number {n} explains one more detail of the role." for n in range(10)
    )
    items = "\n".join(f"- Skill {n} that a hiring panel checks" for n in range(14))
    source = f"# Guide\n\n## Long section\n\n{prose}\n\nThe skills you need include:\n\n{items}\n"
    got = split_article("long", source, "Guide", "markdown")
    assert len(got) > 1 and all(c.words <= MAX_WORDS for c in got)
    holding = [c for c in got if "The skills you need include:" in c.text]
    assert len(holding) == 1
    assert all(f"- Skill {n} that a hiring panel checks" in holding[0].text for n in range(14))


@pytest.mark.parametrize(
    ("name", "source", "title"),
    [
        (
            "front.md",
            "---\ntitle: From Front Matter\n---\n# Heading\n\nBody text.\n",
            "From Front Matter",
        ),
        ("h1.md", "Some intro line.\n\n# The *First* Heading\n\nBody text.\n", "The First Heading"),
        ("plain.md", "Just a first line\n\nand more body text.\n", "Just a first line"),
        (
            "titled.html",
            "<title>Page &amp; Title</title><h1>Heading</h1><p>Body.</p>",
            "Page & Title",
        ),
        ("h1.html", "<body><p>Lead.</p><h1>Only <em>H1</em></h1><p>Body.</p></body>", "Only H1"),
    ],
)
def test_title_comes_from_the_document_when_the_manifest_has_none(
    tmp_path: Path, name: str, source: str, title: str
) -> None:
    (tmp_path / name).write_text(source, encoding="utf-8")
    (article,) = load_corpus(tmp_path).articles
    assert article.title == title
    assert article.fmt == ("markdown" if name.endswith(".md") else "html")


def test_manifest_title_wins_over_the_documents_own(tmp_path: Path) -> None:
    shutil.copy(MARKDOWN, tmp_path)
    (tmp_path / "sources.json").write_text('{"skills-guide": {"title": "Manifest Title"}}')
    (article,) = load_corpus(tmp_path).articles
    assert article.title == "Manifest Title"


def test_outlines_mark_headings_items_rows_and_terms() -> None:
    md = markdown_outline("## Head\n\n1. one\n2. two\n\n**Bold?**\n\n|a|b|\n|-|-|\n|c|d|\n")
    assert [(x.kind, x.text) for x in md.lines] == [
        ("heading", "Head"),
        ("item", "1. one"),
        ("item", "2. two"),
        ("term", "Bold?"),
        ("row", "c (b): “d”"),
    ]
    html = html_outline('<h3>Head</h3><ol start="4"><li>four</li></ol><dl><dt>Q?</dt></dl>')
    assert [(x.kind, x.text, x.level) for x in html.lines] == [
        ("heading", "Head", 3),
        ("item", "4. four", 0),
        ("term", "Q?", 0),
    ]


def test_html_nested_too_deep_is_refused_at_once_instead_of_parsed_for_minutes() -> None:
    from ingest.outline import OutlineError

    deep = "<div>" * 100_000 + "text" + "</div>" * 100_000  # lexbor alone: over a minute
    with pytest.raises(OutlineError, match=f"more than {MAX_DEPTH} deep"):
        html_outline(deep)
    assert html_outline("<div>" * MAX_DEPTH + "fine" + "</div>" * MAX_DEPTH).lines[0].text == "fine"
