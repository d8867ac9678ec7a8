"""Claims for probing the answer verifier, generated deterministically from the indexed chunks.

Each claim is one sentence built from a statement of the guides. `faithful` claims keep its
meaning (the sentence itself, one of its clauses, or a conservative rule-based rewording) and
should be accepted; every other kind changes its meaning and should be rejected:

- `role_swap`: the AI engineer and the ML engineer roles exchanged;
- `entity_swap`: a number, amount, percentage or name moved to another entity;
- `negation`: a negation inserted or removed;
- `comparative_flip`: more/less, higher/lower, better/worse... reversed;
- `other_article`: a sentence checked against the other articles only (its own left out).

Generation is pure text work (no model) and seeded: the same chunks and seed give the same
claims. Retrieving evidence for the claims and verifying them is `benchmarks.verifier`'s job.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from evals.attribution import COMPARATIVE_FLIPS
from evals.metrics import StoredChunk
from rag.text import STOPWORDS, content_terms, split_sentences, words

FAITHFUL = "faithful"
ROLE_SWAP = "role_swap"
ENTITY_SWAP = "entity_swap"
NEGATION = "negation"
COMPARATIVE_FLIP = "comparative_flip"
OTHER_ARTICLE = "other_article"
PERTURBATIONS = (ROLE_SWAP, ENTITY_SWAP, NEGATION, COMPARATIVE_FLIP, OTHER_ARTICLE)
KINDS = (FAITHFUL, *PERTURBATIONS)

MIN_WORDS = 6  # shorter lines are headings, list stubs or fragments
NEAR_DUPLICATE = 0.8  # share of a sentence's content words another article's sentence holds
SKIPPED_CHUNK_KINDS = ("quiz",)  # quiz options are deliberate distractors, not statements


@dataclass(frozen=True)
class Claim:
    """One sentence to verify, with the statement it was made from."""

    kind: str
    subkind: str
    text: str
    original: str
    chunk_id: str
    doc_id: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Statement:
    """A statement sentence of a stored chunk: the raw material of every claim."""

    text: str
    chunk_id: str
    doc_id: str
    chunk_text: str


@dataclass
class ClaimSet:
    claims: list[Claim]
    available: dict[str, int]  # kind -> distinct claims the corpus allowed (before sampling)
    available_subkinds: dict[str, dict[str, int]]


# -- statements ------------------------------------------------------------------------------

_QA_PREFIX = re.compile(r"^[QA]\s*:\s*")
_ENDS_STATEMENT = re.compile(r"[.!][\"”’')\]]*$")


def is_statement(sentence: str) -> bool:
    """A full sentence that states something: not a heading, question, list stub or table row."""
    s = sentence.strip()
    return (
        len(words(s)) >= MIN_WORDS
        and not s.endswith((":", "?"))
        and "|" not in s
        and _ENDS_STATEMENT.search(s) is not None
    )


def statements(chunks: Mapping[str, StoredChunk]) -> list[Statement]:
    """Every statement sentence of the non-quiz chunks, in chunk-id order, once per article
    (chunks overlap, so a sentence can be stored twice)."""
    out: list[Statement] = []
    seen: set[tuple[str, str]] = set()
    for chunk in sorted(chunks.values(), key=lambda c: c.chunk_id):
        if chunk.kind in SKIPPED_CHUNK_KINDS:
            continue
        for sentence in split_sentences(chunk.text):
            sentence = _QA_PREFIX.sub("", sentence)
            key = (chunk.doc_id, sentence.lower())
            if is_statement(sentence) and key not in seen:
                seen.add(key)
                out.append(Statement(sentence, chunk.chunk_id, chunk.doc_id, chunk.text))
    return out


# -- shared helpers --------------------------------------------------------------------------


def _match_case(word: str, template: str) -> str:
    """`word` written in the case style of `template` (UPPER, Title or lower)."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _as_sentence(text: str) -> str:
    text = _capitalise(text.strip().rstrip(",;:").strip())
    return text if _ENDS_STATEMENT.search(text) else text + "."


