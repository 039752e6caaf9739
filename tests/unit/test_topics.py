"""Topic clusters of a day's comments: TF-IDF, k chosen by eigengap, k-means on the LSA projection,
labelled by top terms; seeded and deterministic. Pure: no AWS."""

import random

import numpy as np
import pytest

from contentflow.comments.topics import clusters, kmeans

SHIPPING = [
    "My order still hasn't shipped, the delivery is two weeks late",
    "Shipping is so slow, my package is stuck in transit",
    "Tracking number says the package has not moved for ten days",
    "When will my order be delivered? Shipping delay is ridiculous",
    "Delivery was promised for Monday, still no package",
    "Is there a shipping delay? My tracking shows nothing",
    "Late delivery again, the package took a month",
    "The courier lost my package, delivery never arrived",
    "Shipping to France takes forever, order placed three weeks ago",
    "Any update on delivery? The tracking page is blank",
    "Livraison en retard, mon colis n'est toujours pas arrivé, le tracking est bloqué",
    "Toujours pas de livraison, le tracking du colis ne bouge plus",
    "Colis en retard de deux semaines, la livraison est trop lente",
    "Mon package est bloqué, aucune livraison depuis dix jours",
    "Le shipping vers la France prend une éternité, colis en retard",
]
BATTERY = [
    "The battery dies after two hours, terrible battery life",
    "Battery drains overnight even when switched off",
    "My battery won't hold a charge anymore",
    "Does the battery really last ten hours? Mine barely lasts three",
    "Battery gets hot while charging, is that normal?",
    "Charging takes forever and the battery drops fast",
    "Battery life is half what the video claims",
    "After a month the battery swelled, charge stops at 80%",
    "Is there a battery replacement? It no longer charges",
    "Battery drain is awful since the update",
    "La batterie ne tient pas la charge, autonomie de deux heures",
    "Ma batterie chauffe pendant la charge, c'est normal ?",
    "Batterie morte après un mois, la charge ne marche plus",
    "Autonomie décevante, la batterie se vide en une nuit, même en charge",
    "La batterie gonfle et la charge s'arrête, battery défectueuse",
]
PRICE = [
    "What is the price? Any discount code?",
    "Is there a promo code for this? The price is too high",
    "Price dropped last week, will there be another discount?",
    "Any discount for students? The price is steep",
    "Where can I get it at a lower price? Promo code please",
    "Is the discount still valid? The code didn't work",
    "Price is 20 euros more than last month, why?",
    "Got it with a promo code, great price",
    "Black Friday discount coming? The current price is too much",
    "Does the promo code apply to the bundle price?",
    "Quel est le prix ? Un code promo peut-être ?",
    "Le prix est trop cher, il y a une promo ou un discount ?",
    "Code promo qui ne marche pas, le prix reste le même",
    "Prix en baisse pendant la promo, j'ai utilisé le code discount",
    "Une promo prévue ? Le prix a augmenté, code promo svp",
]
TOPICS = {
    "shipping": (SHIPPING, {"shipping", "delivery", "package", "tracking", "livraison", "colis", "retard"}),
    "battery": (BATTERY, {"battery", "batterie", "charge", "charging", "autonomie"}),
    "price": (PRICE, {"price", "prix", "promo", "code", "discount"}),
}


def corpus(shuffle_seed):
    """The 45 comments in a shuffled order, with each one's true topic."""
    labelled = [(text, name) for name, (texts, _) in TOPICS.items() for text in texts]
    random.Random(shuffle_seed).shuffle(labelled)
    return [text for text, _ in labelled], [name for _, name in labelled]


@pytest.mark.parametrize("shuffle_seed", [0, 1, 2, 3, 4])
def test_three_obvious_topics_are_found_whatever_the_order(shuffle_seed):
    texts, truth = corpus(shuffle_seed)

    topics = clusters(texts, seed=shuffle_seed)

    assert len(topics) == 3
    assert [t.size for t in topics] == [15, 15, 15]
    found = set()
    for topic in topics:
        (name,) = {truth[i] for i in topic.members}  # every comment of one true topic
        found.add(name)
        assert len(topic.members) == topic.size == 15
        words = TOPICS[name][1]
        assert set(topic.label.split(", ")) <= words, (name, topic.label)  # the label names its words
        assert len(topic.label.split(", ")) == 3
        assert set(topic.terms[:3]) == set(topic.label.split(", "))
        assert len(topic.weights) == len(topic.terms) and all(w > 0 for w in topic.weights)
        assert topic.weights == sorted(topic.weights, reverse=True)  # terms weightiest first
        assert len(topic.examples) == 3
        assert [texts[i] for i in topic.example_indices] == topic.examples
    assert found == {"shipping", "battery", "price"}


