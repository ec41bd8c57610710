"""Texts and passwords the tests share."""

from __future__ import annotations

PASSWORD = "correct horse battery"

TEXT = (
    "The mitochondrion is the powerhouse of the cell. It produces most of the chemical energy "
    "needed to power the cell's biochemical reactions. This energy is stored in a molecule "
    "called adenosine triphosphate. Mitochondria have their own DNA, inherited from the mother. "
    "Red blood cells in mammals have no mitochondria at all. Muscle cells contain thousands of "
    "them because they need so much energy."
)