def _replace_span(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


# -- faithful --------------------------------------------------------------------------------

_MARKER = re.compile(
    r"^(?:however|in addition|additionally|moreover|furthermore|also|for example|for instance|"
    r"in fact|similarly|likewise|as a result|consequently|therefore|thus|ultimately|in short|"
    r"overall|that said|of course)\s*,\s+|^(?:but|and|so)\s+(?=[a-z])",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"\b(AI|ML)\b")
_SPELLED = re.compile(r"\b(artificial intelligence|machine learning)\b", re.IGNORECASE)
_EXPANSIONS = {"ai": "artificial intelligence", "ml": "machine learning"}
_CONTRACTIONS = {"artificial intelligence": "AI", "machine learning": "ML"}
SYNONYMS = {
    "typically": "usually",
    "usually": "typically",
    "often": "frequently",
    "frequently": "often",
    "commonly": "often",
    "primarily": "mainly",
    "mainly": "primarily",
}
_SYNONYM = re.compile(r"\b(" + "|".join(SYNONYMS) + r")\b", re.IGNORECASE)
# A clause states something on its own only if it has a finite verb of its own.
_FINITE = re.compile(
    r"\b(?:is|are|was|were|can|cannot|could|will|would|should|must|may|might|has|have|had|"
    r"do|does|did|need|needs|requires?|involves?|uses?|focus(?:es)?|builds?|makes?|"
    r"offers?|provides?|includes?|allows?|helps?|creates?|remains?|becomes?|means|demands?|"
    r"depends?|relies|rely|leads?|takes?|spends?|handles?|ensures?|develops?|"
    r"deploys?|gives?|earns?|prefers?|tends?|enables?)\b",
    re.IGNORECASE,
)
_PRONOUN = r"they|it|this|these|that|those|he|she|we|you|i|there"
_PRONOUN_START = re.compile(rf"^(?:{_PRONOUN})\b", re.IGNORECASE)
_SUBJECT_START = re.compile(
    rf"^(?:{_PRONOUN}|the|a|an|many|most|some|their|its|our|your|each|both|[A-Z]\w*)\b"
)
_CLAUSE_JOIN = re.compile(r",\s+(?:and|but)\s+")
_NOT_ONLY = re.compile(r"\bnot (?:only|just|simply|merely)\b", re.IGNORECASE)


def _states(clause: str) -> bool:
    """At least MIN_WORDS words and a finite verb ("to deploy" is not one)."""
    return len(words(clause)) >= MIN_WORDS and any(
        not clause[: m.start()].endswith("to ") for m in _FINITE.finditer(clause)
    )


def clauses(sentence: str) -> list[str]:
    """Parts of `sentence` cut at ';' or ', and' / ', but' that still make a statement."""
    if _NOT_ONLY.search(sentence):
        return []  # "not only X, but also Y": the halves do not stand alone
    parts = sentence.split(";")
    out = [p for p in parts if len(parts) > 1 and _clause(p.strip(), any_subject=True)]
    for match in _CLAUSE_JOIN.finditer(sentence):
        before, after = sentence[: match.start()], sentence[match.end() :]
        # A comma before the cut usually means a list ("A, B, and C"), not two clauses: then
        # only a part opening with a pronoun ("..., and you need to read ...") stands alone.
        listed = "," in before or ";" in before
        if not listed and _states(before):
            out.append(before)
        if ";" not in after and _clause(after, not listed):
            out.append(after)
    unique = []
    for clause in (_as_sentence(c) for c in out):
        if clause.lower() != sentence.lower() and clause not in unique:
            unique.append(clause)
    return unique


def _clause(part: str, any_subject: bool) -> bool:
    opening = _SUBJECT_START if any_subject else _PRONOUN_START
    return opening.match(part) is not None and _states(part)


def drop_marker(sentence: str) -> str | None:
    """The sentence without a leading discourse marker ("However, ...")."""
    match = _MARKER.match(sentence)
    if not match:
        return None
    return _capitalise(sentence[match.end() :])


def switch_acronyms(sentence: str) -> str | None:
    """Spells out "AI"/"ML", or, when the sentence has neither, shortens the spelled-out forms."""
    if _ACRONYM.search(sentence):

        def expand(m: re.Match[str]) -> str:
            word = _EXPANSIONS[m.group(1).lower()]
            following = sentence[m.end() : m.end() + 2].strip()
            # "ML Engineer" -> "Machine Learning Engineer", "ML models" -> "machine learning models"
            return " ".join(w.capitalize() for w in word.split()) if following.isupper() else word

        out = _ACRONYM.sub(expand, sentence)
        out = _ARTICLE_A.sub(r"\1 ", out)
        return _capitalise(out)
    if _SPELLED.search(sentence):
        return _SPELLED.sub(lambda m: _CONTRACTIONS[m.group(1).lower()], sentence)
    return None


def synonyms(sentence: str) -> str | None:
    """Hedging adverbs swapped for same-meaning ones ("typically" -> "usually")."""
    if not _SYNONYM.search(sentence):
        return None
    return _SYNONYM.sub(lambda m: _match_case(SYNONYMS[m.group(1).lower()], m.group(1)), sentence)


def faithful(statement: Statement) -> list[tuple[str, str]]:
    """(subkind, text) for the statement and each meaning-keeping variant of it."""
    s = statement.text
    out = [("exact", s)]
    out += [("clause", c) for c in clauses(s)]
    for subkind, rule in (
        ("drop_marker", drop_marker),
        ("acronym", switch_acronyms),
        ("synonym", synonyms),
    ):
        variant = rule(s)
        if variant and variant.lower() != s.lower():
            out.append((subkind, variant))
    return out


# -- role swap -------------------------------------------------------------------------------

_ROLE = re.compile(
    r"\b(AI|ML|artificial intelligence|machine learning)(?=[\s-]+engineer)", re.IGNORECASE
)
_ROLE_PAIR = re.compile(
    r"\b(?:ai|ml|machine learning|artificial intelligence)\s*(?:and|or|/|&|vs\.?|versus)\s*"
    r"(?:ai|ml|machine learning|artificial intelligence)\b",
    re.IGNORECASE,
)
# "Machine Learning Engineer" becomes "AI Engineer" (the form the guides use), not the rare
# "Artificial Intelligence Engineer".
_OTHER_ROLE = {
    "ai": "ML",
    "ml": "AI",
    "artificial intelligence": "machine learning",
    "machine learning": "AI",
}
_ARTICLE_AN = re.compile(r"\b([Aa]) (?=AI\b|[Aa]rtificial\b)")
_ARTICLE_A = re.compile(r"\b([Aa])n (?=[Mm]achine\b)")
_CONTRAST = re.compile(r"\b(?:while|whereas|but|than|unlike|instead)\b", re.IGNORECASE)
_SYMMETRIC = re.compile(r"\b(?:similar|same|alike|identical|overlaps?|equal|both)\b", re.I)


def role_side(phrase: str) -> str:
    return "ai" if phrase.lower() in ("ai", "artificial intelligence") else "ml"


def mentioned_roles(sentence: str) -> set[str]:
    """The engineer roles ("ai", "ml") the sentence names; "AI and ML engineers" names both."""
    found = {role_side(m.group(1)) for m in _ROLE.finditer(sentence)}
    if _ROLE_PAIR.search(sentence):
        found |= {"ai", "ml"}
    return found


def _swap_roles(sentence: str) -> str:
    swapped = _ROLE.sub(_swap_role, sentence)
    return _ARTICLE_A.sub(r"\1 ", _ARTICLE_AN.sub(r"\1n ", swapped))


def _swap_role(m: re.Match[str]) -> str:
    phrase = m.group(1)
    other = _OTHER_ROLE[phrase.lower()]
    if other.isupper():
        return other
    return " ".join(_match_case(w, t) for w, t in zip(other.split(), phrase.split(), strict=True))


def role_swap(statement: Statement) -> list[tuple[str, str]]:
    """The other role wherever a sentence about exactly one role names it; and, where a sentence
    says different things of the two roles in different clauses, the two roles exchanged."""
    s = statement.text
    roles = mentioned_roles(s)
    if len(roles) == 1:
        return [("ai_to_ml" if roles == {"ai"} else "ml_to_ai", _swap_roles(s))]
    mentions = list(_ROLE.finditer(s))
    if _ROLE_PAIR.search(s) or len(mentions) < 2:
        return []
    # "the difference between an AI and a ML engineer" reads the same swapped; a verb or a
    # contrast between the two mentions ("ML engineers train models, while AI engineers ...",
    # "AI engineers earn more than ML engineers") does not.
    for first, second in itertools.pairwise(mentions):
        gap = s[first.end() : second.start()]
        if role_side(first.group(1)) == role_side(second.group(1)) or _SYMMETRIC.search(gap):
            continue
        if _FINITE.search(gap) or _CONTRAST.search(gap):
            return [("both_swapped", _swap_roles(s))]
    return []


# -- entity swap -----------------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?<![\w.\-/])[£$€]?\d+(?:[.,]\d+)*(?:\s?(?:k|m|bn|percent)\b|%)?(?![\w%])", re.IGNORECASE
)
_RANGE_GAP = re.compile(r"^\s*(?:-|–|—|to|and|or)\s*$", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)*\b")
_ROLE_WORDS = frozenset({"ai", "ml"})


