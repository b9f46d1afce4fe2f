"""Words for what a person reads: red flags by name, timeframes, studies, no internal ids.

Standard library only, shared by the text and Markdown renderers, the intake and practice.
"""

from __future__ import annotations

import re

from hamstring_cli.model import TIMEFRAME_WORDS, id_words

__all__ = [
    "SNAKE_CASE",
    "flag_action",
    "heading_words",
    "plural",
    "reference_words",
    "sentence",
    "study_words",
    "timeframe_words",
    "without_asides",
]

#: Where a first clause ends: a semicolon, or a full stop before a space.
_CLAUSE_END = re.compile(r";\s|\.\s|\.$")


def flag_action(name: str, advice: str) -> str:
    """What a red flag's advice says to do, as a sentence: the advice after the flag's name.

    A red flag's advice often opens with its name ('Possible cauda equina syndrome: emergency
    department now ...'); shown under that name, the advice goes on from there. Advice that
    does not open with the name is shown whole.
    """
    text = " ".join(advice.split())
    if not name or not text.lower().startswith(name.lower()):
        return sentence(text)
    rest = text[len(name) :].lstrip(" :-–—")
    if rest.startswith("("):
        # '(a very swollen tight thigh, ...): emergency department now' keeps its aside.
        close = rest.find(")")
        after = rest[close + 1 :] if close >= 0 else ""
        # '(...), which tendinopathy does not cause: MRI ...': what to do follows the colon.
        colon = after.find(": ")
        if colon >= 0 and "." not in after[:colon]:
            after = after[colon + 2 :]
        rest = after.lstrip(" ,;:-–—") or rest
    return sentence(rest.lstrip(" ,;")) if rest.strip(" ,;") else sentence(text)


def sentence(text: str) -> str:
    """Text with a capital first letter and a full stop at the end."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def humanise(identifier: str) -> str:
    """An id in words: 'cauda_equina' -> 'Cauda equina'."""
    return id_words(identifier)


def plural(count: int, unit: str) -> str:
    """A count with its unit, singular for one: '1 day', '3 days'."""
    if count in (1, -1) and unit.endswith("s") and not unit.endswith("ss"):
        unit = unit[:-1]
    return f"{count} {unit}".strip()


#: A snake_case id: two or more lower-case words joined by underscores.
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def reference_words(citation: str) -> str:
    """A citation with one dash style: '-' in number ranges, ' - ' between words."""
    text = " ".join(citation.split())
    text = re.sub(r"(?<=\d)\s*[–—]\s*(?=\d)", "-", text)
    return re.sub(r"\s*[–—]\s*|\s+-\s+", " - ", text)


def without_asides(text: str) -> str:
    """Text without its bracketed asides: 'a pop (LR+ 10.2, ...)' -> 'a pop'."""
    shorter = re.sub(r"\s*\([^()]*\)", "", " ".join(text.split())).strip()
    return shorter or text


def timeframe_words(timeframe: str) -> str:
    """A timeframe as a sentence reads it: 'same day' -> 'the same day'."""
    return TIMEFRAME_WORDS.get(timeframe, timeframe)


def study_words(modality: str, site: str | None) -> str:
    """A study in words: 'MRI of the hamstring origin', 'X-ray of the pelvis', 'MRI'."""
    words = f"{modality} of the {site}" if site else modality
    return words[:1].upper() + words[1:]


def heading_words(label: str, timeframe: str) -> str:
    """A decision's heading: 'URGENT: the same day'; 'ROUTINE' alone, not 'ROUTINE: routine'."""
    words = timeframe_words(timeframe)
    if not words or words.lower() == label.lower():
        return label.upper()
    return f"{label.upper()}: {words}"
