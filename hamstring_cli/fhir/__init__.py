"""FHIR R4 (4.0.1) as plain data: the tree as an SDC Questionnaire, the result as a Bundle,
and a QuestionnaireResponse read as answers.

Standard library only. Every resource is a plain ``dict`` built at run time; nothing
here imports a FHIR library (the tests validate the output with one). ``docs/fhir.md`` describes
the mapping.
"""

from __future__ import annotations

import os
import re

from hamstring_cli.errors import Code, Place, UserError, diagnostic
from hamstring_cli.model import Questionnaire

__all__ = [
    "BASE",
    "BASE_VARIABLE",
    "ENABLE_WHEN_EXPRESSION",
    "HELP_SUFFIX",
    "ITEM_CONTROL",
    "ITEM_CONTROL_SYSTEM",
    "MAX_VALUE",
    "MIN_VALUE",
    "canonical",
    "narrative",
    "questionnaire_url",
    "system",
    "xhtml",
]

#: The default base of every canonical URL and code system this tool declares. ``.example`` is
#: a reserved top-level domain: the URLs name things, they are never fetched.
BASE = "https://hamstring.example/fhir"
#: The environment variable that sets another base (a clinic's own FHIR namespace, say). The
#: export, the results and the reading of a response all use it, so they agree.
BASE_VARIABLE = "HAMSTRING_FHIR_BASE"
_BASE_FORM = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")


def base() -> str:
    """The base URL: ``$HAMSTRING_FHIR_BASE`` when set (without a final ``/``), else :data:`BASE`.

    Raises:
        UserError: the variable holds something that is not an http(s) address without spaces,
            a query or a fragment.
    """
    value = os.environ.get(BASE_VARIABLE, "")
    if not value.strip():
        return BASE
    if not _BASE_FORM.fullmatch(value):
        raise UserError(
            [
                diagnostic(
                    Code.BAD_FHIR_BASE, Place(BASE_VARIABLE), variable=BASE_VARIABLE, value=value
                )
            ]
        )
    return value.rstrip("/")


FHIR_VERSION = "4.0.1"
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition"
ENABLE_WHEN_EXPRESSION = f"{SDC}/sdc-questionnaire-enableWhenExpression"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
#: The suffix of the display item that holds a question's help text.
HELP_SUFFIX = "-help"


def questionnaire_url(q: Questionnaire) -> str:
    """The Questionnaire's canonical URL (without the version)."""
    return f"{base()}/Questionnaire/{q.id}"


def canonical(q: Questionnaire) -> str:
    """The versioned canonical a QuestionnaireResponse names: ``url|version``."""
    return f"{questionnaire_url(q)}|{q.version}"


def system(q: Questionnaire, name: str) -> str:
    """The code system of one question's options (or of one of our result value sets)."""
    return f"{base()}/CodeSystem/{q.id}/{name}"


#: Characters XML 1.0 does not allow, which a narrative's XHTML therefore cannot hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def xhtml(text: str) -> str:
    """Text for a narrative's XHTML: markup escaped, characters XML cannot hold replaced."""
    return _NOT_XML.sub("\ufffd", text.translate(_MARKUP))


def narrative(*parts: str) -> dict[str, str]:
    """A generated narrative (``text``) of XHTML ``parts`` (escaped already): what dom-6 asks
    of every resource, so a system that shows only the narrative shows the content."""
    body = "".join(parts)
    return {
        "status": "generated",
        "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>',
    }