def test_a_comment_added_to_each_topic_joins_it():
    texts, truth = corpus(7)
    extra = [
        "Still waiting for my colis, no tracking",
        "La batterie is dead again",
        "Any promo on the price?",
    ]
    topics = clusters(texts + extra, seed=3)
    assert [t.size for t in topics] == [16, 16, 16]
    truth = [*truth, "shipping", "battery", "price"]
    assert sorted(len({truth[i] for i in t.members}) for t in topics) == [1, 1, 1]


def test_english_and_french_comments_of_a_topic_meet():
    topics = clusters(SHIPPING + BATTERY + PRICE, seed=0)
    french = {i for i, text in enumerate(SHIPPING + BATTERY + PRICE) if i % 15 >= 10}
    for topic in topics:
        assert 0 < len(french & set(topic.members)) < topic.size  # both languages in each topic


def test_same_seed_same_topics_and_other_seeds_agree_on_the_obvious():
    texts, _ = corpus(11)
    first = [t.model_dump() for t in clusters(texts, seed=5)]
    again = [t.model_dump() for t in clusters(texts, seed=5)]
    assert first == again
    for seed in (0, 1, 2):
        assert sorted(t.label for t in clusters(texts, seed=seed)) == sorted(t["label"] for t in first)


def test_k_given_is_honoured():
    texts, _ = corpus(0)
    assert [t.size for t in clusters(texts, k=1)] == [45]
    assert sum(t.size for t in clusters(texts, k=5, seed=1)) == 45
    assert len(clusters(texts, k=5, seed=1)) == 5
    with pytest.raises(ValueError, match="k must be at least 1"):
        clusters(texts, k=0)


@pytest.mark.parametrize(
    ("texts", "sizes"),
    [
        pytest.param([], [], id="none"),
        pytest.param(["Where is my parcel?"], [1], id="one"),
        pytest.param(["Where is my parcel?", "Battery is dead"], [2], id="two"),
        pytest.param(["🔥🔥", "👍"], [], id="no-words"),
        pytest.param(["the and le la", "ok ok"], [1], id="stop-words-only-count-nothing"),
        pytest.param(["same words", "same words", "same words"], [3], id="identical"),
        pytest.param(["same words"] * 10, [10], id="identical-many-k-clamped"),
    ],
)
def test_tiny_inputs(texts, sizes):
    topics = clusters(texts)
    assert [t.size for t in topics] == sizes
    for topic in topics:
        assert topic.label and topic.examples


def test_identical_comments_give_one_example_each():
    (topic,) = clusters(["Great price!", "great   PRICE!", "great price"])
    assert topic.examples == ["Great price!"]
    assert topic.size == 3


def test_a_k_above_the_distinct_comments_is_clamped():
    topics = clusters(["battery dead", "battery dead", "price please", "price please"], k=4)
    assert sorted(t.size for t in topics) == [2, 2]


def test_kmeans_is_deterministic_for_a_seed_and_finds_separated_blobs():
    rng = np.random.default_rng(42)
    blobs = np.vstack([rng.normal(centre, 0.05, size=(20, 2)) for centre in ((0, 0), (3, 0), (0, 3))])
    labels, centres = kmeans(blobs, 3, np.random.default_rng(1))
    again, _ = kmeans(blobs, 3, np.random.default_rng(1))
    assert np.array_equal(labels, again)
    assert sorted(np.bincount(labels).tolist()) == [20, 20, 20]
    for blob in range(3):
        assert len(set(labels[blob * 20 : (blob + 1) * 20])) == 1
    np.testing.assert_allclose(sorted(centres.round(1).tolist()), [[0, 0], [0, 3], [3, 0]], atol=0.1)
