"""The answers read from a file or a FHIR QuestionnaireResponse, with where each was given.

A record both answer readers build (:mod:`hamstring_cli.answers` for answer files,
:mod:`hamstring_cli.fhir.response` for a FHIR QuestionnaireResponse), so neither imports the
other's module for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hamstring_cli.errors import Place
from hamstring_cli.model import Answer

__all__ = ["AnswerSet"]


class AnswerSet(dict[str, Answer]):
    """Validated answers by question id, remembering where in which file each was given.

    A plain ``dict`` everywhere answers are read; the places are there for diagnostics about
    answers that are fine in themselves, such as an answer the path never reaches. They are
    looked up when first asked for (:attr:`places`), so that a file read without places is
    read again only when a message needs one. ``update`` with another answer set keeps its
    places too.
    """

    def __init__(
        self,
        answers: Mapping[str, Answer] | Iterable[tuple[str, Answer]] = (),
        places: Mapping[str, Place] | None = None,
    ) -> None:
        super().__init__(answers)
        self._places: dict[str, Place] = dict(places or {})
        # Places not looked up yet, in the order they were given (later ones win).
        self._later: list[Callable[[], Mapping[str, Place]]] = []
        #: The status of the FHIR QuestionnaireResponse the answers were read from (None for
        #: an answer file): a FHIR Bundle of the result keeps it.
        self.status: str | None = None

    @property
    def places(self) -> dict[str, Place]:
        """Where each answer was given: the place of its key (looked up now if not yet)."""
        while self._later:
            self._places.update(self._later.pop(0)())
        return self._places

    @places.setter
    def places(self, places: Mapping[str, Place]) -> None:
        self._places = dict(places)
        self._later = []

    def locate_later(self, find: Callable[[], Mapping[str, Place]]) -> None:
        """Add places that ``find`` looks up when they are first asked for."""
        self._later.append(find)

    def move_places(self, change: Callable[[Place], Place]) -> None:
        """Change every place as it is looked up (a JSON Lines line's places to its line)."""
        known, later = self._places, self._later

        def moved() -> dict[str, Place]:
            found = dict(known)
            for find in later:
                found.update(find())
            return {qid: change(place) for qid, place in found.items()}

        self._places, self._later = {}, [moved]

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add answers (as ``dict.update``); the places (and the response status) of another
        answer set come along."""
        super().update(*args, **kwargs)
        for other in args:
            if isinstance(other, AnswerSet):
                self._later.append(other._all_places)
                if other.status is not None:
                    self.status = other.status

    def _all_places(self) -> Mapping[str, Place]:
        return self.places

    def place(self, question_id: str) -> Place | None:
        """Where the answer to ``question_id`` was given, when known."""
        return self.places.get(question_id)
