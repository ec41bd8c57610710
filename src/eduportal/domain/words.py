"""Word rules shared by everything that compares answers without a model.

The lexical embedder and the key-term check must agree on when two words are "the same word":
"produces" and "produced" share a stem, "big" and "large" fold into one synonym, and a
negation is one kind of word whatever its spelling. Keeping those rules here, in one pure
module, is what lets the check say "'release' became 'capture'" about exactly the words the
lexical engine would have told apart.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
"""A word, with an inner apostrophe kept ("can't", "earth's")."""
_SIBILANT_PLURALS = ("sses", "shes", "ches", "xes", "zes")
NEGATIONS = frozenset(
    {
        "no",
        "not",
        "nor",
        "never",
        "none",
        "cannot",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "won't",
    }
)
_DOUBLED = frozenset("bdgmnprt")
"""Consonants English doubles before -ing/-ed ("running", "stopped")."""

_SYNONYMS = (
    "big large huge enormous great",
    "small little tiny",
    "fast quick rapid swift",
    "slow sluggish",
    "start begin commence",
    "end finish stop",
    "make create produce generate",
    "help assist aid",
    "buy purchase",
    "show demonstrate display",
    "use utilize employ",
    "get obtain acquire receive gain",
    "give provide supply",
    "need require",
    "keep store retain",
    "kid child",
    "happy glad joyful",
    "sad unhappy",
    "smart intelligent clever",
    "important significant essential vital crucial",
    "many numerous",
    "energy power",
    "car automobile vehicle",
    "house home dwelling",
    "mistake error",
    "answer reply response",
    "ask question",
    "allow permit let",
    "build construct",
    "change alter modify",
    "choose select pick",
    "die perish",
    "grow increase rise",
    "decrease reduce decline",
    "eat consume",
    "hard difficult",
    "easy simple",
    "look see observe watch",
    "method way approach",
    "part portion piece",
    "plant vegetation",
    "place location",
    "talk speak",
    "think believe",
    "try attempt",
    "whole entire",
)


def stem(word: str) -> str:
    """Suffix stripping just good enough that a word's inflections share one feature."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    elif (word.endswith("ly") and len(word) > 4) or word.endswith(_SIBILANT_PLURALS):
        word = word[:-2]
    elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] in _DOUBLED:
        return word[:-1]
    return word


_CANONICAL = {stem(word): stem(group.split()[0]) for group in _SYNONYMS for word in group.split()}


def canonical(word: str) -> str:
    """The stem of a lower-case word, folded onto its synonym group's first member."""
    stemmed = stem(word)
    return _CANONICAL.get(stemmed, stemmed)
