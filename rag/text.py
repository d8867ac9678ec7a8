"""Plain-text helpers shared by retrieval, evidence selection and verification.

Sentence splitting, word tokens, content terms and the "checkable facts" of a sentence (numbers,
amounts, years, proper names). Pure functions, no models.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? followed by space and an upper-case letter, digit, quote or bracket;
# line breaks always end a sentence (the corpus puts headings, bullets and table rows on lines).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“'(\[A-Z0-9£$€])")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_NUMBER = re.compile(r"[£$€]?\d[\d,.]*\s?(?:k|m|bn|%|percent)?", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z0-9]+(?:[ -][A-Z][a-zA-Z0-9]+)*\b")
# Nothing, or an opening quote, bracket or colon, before a word: it is capitalised as a start.
_OPENS_A_SPAN = re.compile(r"(?:^|[\"'“‘(\[:])\s*$")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Dr.", "Mr.", "Ms.")

_PLAIN_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves s t don ll re ve y let won't can't
    much many tell explain describe give please say said according already really vs versus
    """.split()
)
# A stopword's contractions are stopwords too ("they'd", "you're", "isn't", "should've"): the
# possessive "'s" is already dropped by `words`.
STOPWORDS = _PLAIN_STOPWORDS | {
    f"{w}{ending}" for w in _PLAIN_STOPWORDS for ending in ("'d", "'re", "'ve", "'ll", "'m", "n't")
}


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, each stripped; line breaks are hard boundaries."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        protected = line
        for abbreviation in _ABBREVIATIONS:
            protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
        pending = ""
        for part in _SENTENCE_END.split(protected):
            pending = f"{pending} {part}" if pending else part
            # A sentence end inside a quotation (a table cell's “…”) does not end the line's
            # sentence.
            if pending.count("“") <= pending.count("”"):
                sentences.append(pending.replace("\x00", ".").strip())
                pending = ""
        if pending:
            sentences.append(pending.replace("\x00", ".").strip())
    return [s for s in sentences if s]


# `Row (Column): “cell”` or a bare `“cell”`: quotation marks only around the cell.
_CELL_LINE = re.compile(r"(?:[^“”\n]+: )?“[^\n]*”")


def quotes_own_cell(line: str) -> bool:
    """A table cell line as ingest renders it, `Row (Column): “cell”`: it already quotes the
    article's words, so it is shown as it is, not inside another pair of quotation marks. A
    sentence that merely ends on a quoted phrase ("this is called “vibe coding”") is not one."""
    return _CELL_LINE.fullmatch(line) is not None


def words(text: str) -> list[str]:
    """Lower-cased word tokens (keeps digits and in-word apostrophes; a possessive "'s" is
    dropped, so "guide's" is "guide")."""
    tokens = _WORD.findall(text.lower().replace("’", "'"))
    return [t[:-2] if t.endswith("'s") else t for t in tokens]


def stem(word: str) -> str:
    """A deliberately light stemmer: enough to match plurals and -ing/-ed/-e forms."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1]  # programm -> program
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_terms(text: str) -> set[str]:
    """Stemmed words of `text` that are not stopwords."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


# Nouns for a text. With no source named, a question must name one of these to be about the
# guides at all ("Which articles do you have?"), and in the plural it asks about all of them; in
# a source's title or publisher they name that source ("the newsletter", "the lesson").
TEXT_NOUNS = frozenset(
    content_terms("article guide post blog newsletter lesson piece source document text")
)


_ACRONYM = re.compile(r"\b([A-Z]{2,5})s?\b")


def acronym_terms(text: str, other: str) -> set[str]:
    """Terms of `text` that name the same thing as an acronym or its spelled-out words in
    `other`: "ML" in one and "machine learning" in the other (initials, in order), both ways.
    Lets a check that wants every word of a sentence in its evidence accept an abbreviation."""
    return _acronyms_spelled_out(text, other) | spelled_out_acronyms(text, other)


