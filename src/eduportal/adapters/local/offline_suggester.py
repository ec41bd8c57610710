"""`AnswerSuggester` without a model: the mechanical fixes a careful reader would make.

Students' slips are mostly the same few dozen misspellings, doubled words, a lowercase "i",
missing capitals and a missing full stop; a table and a handful of rules fix those without
guessing at meaning. The rephrasing swaps words for close synonyms and spells out contractions,
which shows the same idea in other words without claiming to understand it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from eduportal.ports import Suggestions


def _table(spec: str, separator: str) -> dict[str, str]:
    """Pairs `word<separator>replacement` apart by white space; `_` is a space inside one."""
    pairs = (pair.replace("_", " ").split(separator) for pair in spec.split())
    return {wrong: right for wrong, right in pairs}


_MISSPELLINGS = _table(
    """
    teh:the adn:and taht:that thier:their wich:which whcih:which becuase:because becasue:because
    beacuse:because recieve:receive recieved:received beleive:believe belive:believe
    acheive:achieve acheived:achieved wierd:weird freind:friend freinds:friends
    definately:definitely definatly:definitely seperate:separate seperated:separated
    occured:occurred occuring:occurring occurence:occurrence untill:until
    tommorow:tomorrow tomorow:tomorrow goverment:government enviroment:environment
    enviromental:environmental begining:beginning beggining:beginning wether:whether
    alot:a_lot accross:across adress:address agressive:aggressive apparantly:apparently
    arguement:argument basicly:basically calender:calendar caracter:character
    carribean:Caribbean cemetary:cemetery collegue:colleague comming:coming
    commited:committed concious:conscious curiousity:curiosity dissapear:disappear
    dissapoint:disappoint embarass:embarrass existance:existence experiance:experience
    familar:familiar finaly:finally foriegn:foreign fourty:forty futher:further
    gaurd:guard grammer:grammar happend:happened harrass:harass hieght:height
    immediatly:immediately independant:independent knowlege:knowledge libary:library
    lenght:length liscense:license maintainance:maintenance millenium:millennium
    neccessary:necessary necesary:necessary noticable:noticeable ocasion:occasion
    oppurtunity:opportunity persue:pursue posession:possession prefered:preferred
    probaly:probably publically:publicly realy:really reccomend:recommend
    recomend:recommend refered:referred relevent:relevant religous:religious
    remeber:remember resistence:resistance sentance:sentence shoudl:should
    similiar:similar sincerly:sincerely speach:speech succesful:successful
    sucessful:successful supercede:supersede suprise:surprise temperture:temperature
    tendancy:tendency therefor:therefore threshhold:threshold truely:truly
    unfortunatly:unfortunately usualy:usually vaccum:vacuum
    wheather:weather writting:writing youre:you're dont:don't
    doesnt:doesn't didnt:didn't cant:can't wont:won't isnt:isn't wasnt:wasn't
    arent:aren't havent:haven't hasnt:hasn't couldnt:couldn't shouldnt:shouldn't
    wouldnt:wouldn't thats:that's whats:what's im:I'm ive:I've
    photosynthesys:photosynthesis energie:energy rember:remember
    """,
    ":",
)
_SYNONYMS = _table(
    """
    big>large large>big fast>quick quick>fast quickly>rapidly rapidly>quickly happy>glad
    glad>happy important>significant significant>important many>numerous numerous>many
    often>frequently frequently>often maybe>perhaps perhaps>maybe whole>entire entire>whole
    easy>simple mistake>error error>mistake begin>start create>make assist>help
    purchase>buy buy>purchase obtain>get require>need demonstrate>show choose>select
    select>choose construct>build believe>think receive>get additionally>also
    approximately>about therefore>so very>really
    """,
    ">",
)
"""One-way where the reverse would misfire: "the start" must not become "the begin"."""
_CONTRACTIONS = {
    "can't": "cannot",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "hasn't": "has not",
    "couldn't": "could not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "there's": "there is",
    "they're": "they are",
    "you're": "you are",
    "we're": "we are",
    "I'm": "I am",
    "I've": "I have",
}
_LEGITIMATELY_DOUBLED = frozenset({"had", "that", "is"})

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_DOUBLED_WORD = re.compile(r"\b([A-Za-z]+)(\s+\1\b)+", re.IGNORECASE)
_LONE_I = re.compile(r"\bi\b(?!\.e\.)(?=$|[\s',.;:!?])")
_SENTENCE_START = re.compile(r"(^|(?<!\.[A-Za-z])[.!?]\s+)([a-z])")
"""Not after "i.e." or "e.g.", which end in a full stop but not a sentence."""
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=[aeioAEIO])")


class OfflineSuggester:
    def suggest(self, answer: str) -> Suggestions:
        corrected = correct(answer)
        return Suggestions(corrected=corrected, rephrased=rephrase(corrected))


def correct(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?=[A-Za-z])", r"\1 ", text)
    text = re.sub(r"(?<=[a-z]{2})([.!?])(?=[A-Za-z])", r"\1 ", text)
    text = _replace_words(text, _MISSPELLINGS.get)
    text = _DOUBLED_WORD.sub(_undouble, text)
    text = _LONE_I.sub("I", text)
    text = _A_BEFORE_VOWEL.sub(lambda match: match.group(1) + "n ", text)
    text = _SENTENCE_START.sub(lambda match: match.group(1) + match.group(2).upper(), text)
    text = text.rstrip(",;: ")
    return text if text.endswith((".", "!", "?")) else text + "."


def rephrase(text: str) -> str:
    """The corrected answer in other words; "In other words: ..." when no word has a swap
    (a colon, so that a name opening the answer keeps its capital)."""
    if not text:
        return ""
    expanded = _replace_words(text, lambda word: _CONTRACTIONS.get(word, _SYNONYMS.get(word)))
    if expanded != text:
        return expanded
    return f"In other words: {text}"


def _replace_words(text: str, replacement: Callable[[str], str | None]) -> str:
    """Look each word up in lowercase; keep the writer's capitalization on what replaces it."""

    def swap(match: re.Match[str]) -> str:
        word = match.group()
        found = replacement(word.lower()) or replacement(word)
        if found is None:
            return word
        if word.isupper() and len(word) > 1:
            return found.upper()
        return found[0].upper() + found[1:] if word[0].isupper() else found

    return _WORD.sub(swap, text)


def _undouble(match: re.Match[str]) -> str:
    word = match.group(1)
    return match.group() if word.lower() in _LEGITIMATELY_DOUBLED else word
