"""Questions about the guides themselves: which there are, who wrote one, what one covers.

"Who is Egor Howell?", "Summarise the Big Blue article" and "Which articles do you have?" ask
about a source, not about something in it. Their words are a source's own title or publisher
words and words for a text and its authorship, and no passage states the answer: retrieval finds
whatever shares a word, and coverage declines. Such a question is answered from the index's
manifest (titles, publishers) and the article's own headings and opening sentences, quoted and
cited like any evidence. "Which guide talks about ethics?" asks which source holds a topic: it is
retrieved as its topic, and its answer names the articles its quotes come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.evidence import ANAPHORA, headings_of, is_statement
from rag.generation import Chunk
from rag.retrieve import ChunkIndex, HybridRetriever
from rag.schemas import Citation
from rag.text import STOPWORDS, TEXT_NOUNS, content_terms, stem, words

_TOKEN = re.compile(r"[\w'’-]+(?:\.\w+)*")  # "Levels.fyi" and "fine-tuning" stay one word

# Words for a text, its parts and its authorship. With a source's own naming words and stop
# words, they are all a question about the source itself is made of. General English, not this
# corpus's: a word that could name what a passage talks about ("salary", "skills") is not here.
ABOUT_A_TEXT = frozenset(
    content_terms(
        "article guide post blog newsletter lesson piece page source document text read "
        "cover covered summary summarise summarize overview outline gist describe content topic "
        "section chapter part structure main point discuss discussed talk mention include list "
        "available author write wrote written writer publish published publisher"
    )
)
# "Which guide talks about ethics?", "In which of the articles is RAG discussed?": the question
# asks which source holds a topic.
_WHICH_SOURCE = re.compile(
    r"\b(?:(?:which|what)\s+(?:(?:one\s+)?of\s+the\s+)?|where\s+(?:do|does)\s+the\s+)"
    r"(?:article|guide|post|blog|newsletter|lesson|piece|source|document|text)s?\b",
    re.I,
)
# ...and the verb says it asks where something is said ("Which guide should I read first?" asks
# for advice, not a source).
_SAYING = frozenset(
    f"{verb}{end}"
    for verb in ("talk", "mention", "discuss", "cover", "describe", "explain", "include", "contain")
    for end in ("", "s", "es", "ed", "d")
) | {"say", "says", "said", "has", "have", "had"}
# A pronoun that is not a text's determiner ("this guide") points back at the conversation's
# topic: "Is that in the guide?" asks about it, not about the guide.
_BACK_REFERENCE = re.compile(
    r"\b(?:it|that|this|these|those|they|them)\b(?!\s+(?:article|guide|post|blog|newsletter"
    r"|lesson|piece|source|document|text)s?\b)",
    re.I,
)
MAX_LISTED = 20  # articles a corpus overview names; the rest are counted
MAX_HEADINGS = 12  # top-level headings an article's overview names
OPENING_SENTENCES = 2  # of the article's own words, quoted: what it is about, in its voice
MAX_DOCS = 3  # a question naming more sources than this is answered with the corpus list


@dataclass(frozen=True)
class Overview:
    text: str
    citations: list[Citation]
    chunks: list[Chunk]  # the passages it quotes from, for `Answer.retrieved`


def sources_asked_about(
    question: str, index: ChunkIndex, previous: str | None = None
) -> list[str] | None:
    """The doc_ids whose overview answers `question`, every article's for a question about the
    guides as a whole; None when it asks about something in them. A question naming no source
    ("Who wrote it?", "Who wrote the article?") is about the sources the `previous` question
    named, if it named any."""
    terms = content_terms(question)
    named = index.named_sources(question)
    naming = {w for doc in named for w in index.source_words.get(doc, ())}
    if not terms or terms - naming - ABOUT_A_TEXT or (named and _BACK_REFERENCE.search(question)):
        return None
    plural = any(w.endswith("s") and stem(w) in TEXT_NOUNS for w in words(question))
    if not named and not plural and previous:
        named = index.named_sources(previous)
    if named and not plural and len(named) <= MAX_DOCS:
        return sorted(named, key=lambda doc: index.titles.get(doc, doc))
    if named or terms & TEXT_NOUNS:
        return sorted(index.titles, key=lambda doc: index.titles[doc])
    return None


def which_source_topic(question: str) -> str | None:
    """What a question asking which source covers something is about ("ethics" for "Which guide
    talks about ethics?"): its words that are neither stop words nor words for a text; None for
    any other question, or one with nothing left (that one is about the guides themselves)."""
    if not _WHICH_SOURCE.search(question) or not _SAYING & set(words(question)):
        return None
    kept = [
        w
        for w in _TOKEN.findall(question)
        if w.lower() not in STOPWORDS and stem(w.lower()) not in ABOUT_A_TEXT
    ]
    return " ".join(kept) or None


def sources_line(citations: list[Citation], index: ChunkIndex, topic: str) -> str:
    """Which articles the cited passages that hold every word of `topic` come from (all cited
    ones when none holds them all), in citation order, with their publishers."""
    terms = content_terms(topic)
    holding = [c for c in citations if terms <= content_terms(c.quote)] or citations
    docs = list(dict.fromkeys(c.doc_id for c in holding))
    return (
        "The guides that discuss it: " + "; ".join(_name(d, index, listed=True) for d in docs) + "."
    )


def overview(doc_ids: list[str], index: ChunkIndex, retriever: HybridRetriever) -> Overview:
    """The answer to a question about these articles: for a few, each one's title, publisher,
    headings and opening sentences (quoted, cited); for more, the list of titles."""
    if len(doc_ids) > MAX_DOCS or len(doc_ids) == len(index.titles) > 1:
        return Overview(_corpus_list(doc_ids, index), [], [])
    parts: list[str] = []
    citations: list[Citation] = []
    quoted_chunks: list[Chunk] = []
    assert index.generation is not None
    by_doc = index.generation.by_docs(doc_ids)
    for doc in doc_ids:
        chunks = by_doc.get(doc, [])
        if not chunks:
            continue
        lines = [_name(doc, index)]
        headings = _headings(chunks)
        if headings:
            more = len(headings) - MAX_HEADINGS
            shown = "; ".join(headings[:MAX_HEADINGS]) + (f"; and {more} more" if more > 0 else "")
            lines.append(f"Sections: {shown}.")
        quotes = []
        for chunk, sentence in _opening(chunks, retriever):
            citations.append(
                Citation(
                    n=len(citations) + 1,
                    doc_id=chunk.doc_id,
                    title=chunk.title,
                    chunk_id=chunk.chunk_id,
                    section=chunk.section,
                    quote=sentence,
                )
            )
            quotes.append(f"“{sentence}” [{len(citations)}]")
            if chunk not in quoted_chunks:
                quoted_chunks.append(chunk)
        if quotes:
            lines.append("It opens: " + " ".join(quotes))
        parts.append("\n".join(lines))
    return Overview("\n\n".join(parts), citations, quoted_chunks)


def _name(doc: str, index: ChunkIndex, listed: bool = False) -> str:
    record = index.articles.get(doc)
    title = index.titles.get(doc, doc)
    publisher = record.publisher if record else None
    if listed:
        return f"{title} ({publisher})" if publisher else title
    by = f"From: {publisher}" if publisher else "The article names no author or publisher."
    return f"Title: {title}\n{by}"


def _corpus_list(doc_ids: list[str], index: ChunkIndex) -> str:
    lines = [f"The guides are {len(doc_ids)} article{'s' if len(doc_ids) != 1 else ''}:"]
    lines += [f"- {_name(doc, index, listed=True)}" for doc in doc_ids[:MAX_LISTED]]
    if len(doc_ids) > MAX_LISTED:
        lines.append(f"- and {len(doc_ids) - MAX_LISTED} more.")
    lines.append("Ask about any of them, or name one to hear what it covers.")
    return "\n".join(lines)


def _headings(chunks: list[Chunk]) -> list[str]:
    """The article's top-level headings in order, each once."""
    out: list[str] = []
    for chunk in chunks:
        for part in (chunk.section or "").split("·"):
            heading = part.split("›")[0].strip()
            if heading and heading not in out:
                out.append(heading)
    return out


def _opening(chunks: list[Chunk], retriever: HybridRetriever) -> list[tuple[Chunk, str]]:
    """The article's first statements: whole sentences, not headings, questions or list lead-ins,
    that read right alone (no leading pronoun)."""
    found: list[tuple[Chunk, str]] = []
    stored = retriever.sentences_of(chunks[:3])
    for chunk in chunks[:3]:
        headings = headings_of(chunk)
        for sentence in stored[chunk.chunk_id][0]:
            plain = sentence.strip()
            if (
                is_statement(plain, headings)
                and plain[-1:] in ".!"
                and not ANAPHORA.match(plain)
                and not plain.startswith(chunk.title)
            ):
                found.append((chunk, plain))
                if len(found) == OPENING_SENTENCES:
                    return found
    return found
