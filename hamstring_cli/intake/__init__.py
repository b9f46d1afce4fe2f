"""The parts the interactive intake (:mod:`hamstring_cli.interactive`) is built from.

- :mod:`~hamstring_cli.intake.asks`: every prompt described as plain data (pure), the prompt
  table of the question types, the intake's menus.
- :mod:`~hamstring_cli.intake.plain`: the ``--plain`` reader, numbered lines and typed answers.
- :mod:`~hamstring_cli.intake.screen`: what is drawn on a terminal, questionary's prompts and
  everything between them (headings, red-flag panels, the review, the summary, the pager).
- :mod:`~hamstring_cli.intake.signals`: SIGTERM and SIGHUP stop an intake as Ctrl-C does.

Importing the package imports none of them: questionary, prompt_toolkit and rich are loaded
only when something is drawn.
"""

from __future__ import annotations

__all__: list[str] = []