def number_type(token: str) -> str:
    """currency / percent / year / plain, so numbers are only ever swapped with their kind."""
    t = token.lower()
    if t[:1] in "£$€":
        return "currency"
    if t.endswith(("%", "percent")):
        return "percent"
    if re.fullmatch(r"(?:19|20)\d\d", t):
        return "year"
    return "plain"


def _norm_number(token: str) -> str:
    return token.lower().replace(" ", "").replace(",", "")


def number_swaps(statement: Statement) -> list[tuple[str, str]]:
    """Two numbers of one kind that belong to different things in the sentence, exchanged."""
    s = statement.text
    found = list(_NUMBER.finditer(s))
    for i, first in enumerate(found):
        for second in found[i + 1 :]:
            a, b = first.group(0), second.group(0)
            if number_type(a) != number_type(b) or _norm_number(a) == _norm_number(b):
                continue
            if _RANGE_GAP.match(s[first.end() : second.start()]):
                continue  # "2 to 5 years" is one range, not two entities
            swapped = s[: first.start()] + b + s[first.end() : second.start()] + a
            return [("number_swap", swapped + s[second.end() :])]
    return []


def number_from_chunk(statement: Statement, rng: random.Random) -> list[tuple[str, str]]:
    """Each number of the sentence replaced by another one of its kind stated elsewhere in the
    same chunk (the figure of a neighbouring entity)."""
    s = statement.text
    own = list(_NUMBER.finditer(s))
    own_values = {_norm_number(m.group(0)) for m in own}
    elsewhere = {
        m.group(0)
        for m in _NUMBER.finditer(statement.chunk_text)
        if _norm_number(m.group(0)) not in own_values
    }
    out = []
    for target in own:
        options = sorted(n for n in elsewhere if number_type(n) == number_type(target.group(0)))
        if options:
            new = rng.choice(options)
            out.append(("number_from_chunk", _replace_span(s, target.start(), target.end(), new)))
    return out


