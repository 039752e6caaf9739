"""Comments as vectors: words, TF-IDF and cosine similarity, in numpy alone (no scikit-learn on Lambda).

The weighting is scikit-learn's `TfidfVectorizer` defaults (raw counts, smooth idf
`ln((1 + n) / (1 + df)) + 1`, rows scaled to unit length), so tests can check it against that
reference; the words are ours (`tokens`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[^\W_]+")  # Unicode letters and digits; spaces, punctuation, `_` and emoji separate

# Words too common to tell comments apart: the seeds' comments are French, the interface English.
# Kept short on purpose. Words of one letter (elisions: l', d', j') never count.
STOP_WORDS = frozenset(
    """
    an and are as at be been but by can do does for from had has have he her his how if in is it its
    just me my of on or our she so than that the their them then there these they this to too us was
    we were what when which who will with would you your
    ai au aux avec ce ces cet cette dans de des du elle en est et être été il ils je la le les leur
    lui ma mais me mes moi mon nous on ou où par pour qu que qui sa se ses son sont sur ta te tes
    ton tu un une vos votre vous ça
    ll ve re
    """.split()  # noqa: SIM905 -- a list of words reads best as words
)
# Kept for similarity ("not received" is not "received"), left out of topics, whose labels they
# would fill ("ne, pas").
NEGATIONS = frozenset(  # "doesn't" is read as "doesn" and "t"
    """
    no not never nor ne pas plus jamais non ni aucun aucune
    don doesn didn isn aren wasn weren hasn haven hadn couldn wouldn shouldn
    """.split()  # noqa: SIM905
)


def tokens(text: str, *, negations: bool = True) -> list[str]:
    """The words of `text` that count, in order: lower case (Unicode case folding, NFKC), accents
    kept, stop words, one-letter words and bare numbers left out, negations kept unless asked.
    "J'ai reçu le colis 2 fois" → ['reçu', 'colis', 'fois']."""
    folded = unicodedata.normalize("NFKC", text.casefold())
    dropped = STOP_WORDS if negations else STOP_WORDS | NEGATIONS
    return [
        word for word in _WORD.findall(folded) if len(word) > 1 and not word.isdigit() and word not in dropped
    ]


def _idf(n_docs: int, df: np.ndarray) -> np.ndarray:
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


@dataclass(frozen=True)
class TfIdf:
    """A vocabulary (sorted, so columns never depend on input order) and its idf weights."""

    terms: tuple[str, ...]
    idf: np.ndarray

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], *, min_df: int = 1, max_features: int | None = None) -> TfIdf:
        """From tokenized documents: terms in at least `min_df` of them, at most `max_features` (the
        most frequent in documents, ties alphabetical)."""
        df = Counter(term for doc in docs for term in set(doc))
        kept = [term for term, count in df.items() if count >= min_df]
        if max_features is not None and len(kept) > max_features:
            kept = sorted(kept, key=lambda term: (-df[term], term))[:max_features]
        terms = tuple(sorted(kept))
        return cls(terms, _idf(len(docs), np.array([df[t] for t in terms], dtype=float)))

    def transform(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Dense rows of unit length, one per document (one without a known term: zeros)."""
        index = {term: column for column, term in enumerate(self.terms)}
        pairs = [(row, index[term]) for row, doc in enumerate(docs) for term in doc if term in index]
        matrix = np.zeros((len(docs), len(self.terms)))
        if pairs:
            rows, columns = np.asarray(pairs, dtype=np.intp).T
            np.add.at(matrix, (rows, columns), 1.0)
        return _unit_rows(matrix * self.idf)


def tfidf(
    docs: Sequence[Sequence[str]], *, min_df: int = 1, max_features: int | None = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Tokenized documents as unit TF-IDF rows (one per document, in order) and the columns' terms."""
    model = TfIdf.fit(docs, min_df=min_df, max_features=max_features)
    return model.transform(docs), model.terms


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of `a` with every row of `b` (zero rows: 0)."""
    return _unit_rows(np.atleast_2d(a)) @ _unit_rows(np.atleast_2d(b)).T


class Index:
    """Examples ready to be compared with one comment at a time: built once, each query is a few
    numpy operations over the examples' (example, term, count) entries, never a dense matrix.

    A query is weighted as if it had been fitted with the examples (idf over examples + query, so
    its words unknown to the examples still lengthen it): the score is exactly scikit-learn's cosine
    after `TfidfVectorizer().fit_transform(examples + [query])`. Otherwise a long comment that
    merely contains an example ("first! but my battery died") would score 1.0 against it.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        vocabulary: dict[str, int] = {}
        rows, columns, counts = [], [], []
        for row, text in enumerate(texts):
            for term, count in Counter(tokens(text)).items():
                rows.append(row)
                columns.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        self.size = len(texts)
        self._vocabulary = vocabulary
        self._rows = np.asarray(rows, dtype=np.intp)
        self._columns = np.asarray(columns, dtype=np.intp)
        self._counts = np.asarray(counts, dtype=float)
        self._df = np.bincount(self._columns, minlength=len(vocabulary)).astype(float)

    def __len__(self) -> int:
        return self.size

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` with each example, in the examples' order."""
        if not self.size:
            return np.zeros(0)
        query = Counter(tokens(text))
        known = [(self._vocabulary[t], c) for t, c in query.items() if t in self._vocabulary]
        unknown = np.array([c for t, c in query.items() if t not in self._vocabulary], dtype=float)
        known_columns = np.array([column for column, _ in known], dtype=np.intp)
        known_counts = np.array([count for _, count in known], dtype=float)

        n_docs = self.size + 1
        df = self._df.copy()
        df[known_columns] += 1
        idf = _idf(n_docs, df)
        weights = self._counts * idf[self._columns]
        norms = np.sqrt(np.bincount(self._rows, weights * weights, minlength=self.size))

        query_weights = np.zeros(len(self._vocabulary))
        query_weights[known_columns] = known_counts * idf[known_columns]
        unknown_weights = unknown * _idf(n_docs, np.ones(1))[0]
        query_norm = np.sqrt(np.sum(query_weights**2) + np.sum(unknown_weights**2))
        if query_norm == 0:
            return np.zeros(self.size)
        dots = np.bincount(self._rows, weights * query_weights[self._columns], minlength=self.size)
        scores = np.divide(dots, norms * query_norm, out=np.zeros(self.size), where=norms > 0)
        return np.clip(scores, 0.0, 1.0)

    def similar(self, text: str) -> tuple[int | None, float]:
        """The most similar example's position and its score; (None, 0.0) when no example shares a
        word with `text` (ties: the first)."""
        scores = self.scores(text)
        if not scores.size or scores.max() <= 0:
            return None, 0.0
        best = int(np.argmax(scores))
        return best, float(scores[best])


def similar(text: str, examples: Sequence[str] | Index) -> tuple[int | None, float]:
    """`text`'s most similar example (position, TF-IDF cosine); build an `Index` once for many texts."""
    index = examples if isinstance(examples, Index) else Index(examples)
    return index.similar(text)