def spelled_out_acronyms(text: str, other: str) -> set[str]:
    """Stems of the words of `text` that spell out an acronym of `other` ("machine learning"
    for "ML")."""
    tokens = _initial_tokens(text)
    covered: set[str] = set()
    for acronym in _acronyms(other):
        for i in _spelled_at(acronym, tokens):
            covered |= {stem(t) for t in tokens[i : i + len(acronym)]}
    return covered


def _acronyms_spelled_out(text: str, other: str) -> set[str]:
    """Stems of the acronyms of `text` whose words `other` spells out."""
    tokens = _initial_tokens(other)
    return {stem(acronym) for acronym in _acronyms(text) if _spelled_at(acronym, tokens)}


def _acronyms(text: str) -> set[str]:
    return {a.lower() for a in _ACRONYM.findall(text)}


def _initial_tokens(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def _spelled_at(acronym: str, tokens: list[str]) -> list[int]:
    """Where consecutive tokens' initials spell `acronym`."""
    n = len(acronym)
    return [
        i for i in range(len(tokens) - n + 1) if "".join(t[0] for t in tokens[i : i + n]) == acronym
    ]


# "Retrieval-Augmented Generation (RAG)", "Large Language Models (LLMs)": a text defining an
# acronym by the words whose initials spell it.
_DEFINED_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]*[A-Z])s?\)")
_WORD_RUN = re.compile(r"[A-Za-z]+")


def defined_acronyms(text: str) -> dict[str, str]:
    """Acronym (lower case) -> the words `text` spells it out with, where it defines one as
    "Long Form (LF)": the words right before the bracket whose initials are its letters."""
    found: dict[str, str] = {}
    for match in _DEFINED_ACRONYM.finditer(text):
        acronym = match.group(1).lower()
        before = text[max(0, match.start() - 30 * len(acronym)) : match.start()]
        tokens = list(_WORD_RUN.finditer(before))[-len(acronym) :]
        if (
            len(tokens) == len(acronym)
            and "".join(t.group(0)[0] for t in tokens).lower() == acronym
        ):
            found.setdefault(acronym, normalise_space(before[tokens[0].start() :]).rstrip(" ,;:"))
    return found


def expand_acronyms(question: str, long_forms: dict[str, str]) -> str:
    """`question` with the first use of each acronym the corpus defines spelled out as a text
    defines it ("What is RAG?" -> "What is Retrieval-Augmented Generation (RAG)?"), unless the
    long form is there already. (Long form first: "What is RAG?" then has cosine 0.51 with the
    corpus's closest sentence, against 0.38 with the long form after the acronym.)"""
    done: set[str] = set()

    def spelled_out(match: re.Match[str]) -> str:
        acronym = match.group(1).lower()
        long_form = long_forms.get(acronym)
        if long_form is None or acronym in done or long_form.lower() in question.lower():
            return match.group(0)
        done.add(acronym)
        return f"{long_form} ({match.group(0)})"

    return _ACRONYM.sub(spelled_out, question)


def numbers(text: str) -> set[str]:
    """Numbers, amounts and years in `text`, normalised (e.g. "£105k", "2026", "3%")."""
    found = set()
    for match in _NUMBER.findall(text):
        token = match.strip().rstrip(".,").lower().replace(" ", "").replace(",", "")
        if any(ch.isdigit() for ch in token):
            found.add(token)
    return found


def proper_names(text: str) -> set[str]:
    """Lower-cased capitalised words that are not just the first word of a sentence, quotation or
    bracket. The corpus's own capitalised words ("Engineer") are names too: a caller tests them
    against the corpus's vocabulary or the evidence, where they are found."""
    names = set()
    for sentence in split_sentences(text):
        for match in _CAPITALISED.finditer(sentence):
            word_list = match.group(0).replace("-", " ").split()
            if _OPENS_A_SPAN.search(sentence[: match.start()]):
                word_list = word_list[1:]  # a sentence's, quotation's or bracket's first word
            for word in word_list:
                lowered = word.lower()
                if lowered in STOPWORDS or len(word) < 3:
                    continue
                names.add(lowered)
    return names


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
