"""hamstring: a command-line triage questionnaire for posterior thigh and buttock pain.

Decision support for clinicians and students, not a diagnosis.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
