"""Words for what a person reads: red flags by name, timeframes, studies, no internal ids.

Standard library only, shared by the text and Markdown renderers, the intake and practice.
"""

from __future__ import annotations

import re

from hamstring_cli.model import TIMEFRAME_WORDS

#: The longest name taken from the start of a red flag's advice; longer, the id is used.
_NAME_MAX = 100
#: Where a red flag's name ends in its advice: a colon, a spaced dash or an opening bracket.
_NAME_END = re.compile(r":\s|\s[-–—]\s|\s\(")


def flag_name(flag_id: str, advice: str) -> str:
    """A red flag in words: the start of its advice ('Possible cauda equina syndrome').

    A questionnaire's red-flag advice names the problem first and then says what to do
    ('Possible cauda equina syndrome: emergency department now ...'). When it does not, the
    id is turned into words ('cauda_equina' -> 'Cauda equina').
    """
    text = " ".join(advice.split())
    match = _NAME_END.search(text)
    if match is not None and 0 < match.start() <= _NAME_MAX:
        return text[: match.start()].rstrip(" .,")
    return humanise(flag_id)


def flag_action(flag_id: str, advice: str) -> str:
    """What a red flag's advice says to do, after its name, as a sentence."""
    text = " ".join(advice.split())
    name = flag_name(flag_id, advice)
    if not text.startswith(name):
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
    return sentence(rest)


def sentence(text: str) -> str:
    """Text with a capital first letter and a full stop at the end."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def humanise(identifier: str) -> str:
    """An id in words: 'cauda_equina' -> 'Cauda equina'."""
    words = identifier.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


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