def name_vocabulary(texts: Iterable[str]) -> list[str]:
    """Capitalised tool, company and place names in the corpus's statements (see
    `_sentence_names`)."""
    texts = list(texts)
    lower_words = lowercase_words(texts)
    return sorted({m.group(0) for t in texts for m in _names_in(t, lower_words)})


def lowercase_words(texts: Iterable[str]) -> set[str]:
    return {w for t in texts for w in re.findall(r"\b[a-z][a-z0-9]*\b", t)}


def _sentence_names(sentence: str, lower_words: set[str]) -> list[re.Match[str]]:
    """Names in mid-sentence: capitalised words that never occur in lower case (so "Engineer"
    is not one), outside title-case phrases ("Large Language Models", "Resume Template") and
    not opening a clause ("Core Philosophy: Focuses on ...")."""
    matches = list(_NAME.finditer(sentence))
    out = []
    for i, m in enumerate(matches):
        name, low = m.group(0), m.group(0).lower()
        before = sentence[: m.start()].rstrip()
        if not before or before[-1] in ":—\"“'‘" or len(name) < 2 or not re.search("[a-z]", low):
            continue
        if low in _ROLE_WORDS or low in lower_words or low in STOPWORDS:
            continue
        parts = name.split("-")
        if any(p.lower() in _ROLE_WORDS or p.islower() for p in parts):
            continue  # "AI-powered", "LLM-as-a-judge": a description, not a name
        neighbours = matches[i - 1 : i] + matches[i + 1 : i + 2]
        if any(_adjacent(sentence, m, n) for n in neighbours):
            continue
        out.append(m)
    return out


