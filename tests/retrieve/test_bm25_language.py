"""BM25's language settings: ``bm25:language=...``, ``stemmer=``, ``stopwords=``."""

import importlib.util

import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.retrieve import RETRIEVERS, BM25Retriever, SearchInput
from trueneg.retrieve.bm25 import parse_spec

HAS_STEMMER = importlib.util.find_spec("Stemmer") is not None
DOCS = [
    "le chat dort sur le canapé",  # d0
    "les chiens aboient dans le jardin",  # d1
    "un oiseau chante",  # d2: shares no word with the query
]
NONE = np.array([], dtype=np.int64)


def matched(retriever: BM25Retriever, query: str) -> list[int]:
    found = retriever.search(SearchInput([query], DOCS, [NONE]), depth=10)
    return found.doc_index.tolist()


@pytest.mark.parametrize(
    "value,settings",
    [
        ("robertson", {"method": "robertson"}),
        ("language=french", {"stemmer": "french", "stopwords": "french"}),
        ("stemmer=none,stopwords=fr", {"stemmer": None, "stopwords": "fr"}),
        ("robertson, stopwords=None", {"method": "robertson", "stopwords": None}),
        (
            "method=atire,language=German",
            {"method": "atire", "stemmer": "german", "stopwords": "german"},
        ),
    ],
)
def test_spec_values(value, settings):
    assert parse_spec(value) == settings


@pytest.mark.parametrize("value", ["colour=blue", "stemmer=", "language"])
def test_unreadable_spec_names_the_syntax(value):
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        RETRIEVERS.resolve(f"bm25:{value}")


def test_french_stop_words_are_dropped():
    english = BM25Retriever(stemmer=None)  # "le" is no English stop word
    french = RETRIEVERS.resolve("bm25:stemmer=none,stopwords=fr")
    assert french.stopwords == "fr"
    assert matched(english, "le") == [0, 1]
    assert matched(french, "le") == []
    assert matched(french, "le chat") == [0]


def test_unknown_stop_word_language_is_refused():
    with pytest.raises(ConfigError, match="no stop words"):
        RETRIEVERS.resolve("bm25:stopwords=klingon")


@pytest.mark.skipif(HAS_STEMMER, reason="PyStemmer present")
def test_a_stemmer_language_without_pystemmer_is_refused_at_once():
    with pytest.raises(ConfigError, match="PyStemmer"):
        RETRIEVERS.resolve("bm25:language=french")


@pytest.mark.skipif(not HAS_STEMMER, reason="needs PyStemmer")
def test_french_stemming_matches_plural_and_singular():
    stemmed = RETRIEVERS.resolve("bm25:language=french")
    assert matched(stemmed, "chiens") == [1] and matched(stemmed, "chien") == [1]
    with pytest.raises(ConfigError, match="no stemmer"):
        RETRIEVERS.resolve("bm25:stemmer=klingon")
