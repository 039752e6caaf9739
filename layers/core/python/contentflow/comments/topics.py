"""A day's comments grouped into topics: TF-IDF rows, k-means in numpy, each topic named by its top terms.

1. Words (`text.tokens`, negations left out) weighted by TF-IDF, rows of unit length; from 10
   comments on, a word of one comment only is left out (it cannot group anything).
2. k, when not given: the eigengap of the normalised cosine-affinity Laplacian (spectral
   clustering's rule: as many topics as eigenvalues before the largest jump), over
   2..min(8, n // 3), ties to the smaller; computed on a seeded sample of at most 500 comments;
   under 6 comments, one topic. (The silhouette was tried first: on short bilingual comments it
   kept splitting each topic by language.)
3. The rows projected on their k leading singular vectors (LSA) and made unit again, so English and
   French comments of one topic meet through the words they share ("tracking", "code promo").
4. k-means there: k-means++ starts (D² sampling), Lloyd's iterations, `RESTARTS` restarts keeping
   the lowest inertia, all from one `numpy.random.default_rng(seed)`: the same texts and seed give
   the same topics.
5. Each topic: its terms and their mean TF-IDF weight over its comments (the label is the first
   three), its size, and its most central comments (closest to its centre, distinct texts, up to
   three).

Comments without a word that counts (emoji only, stop words only, or only words no other comment
uses) belong to no topic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from contentflow.comments.text import TfIdf, tokens

RESTARTS = 4
MAX_ITERATIONS = 100
MAX_K = 8
MAX_FEATURES = 1_000
SAMPLE = 500
EXACT_SVD_MAX = 300
OVERSAMPLING = 10
POWER_ITERATIONS = 5
LABEL_TERMS = 3
TOP_TERMS = 8
EXAMPLES = 3


class Topic(BaseModel):
    """One recurring subject of the day's comments, as the API shows it."""

    label: str = Field(description="its top terms, most weighty first")
    size: int = Field(description="how many comments it holds")
    terms: list[str] = Field(description=f"up to {TOP_TERMS} top terms by weight in its centre")
    weights: list[float] = Field(description="each term's mean TF-IDF weight over its comments, as `terms`")
    examples: list[str] = Field(description=f"up to {EXAMPLES} of its most central comments, distinct")
    example_indices: list[int] = Field(description="the examples' positions in the texts given")
    members: list[int] = Field(description="the positions of all its comments in the texts given")


def clusters(texts: Sequence[str], *, k: int | None = None, seed: int = 0) -> list[Topic]:
    """The topics of `texts`, largest first; `k` topics when given (at most as many as there are
    distinct comments), else chosen by eigengap. Empty input: no topic."""
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    docs = [tokens(text, negations=False) for text in texts]
    kept = [i for i, doc in enumerate(docs) if doc]
    if not kept:
        return []
    vectors, terms, kept = _vectors([docs[i] for i in kept], kept)
    rng = np.random.default_rng(seed)
    distinct = len({row.tobytes() for row in vectors.round(9)})
    k = min(_eigengap_k(vectors, distinct, rng) if k is None else k, distinct)
    labels, _ = kmeans(_project(vectors, k, rng), k, rng)
    topics = [_topic(texts, vectors, kept, labels, cluster, terms) for cluster in range(k)]
    return sorted((t for t in topics if t.size), key=lambda t: (-t.size, t.label))


def _vectors(docs: list[list[str]], kept: list[int]) -> tuple[np.ndarray, tuple[str, ...], list[int]]:
    """Unit TF-IDF rows of the comments that keep a word, and their positions."""
    model = TfIdf.fit(docs, min_df=2 if len(docs) >= 10 else 1, max_features=MAX_FEATURES)
    if not model.terms:
        model = TfIdf.fit(docs, max_features=MAX_FEATURES)
    vectors = model.transform(docs)
    nonzero = np.flatnonzero(vectors.any(axis=1))
    return vectors[nonzero], model.terms, [kept[i] for i in nonzero]