def _adjacent(sentence: str, a: re.Match[str], b: re.Match[str]) -> bool:
    first, second = (a, b) if a.start() < b.start() else (b, a)
    return sentence[first.end() : second.start()] == " "


def _name_key(name: str) -> str:
    """A name's key for sameness: "APIs" and "API" are one name."""
    low = name.lower()
    return low[:-1] if low.endswith("s") and len(low) > 3 else low


def _names_in(text: str, lower_words: set[str]) -> list[re.Match[str]]:
    sentences = [_QA_PREFIX.sub("", s) for s in split_sentences(text)]
    return [m for s in sentences if is_statement(s) for m in _sentence_names(s, lower_words)]


def name_swaps(
    statement: Statement, names: Sequence[str], lower_words: set[str], rng: random.Random
) -> list[tuple[str, str]]:
    """Each name of the sentence replaced by another name, from the same chunk when it has one
    the sentence does not already use, else from the whole corpus."""
    s = statement.text
    present = _sentence_names(s, lower_words)
    used = {_name_key(m.group(0)) for m in present} | {_name_key(w) for w in words(s)}
    in_chunk = {m.group(0) for m in _names_in(statement.chunk_text, lower_words)}
    chunk_names = sorted(n for n in in_chunk if _name_key(n) not in used)
    corpus_names = [n for n in names if _name_key(n) not in used]
    subkind = "name_from_chunk" if chunk_names else "name_from_corpus"
    options = chunk_names or corpus_names
    out = []
    for target in present if options else []:
        new = rng.choice(options)
        out.append((subkind, _replace_span(s, target.start(), target.end(), new)))
    return out


# -- negation --------------------------------------------------------------------------------

_THIRD_PERSON = dict(
    pair.split(":")
    for pair in """requires:require involves:involve needs:need uses:use focuses:focus
    includes:include demands:demand offers:offer means:mean relies:rely depends:depend
    builds:build works:work makes:make allows:allow helps:help creates:create provides:provide
    leads:lead takes:take gives:give matters:matter remains:remain ensures:ensure""".split()
)
_BASE_TO_THIRD = {base: third for third, base in _THIRD_PERSON.items()}
_CONTRACTED = dict(
    pair.split(":")
    for pair in """isn't:is aren't:are wasn't:was weren't:were don't:do doesn't:does won't:will
    shouldn't:should can't:can cannot:can""".split()
)
_NEGATED = re.compile(
    r"\b(?:(is|are|was|were|should|will|must|may|might|could|would|do|does) not"
    r"|(isn't|aren't|wasn't|weren't|don't|doesn't|won't|shouldn't|can't|cannot)|(never))"
    r"(?: (\w+))?",
    re.IGNORECASE,
)
# Lower case only: "May" is a month, a capitalised "Uses" starts a heading.
_AFFIRMATIVE = re.compile(
    r"\b(is|are|was|were|can|will|should|must|may|might|could|would)\b(?! not\b)"
    r"|\b(" + "|".join(_THIRD_PERSON) + r")\b"
)


