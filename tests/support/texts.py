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

# Classroom texts, one per subject, for the offline generators: what a teacher would paste.

SCIENCE = (
    "Photosynthesis is the process by which green plants make their own food. Plants take in "
    "carbon dioxide from the air through tiny pores called stomata. Their roots draw water up "
    "from the soil. Inside the leaves, chloroplasts capture the energy of sunlight with a green "
    "pigment called chlorophyll. This energy turns carbon dioxide and water into glucose, a "
    "simple sugar. Oxygen is released into the air as a by-product."
)

HISTORY = (
    "In 1215 King John of England faced a revolt by his barons. The barons were angry about "
    "heavy taxes and unfair justice. They forced the king to meet them at Runnymede, a meadow "
    "beside the River Thames. There John sealed a charter that later became known as Magna "
    "Carta. The charter said that no free man could be imprisoned without the lawful judgement "
    "of his peers. Pope Innocent III declared the agreement invalid only ten weeks later."
)

GEOGRAPHY = (
    "The Amazon River flows about 6,400 kilometres across South America to the Atlantic Ocean. "
    "Its basin covers parts of Brazil, Peru, Colombia and six other countries. More than a "
    "thousand tributaries feed the river, and the largest of them is the Rio Negro. The Amazon "
    "rainforest around it is the largest tropical forest on Earth. Jaguars, sloths and poison "
    "dart frogs live among its trees. Every year farmers and loggers clear large areas of the "
    "forest for cattle and soy."
)

LANGUAGE = (
    "A noun is a word that names a person, a place or a thing. A verb describes an action, "
    "such as run, think or grow. Adjectives describe nouns: in the phrase a scarlet kite, the "
    "adjective is scarlet. Adverbs usually modify verbs and often end in -ly, like quickly. A "
    "conjunction such as and or but joins two clauses into one sentence. Pronouns like she and "
    "they stand in for nouns already mentioned."
)