def _eigengap_k(vectors: np.ndarray, distinct: int, rng: np.random.Generator) -> int:
    """The k of 2..min(8, n // 3) after which the normalised Laplacian's eigenvalues jump most."""
    top = min(MAX_K, len(vectors) // 3, distinct)
    if top < 2:
        return 1
    sample = vectors
    if len(vectors) > SAMPLE:
        sample = vectors[np.sort(rng.choice(len(vectors), SAMPLE, replace=False))]
    affinity = sample @ sample.T
    np.fill_diagonal(affinity, 0.0)
    degree = affinity.sum(axis=1)
    scale = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    laplacian = np.eye(len(sample)) - scale[:, None] * affinity * scale[None, :]
    eigenvalues = np.linalg.eigvalsh(laplacian)[: top + 1]
    gaps = np.diff(eigenvalues)  # gaps[k - 1]: the jump after the k smallest
    return 2 + int(np.argmax(gaps[1:top]))


def _project(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """The rows on their k leading singular directions (LSA), unit again; k = 1 needs none."""
    if k == 1:
        return vectors
    projected = vectors @ _leading_directions(vectors, k, rng).T
    norms = np.linalg.norm(projected, axis=1, keepdims=True)
    return np.divide(projected, norms, out=np.zeros_like(projected), where=norms > 0)


def _leading_directions(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """The k leading right singular vectors: exact for small matrices, else by the randomized range
    finder with power iterations (Halko, Martinsson and Tropp 2011): a full SVD of 3,000 comments
    by 1,000 terms takes 15 s on one core, this a fraction of a second."""
    if min(vectors.shape) <= EXACT_SVD_MAX:
        return np.linalg.svd(vectors, full_matrices=False)[2][:k]
    basis = np.linalg.qr(vectors @ rng.standard_normal((vectors.shape[1], k + OVERSAMPLING)))[0]
    for _ in range(POWER_ITERATIONS):
        basis = np.linalg.qr(vectors @ np.linalg.qr(vectors.T @ basis)[0])[0]
    return np.linalg.svd(basis.T @ vectors, full_matrices=False)[2][:k]


def kmeans(vectors: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(label per row, centres): the best of `RESTARTS` k-means++ runs by inertia (first on ties)."""
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(RESTARTS):
        labels, centres, inertia = _lloyd(vectors, _plus_plus(vectors, k, rng))
        if best is None or inertia < best[0] - 1e-12:
            best = (inertia, labels, centres)
    assert best is not None
    return best[1], best[2]


def _squared_distances(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d = (vectors**2).sum(1)[:, None] - 2 * vectors @ centres.T + (centres**2).sum(1)[None, :]
    return np.maximum(d, 0.0)


def _plus_plus(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++: the first centre uniformly, each next one with probability ∝ squared distance."""
    centres = [vectors[rng.integers(len(vectors))]]
    closest = _squared_distances(vectors, np.array(centres))[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        pick = rng.choice(len(vectors), p=closest / total) if total > 0 else rng.integers(len(vectors))
        centres.append(vectors[pick])
        closest = np.minimum(closest, _squared_distances(vectors, vectors[pick][None, :])[:, 0])
    return np.array(centres)


def _lloyd(vectors: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    labels = np.full(len(vectors), -1)
    for _ in range(MAX_ITERATIONS):
        distances = _squared_distances(vectors, centres)
        new = distances.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(len(centres)):
            members = vectors[labels == c]
            if len(members):
                centres[c] = members.mean(axis=0)
            else:  # an emptied centre restarts at the row farthest from its own
                far = int(distances[np.arange(len(vectors)), labels].argmax())
                centres[c], labels[far] = vectors[far], c
    distances = _squared_distances(vectors, centres)
    return labels, centres, float(distances[np.arange(len(vectors)), labels].sum())


def _topic(
    texts: Sequence[str],
    vectors: np.ndarray,
    kept: list[int],
    labels: np.ndarray,
    cluster: int,
    terms: tuple[str, ...],
) -> Topic:
    rows = np.flatnonzero(labels == cluster)
    if not len(rows):
        return Topic(label="", size=0, terms=[], weights=[], examples=[], example_indices=[], members=[])
    centre = vectors[rows].mean(axis=0)
    order = sorted(np.flatnonzero(centre > 0), key=lambda column: (-centre[column], terms[column]))
    top = [terms[column] for column in order[:TOP_TERMS]]
    closeness = vectors[rows] @ centre
    examples: list[str] = []
    indices: list[int] = []
    seen: set[tuple[str, ...]] = set()  # one example per wording: "Great price!" = "great price"
    for position in sorted(range(len(rows)), key=lambda p: (-closeness[p], rows[p])):
        text = texts[kept[rows[position]]]
        if len(examples) < EXAMPLES and (key := tuple(tokens(text))) not in seen:
            seen.add(key)
            examples.append(text)
            indices.append(kept[rows[position]])
    return Topic(
        label=", ".join(top[:LABEL_TERMS]),
        size=len(rows),
        terms=top,
        weights=[float(centre[column]) for column in order[:TOP_TERMS]],
        examples=examples,
        example_indices=indices,
        members=[kept[row] for row in rows],
    )