def _without_negation(m: re.Match[str]) -> str | None:
    """What a matched negation becomes once removed, or None when that is not safe."""
    aux, contracted, never, verb = m.groups()
    tail = f" {verb}" if verb else ""
    if verb and verb.lower() in ("only", "just", "simply", "merely"):
        return None  # "not only X but also Y" does not deny X
    if never:
        return _match_case("always", never) + tail
    word = (aux or contracted or "").lower()
    if word in ("do", "does", "don't", "doesn't"):
        if not verb:
            return None
        if word in ("does", "doesn't"):
            verb = _BASE_TO_THIRD.get(verb.lower())
            if verb is None:
                return None  # no safe third-person form
        return _match_case(verb, aux or contracted or "")
    if aux:
        return aux + tail
    return _match_case(_CONTRACTED[word], contracted or "") + tail


def remove_negations(sentence: str) -> list[str]:
    """One variant per negation removed ("is not" -> "is", "does not require" -> "requires",
    "cannot" -> "can", "never" -> "always")."""
    out = []
    for m in _NEGATED.finditer(sentence):
        new = _without_negation(m)
        if new is not None:
            out.append(_replace_span(sentence, m.start(), m.end(), new))
    return out


def insert_negations(sentence: str) -> list[str]:
    """One variant per verb that takes a negation simply ("is" -> "is not", "can" -> "cannot",
    "requires" -> "does not require")."""
    out = []
    for m in _AFFIRMATIVE.finditer(sentence):
        aux, third = m.groups()
        if aux:
            new = "cannot" if aux == "can" else f"{aux} not"
        else:
            new = "does not " + _THIRD_PERSON[third]
        out.append(_replace_span(sentence, m.start(), m.end(), new))
    return out


def negation(statement: Statement) -> list[tuple[str, str]]:
    s = statement.text
    return [("remove", t) for t in remove_negations(s)] + [
        ("insert", t) for t in insert_negations(s)
    ]


# -- comparative flip ------------------------------------------------------------------------

_COMPARATIVE = re.compile(r"\b(" + "|".join(COMPARATIVE_FLIPS) + r")\b", re.IGNORECASE)
# "Most companies" is a quantifier; "the most important" is the superlative that flips.
_SUPERLATIVE_CONTEXT = re.compile(r"\b(?:the|is|are|be|at)\s+$", re.IGNORECASE)
_FIXED = re.compile(r"\b(?:more or less|best practices?|no longer|more and more)\b", re.I)


def comparative_flip(statement: Statement) -> list[tuple[str, str]]:
    """One variant per comparative or superlative reversed ("higher" -> "lower")."""
    s = statement.text
    fixed = [(m.start(), m.end()) for m in _FIXED.finditer(s)]
    out = []
    for m in _COMPARATIVE.finditer(s):
        word = m.group(1)
        if any(a <= m.start() < b for a, b in fixed):
            continue
        if word.lower() in ("most", "least") and not _SUPERLATIVE_CONTEXT.search(s[: m.start()]):
            continue
        flipped = _match_case(COMPARATIVE_FLIPS[word.lower()], word)
        subkind = f"{word.lower()}->{flipped.lower()}"
        out.append((subkind, _replace_span(s, m.start(), m.end(), flipped)))
    return out


# -- other article ---------------------------------------------------------------------------


