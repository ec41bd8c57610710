"""What teachers paste: texts the offline generators make five questions and a poster of.

Each create adds a lesson number, so no two texts (and no two posters) are the same.
"""

from __future__ import annotations

from typing import Final

TEXTS: Final = (
    "Photosynthesis is the process by which green plants make their own food. Plants take in "
    "carbon dioxide from the air through tiny pores called stomata. Their roots draw water up "
    "from the soil. Inside the leaves, chloroplasts capture the energy of sunlight with a green "
    "pigment called chlorophyll. This energy turns carbon dioxide and water into glucose, a "
    "simple sugar. Oxygen is released into the air as a by-product.",
    "The water cycle moves water between oceans, air and land. The sun heats the oceans and "
    "water rises as vapour through evaporation. High in the atmosphere the vapour cools and "
    "condensation forms clouds. Precipitation brings the water back down as rain, snow or "
    "hail. Rivers carry the runoff to lakes and seas. Groundwater seeps slowly through "
    "aquifers beneath the surface.",
    "Volcanoes form where magma rises through cracks in the Earth's crust. Shield volcanoes "
    "such as Mauna Loa have gentle slopes built from fluid basalt lava. Stratovolcanoes like "
    "Mount Fuji grow steep cones from layers of ash and andesite. Pyroclastic flows race down "
    "their flanks at great speed. The Ring of Fire around the Pacific holds most active "
    "volcanoes. Geologists measure tremors with seismometers to forecast eruptions.",
    "In 1215 King John of England faced a revolt by his barons. The barons were angry about "
    "heavy taxes and unfair justice. They forced the king to meet them at Runnymede, a meadow "
    "beside the River Thames. There John sealed a charter that later became known as Magna "
    "Carta. The charter said that no free man could be imprisoned without the lawful judgement "
    "of his peers. Pope Innocent III declared the agreement invalid only ten weeks later.",
    "The human heart pumps blood through two circuits. The right ventricle sends blood to the "
    "lungs, where haemoglobin picks up oxygen. The left ventricle pushes oxygenated blood into "
    "the aorta and around the body. Valves stop the blood from flowing backwards between the "
    "chambers. Arteries carry blood away from the heart under high pressure. Veins return it "
    "to the right atrium with the help of muscles and valves.",
)


def text_for(lesson: int) -> str:
    return f"{TEXTS[lesson % len(TEXTS)]} This is lesson {lesson}."
