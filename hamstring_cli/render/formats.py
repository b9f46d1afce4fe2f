"""The output formats, declared once: the one place to touch to add one.

Every ``--format`` of ``triage`` and of ``batch``, the interactive "save a report" menu, the
fast lane's choices and the typer options are read from :data:`FORMATS`. A format is a small
module in ``hamstring_cli/render/`` that this registry names and imports only when the format
is used, so importing the registry costs nothing (no rich, no FHIR builder):

- a ``triage`` format's module defines ``render(result) -> str`` (the report as a string, for a
  file or for standard output); it may define ``show(result, stream)`` too, to draw on a
  terminal instead (the text summary does);
- a ``batch`` format's module defines ``record_writer(stream, questionnaire)``, which writes
  any header and returns a function that writes one :class:`Record`.

Adding a format: write its module, add its :class:`OutputFormat` here. Standard library only.
"""

# Annotations are evaluated (no ``from __future__ import annotations``): each string annotation
# of a NamedTuple is compiled when its class is made, on every run's start-up.

import sys
from typing import TYPE_CHECKING, NamedTuple, cast

if TYPE_CHECKING:
    # Only for the type checker: the registry is imported by every scripted run, and a
    # Protocol class costs more to create than the rest of this module.
    from collections.abc import Callable
    from typing import IO, Protocol

    from hamstring_cli.errors import Diagnostic
    from hamstring_cli.model import Questionnaire
    from hamstring_cli.scoring import Result

    class ReportModule(Protocol):
        """What a ``triage`` format's module provides."""

        def render(self, result: Result) -> str:
            """The result in this format, as a string."""

    class BatchModule(Protocol):
        """What a ``batch`` format's module provides."""

        def record_writer(
            self, stream: IO[str], questionnaire: Questionnaire
        ) -> "Callable[[Record], None]":
            """Write any header to ``stream``; return a function that writes one record."""


__all__ = [
    "BATCH_DEFAULT",
    "BATCH_FORMATS",
    "FORMATS",
    "SAVED_FORMATS",
    "TRIAGE_DEFAULT",
    "TRIAGE_FORMATS",
    "OutputFormat",
    "Record",
    "batch_module",
    "get",
    "help_text",
    "report_module",
]


class Record(NamedTuple):
    """The outcome of one input of ``batch``: the result's JSON, or the errors that stopped it.

    What a ``batch`` format writes, one a line or row.
    """

    source: str
    result: dict[str, object] | None = None
    errors: tuple["Diagnostic", ...] = ()
    warnings: tuple["Diagnostic", ...] = ()
    #: The status of the FHIR QuestionnaireResponse read, if the input was one.
    response_status: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the input gave a result."""
        return self.result is not None

    def to_dict(self) -> dict[str, object]:
        """The JSON Lines record: the contract result plus ``source``, or an error record."""
        if self.result is not None:
            return {"source": self.source, **self.result}
        first = self.errors[0]
        place = first.place
        return {
            "source": self.source,
            "error": {
                "code": first.code,
                "message": first.message,
                "file": place.file if place else None,
                "line": place.line if place else None,
                "column": place.column if place else None,
                "question": first.question,
            },
        }


class OutputFormat(NamedTuple):
    """One output format: its ``--format`` name, its words, and where it is offered."""

    #: The ``--format`` value.
    name: str
    #: What people read: "the Markdown report", "Saved the FHIR Bundle report".
    title: str
    #: A few words on what it is for (the save menu, ``--help``).
    purpose: str
    #: The suffix of a file saved in it.
    suffix: str
    #: Its module in ``hamstring_cli/render/``, imported when it is used.
    module: str
    #: A format of ``triage`` (one result: the module's ``render``).
    triage: bool = False
    #: A format of ``batch`` (one record a line or row: the module's ``record_writer``).
    batch: bool = False
    #: Offered by the interactive "save a report" menu.
    saved: bool = False
    #: What it is for in ``batch``, where that differs from ``purpose``.
    batch_purpose: str = ""


#: Every output format, in the order they are listed (``--help``, the save menu).
FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat(
        "text",
        "text summary",
        "the summary for a terminal",
        ".txt",
        "text",
        triage=True,
    ),
    OutputFormat(
        "markdown", "Markdown", "for clinical notes", ".md", "markdown", triage=True, saved=True
    ),
    OutputFormat("json", "JSON", "the full result", ".json", "json", triage=True, saved=True),
    OutputFormat("jsonl", "JSON Lines", "one JSON result a line", ".jsonl", "jsonl", batch=True),
    OutputFormat("csv", "CSV", "one row a result", ".csv", "csv", batch=True),
    OutputFormat(
        "fhir",
        "FHIR Bundle",
        "for record systems",
        ".json",
        "fhir",
        triage=True,
        batch=True,
        saved=True,
        batch_purpose="one FHIR Bundle a line",
    ),
)

#: The ``--format`` choices of ``triage``, and its default.
TRIAGE_FORMATS: tuple[str, ...] = tuple(f.name for f in FORMATS if f.triage)
TRIAGE_DEFAULT = "text"
#: The ``--format`` choices of ``batch``, and its default.
BATCH_FORMATS: tuple[str, ...] = tuple(f.name for f in FORMATS if f.batch)
BATCH_DEFAULT = "jsonl"
#: What the interactive "save a report" menu offers, in order.
SAVED_FORMATS: tuple[OutputFormat, ...] = tuple(f for f in FORMATS if f.saved)


def get(name: str) -> OutputFormat:
    """The format called ``name``.

    Raises:
        ValueError: no format has that name.
    """
    for found in FORMATS:
        if found.name == name:
            return found
    known = ", ".join(f.name for f in FORMATS)
    raise ValueError(f"unknown format {name!r}; known: {known}")


def _module(fmt: OutputFormat) -> object:
    # The import statement's own machinery: importlib would be one more module to load.
    name = f"hamstring_cli.render.{fmt.module}"
    __import__(name)
    return sys.modules[name]


def report_module(name: str) -> "ReportModule":
    """The module that renders one result in the ``triage`` format ``name``.

    Raises:
        ValueError: ``name`` is not a format of ``triage``.
    """
    fmt = get(name)
    if not fmt.triage:
        raise ValueError(f"{name!r} is not a report format; known: {', '.join(TRIAGE_FORMATS)}")
    return cast("ReportModule", _module(fmt))


def batch_module(name: str) -> "BatchModule":
    """The module that writes batch records in the ``batch`` format ``name``.

    Raises:
        ValueError: ``name`` is not a format of ``batch``.
    """
    fmt = get(name)
    if not fmt.batch:
        known = ", ".join(BATCH_FORMATS)
        raise ValueError(f"unknown batch format {name!r}; known: {known}")
    return cast("BatchModule", _module(fmt))


def help_text(*, batch: bool = False) -> str:
    """``--help`` words for the ``--format`` of ``triage`` (or ``batch``): each choice and
    what it is for."""
    names = BATCH_FORMATS if batch else TRIAGE_FORMATS
    found = [get(name) for name in names]
    return "; ".join(f"{f.name}: {(batch and f.batch_purpose) or f.purpose}" for f in found)