def other_article(
    statements_: Sequence[Statement], chunks: Mapping[str, StoredChunk]
) -> list[tuple[Statement, str]]:
    """Statements no other article nearly repeats (>= NEAR_DUPLICATE of their content words in
    one sentence), so the other articles should not support them."""
    per_doc: dict[str, list[set[str]]] = defaultdict(list)
    for chunk in chunks.values():
        if chunk.kind in SKIPPED_CHUNK_KINDS:
            continue
        for sentence in split_sentences(chunk.text):
            per_doc[chunk.doc_id].append(content_terms(sentence))
    out = []
    for st in statements_:
        terms = content_terms(st.text)
        if not terms:
            continue
        repeated = any(
            len(terms & other) / len(terms) >= NEAR_DUPLICATE
            for doc, sentences in per_doc.items()
            if doc != st.doc_id
            for other in sentences
        )
        if not repeated:
            out.append((st, "sentence"))
    return out


# -- the claim set ---------------------------------------------------------------------------


def generate_claims(
    chunks: Mapping[str, StoredChunk], per_kind: int = 300, seed: int = 0
) -> ClaimSet:
    """Up to `per_kind` claims of every kind, spread evenly over subkinds and articles."""
    sts = statements(chunks)
    texts = [c.text for c in chunks.values() if c.kind not in SKIPPED_CHUNK_KINDS]
    lower_words = lowercase_words(texts)
    names = name_vocabulary(texts)

    def rng_for(kind: str, st: Statement) -> random.Random:
        return random.Random(f"{seed}:{kind}:{st.chunk_id}:{st.text}")

    makers: dict[str, Callable[[Statement], list[tuple[str, str]]]] = {
        FAITHFUL: faithful,
        ROLE_SWAP: role_swap,
        ENTITY_SWAP: lambda st: (
            number_swaps(st)
            + number_from_chunk(st, rng_for(ENTITY_SWAP, st))
            + name_swaps(st, names, lower_words, rng_for(ENTITY_SWAP + "/name", st))
        ),
        NEGATION: negation,
        COMPARATIVE_FLIP: comparative_flip,
    }
    candidates: dict[str, list[Claim]] = {}
    for kind, make in makers.items():
        candidates[kind] = [
            Claim(kind, subkind, text, st.text, st.chunk_id, st.doc_id)
            for st in sts
            for subkind, text in make(st)
            if kind == FAITHFUL or text.lower() != st.text.lower()
        ]
    candidates[OTHER_ARTICLE] = [
        Claim(OTHER_ARTICLE, sub, st.text, st.text, st.chunk_id, st.doc_id)
        for st, sub in other_article(sts, chunks)
    ]

    claims: list[Claim] = []
    available: dict[str, int] = {}
    available_subkinds: dict[str, dict[str, int]] = {}
    for kind in KINDS:
        unique = _unique(candidates[kind])
        available[kind] = len(unique)
        counts: dict[str, int] = defaultdict(int)
        for c in unique:
            counts[c.subkind] += 1
        available_subkinds[kind] = dict(sorted(counts.items()))
        claims += balanced_sample(unique, per_kind, random.Random(f"{seed}:{kind}"))
    return ClaimSet(claims, available, available_subkinds)


def _unique(claims: Iterable[Claim]) -> list[Claim]:
    seen: set[str] = set()
    out = []
    for c in claims:
        key = c.text.lower()
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def balanced_sample(claims: Sequence[Claim], n: int, rng: random.Random) -> list[Claim]:
    """`n` claims taken in turn from each subkind and, within a subkind, from each article, so
    no subkind or article dominates while others still have claims to give."""
    groups: dict[str, dict[str, list[Claim]]] = defaultdict(lambda: defaultdict(list))
    for c in claims:
        groups[c.subkind][c.doc_id].append(c)
    streams = []
    for subkind in sorted(groups):
        per_doc = [groups[subkind][doc] for doc in sorted(groups[subkind])]
        for bucket in per_doc:
            rng.shuffle(bucket)
        rng.shuffle(per_doc)
        streams.append(_interleave(per_doc))
    rng.shuffle(streams)
    return _interleave(streams)[:n]


def _interleave(lists: Sequence[Sequence[Claim]]) -> list[Claim]:
    out: list[Claim] = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out
