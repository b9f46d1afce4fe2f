"""The summary a clinician reads: the decision on one screen, in words, for every case.

Every vignette of the case library and every teaching case is scored and drawn at 80
columns, as a terminal and as plain text: the decision block (level, what to do, leading
condition, deciding findings, every study, every red flag) takes at most 18 lines, so that
it stays on an 80x24 screen with the question after it; and no internal snake_case id
reaches the text or Markdown a person reads.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest
import yaml
from helpers import run_command, sweep

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import bundled_cases, case_questionnaire, read_cases, run_case
from hamstring_cli.engine import Session
from hamstring_cli.model import TIMEFRAME_RANK, TIMEFRAME_WORDS
from hamstring_cli.render.decision import DECISION_LINES, decision_block
from hamstring_cli.render.markdown import render_markdown
from hamstring_cli.render.text import decision_text, render_text
from hamstring_cli.render.words import (
    SNAKE_CASE,
    heading_words,
    study_words,
    timeframe_words,
)
from hamstring_cli.resources import bundled_dir
from hamstring_cli.scoring import Result, score

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRE = ROOT / "questionnaires" / "proximal_hamstring.yaml"
LIBRARY = ROOT / "tests" / "cases"
#: Every vignette: the default questionnaire's, then each other one's in its folder.
VIGNETTES = sorted(LIBRARY.glob("*.yaml")) + sorted(LIBRARY.glob("*/*.yaml"))
TEACHING = read_cases(bundled_cases(bundled_dir()))


def vignette(path: Path) -> Result:
    from hamstring_cli.resources import resolve_questionnaire

    name = None if path.parent == LIBRARY else path.parent.name
    q = load_questionnaire(resolve_questionnaire(name) if name else QUESTIONNAIRE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers = {qid: q.question(qid).validate(raw) for qid, raw in data["answers"].items()}
    return score(q, Session(q, answers).path_answers)


def teaching(index: int) -> Result:
    case = TEACHING[index]
    q = case_questionnaire(case)
    return score(q, run_case(case, q).answers)


RESULTS = sweep(
    [
        *(pytest.param(lambda p=p: vignette(p), id=p.stem) for p in VIGNETTES),
        *(pytest.param(lambda i=i: teaching(i), id=c.id) for i, c in enumerate(TEACHING)),
    ]
)


@pytest.mark.parametrize("make", RESULTS)
@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "plain"])
def test_the_decision_fits_one_screen_and_says_what_decides(make, terminal: bool) -> None:  # type: ignore[no-untyped-def]
    result: Result = make()
    shown = decision_text(result, width=80, terminal=terminal)
    lines = shown.rstrip("\n").split("\n")
    assert len(lines) <= DECISION_LINES == 18, shown
    assert max(len(line) for line in lines) <= 80
    flat = " ".join(shown.replace("│", " ").split())
    assert result.triage.label.upper() in flat
    likely = "Otherwise most likely" if result.decision.emergency else "Most likely"
    assert f"{likely}: {result.differential[0].label}" in flat
    for study in result.imaging.studies:
        what = study_words(study.modality, study.site)
        assert f"{what}, {timeframe_words(study.timeframe)}" in flat, study
    for flag in result.red_flags:
        assert flag.name in flat, flag.id
    if not result.red_flags:
        assert "Red flags: none raised" in flat


@pytest.mark.parametrize("make", RESULTS)
def test_what_a_person_reads_has_no_internal_ids(make) -> None:  # type: ignore[no-untyped-def]
    result: Result = make()
    for shown in (render_text(result, width=80), render_markdown(result)):
        # A source's url is an address to open, not words; it may hold underscores.
        assert SNAKE_CASE.findall(re.sub(r"https://\S+", "", shown)) == []
        # ... and is printed whole, never broken across lines, so it can be opened.
        assert all(ref.url in shown for ref in result.cited() if ref.url)
        assert all(line == line.rstrip() for line in shown.splitlines()), "no trailing spaces"
        assert " 1 days" not in shown and "none of these" not in shown


def test_a_piped_plain_intake_prints_the_summary_on_stdout(tmp_path: Path) -> None:
    """printf '...' | hamstring triage --plain > out.txt: prompts on stderr, exit 0."""
    typed = "0\n2\n45\n1\n1\n1\n2\n6\n3\n2\n1\n2\n1\n2\n2\n1\n1\n3\n2\n3\n2\n"
    done = run_command(
        [sys.executable, "-m", "hamstring_cli", "triage", "--plain"],
        input=typed,
        cwd=tmp_path,
        state=tmp_path / "state",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("URGENT")
    assert "Most likely: Acute proximal hamstring rupture" in done.stdout
    assert "References" in done.stdout, "the reasoning follows when the output is a file"
    assert all(line == line.rstrip() for line in done.stdout.splitlines()), "no trailing spaces"
    assert "How old is the patient?" in done.stderr and "How old" not in done.stdout
    assert "→ 45 years\n" in done.stderr and "→ None of these\n" in done.stderr
    assert "Save a report" not in done.stderr, "no report is offered when stdin is a pipe"
    assert not list((tmp_path / "state").rglob("*.yaml")), "the session file is removed"


def test_a_piped_plain_intake_that_ends_early_says_how_to_resume(tmp_path: Path) -> None:
    done = run_command(
        [sys.executable, "-m", "hamstring_cli", "triage", "--plain"],
        input="0\n2\n45\n",
        cwd=tmp_path,
        state=tmp_path / "state",
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "the input ended at 'How did the pain start?'; 3 answers are saved in" in done.stderr
    assert "--resume" in done.stderr


def whole(text: str) -> str:
    return " ".join(text.split())


def markdown_as_shown(result: Result) -> str:
    """The Markdown report as a viewer shows it: it escapes HTML, entities and link brackets in
    the text it quotes."""
    return html.unescape(re.sub(r"\\([\\\[\]])", r"\1", render_markdown(result)))


@pytest.mark.parametrize("make", RESULTS)
def test_every_advice_reason_and_safety_net_is_whole_in_both_reports(make) -> None:  # type: ignore[no-untyped-def]
    result: Result = make()
    data = result.to_dict()
    texts = [
        data["triage"]["advice"],
        data["triage"]["condition_advice"],
        data["imaging"]["reason"],
        *(flag["advice"] for flag in data["red_flags"]),
        *(study["reason"] for study in data["imaging"]["studies"]),
        *(item["text"] for item in data["safety_net"]),
        *(note["text"] for note in data["notes"]),
    ]
    markdown = markdown_as_shown(result)
    for shown in (render_text(result, width=80), markdown):
        flat = whole(shown)
        for text in texts:
            assert whole(text) in flat, text


@pytest.mark.parametrize("make", RESULTS)
def test_the_heading_the_action_and_every_study_say_one_timeframe(make) -> None:  # type: ignore[no-untyped-def]
    result: Result = make()
    decision = result.decision
    block = decision_block(result)
    words = timeframe_words(decision.timeframe)
    assert block.heading == heading_words(decision.label, decision.timeframe)
    assert block.heading.endswith(words) or decision.timeframe == "routine"
    # The action names no other timeframe than the heading's ("within days" under "the same
    # day" was the contradiction).
    others = [
        w
        for t, w in TIMEFRAME_WORDS.items()
        if t != decision.timeframe and t not in ("now", "routine")
    ]
    assert not [w for w in others if w in decision.action], (decision.action, words)
    ranks = [TIMEFRAME_RANK[s.timeframe] for s in decision.studies]
    assert ranks == sorted(ranks) and all(r >= TIMEFRAME_RANK[decision.timeframe] for r in ranks)
    flat = block.words()
    for study in decision.studies:
        line = f"{study_words(study.modality, study.site)}, {timeframe_words(study.timeframe)}"
        assert line in flat, line
    # Beside an emergency, the leading condition is what is otherwise most likely.
    assert decision.otherwise == bool(decision.emergency)
    likely = "Otherwise most likely:" if decision.emergency else "Most likely:"
    assert f"{likely} {decision.leading_label}" in flat
    if decision.emergency:
        assert flat.index(decision.action.split(".")[0]) < flat.index(likely)
    assert "Safety net:" in flat or not decision.safety_net
    assert whole(result.questionnaire.disclaimer_summary) in flat


@pytest.mark.parametrize("make", RESULTS)
def test_markdown_holds_the_same_decision_block(make) -> None:  # type: ignore[no-untyped-def]
    result: Result = make()
    block = decision_block(result)
    markdown = markdown_as_shown(result)
    start = markdown.index("## Decision: ")
    section = markdown[start : markdown.index("\n## ", start + 1)]
    lines = [line.removeprefix("## Decision: ").removeprefix("- ") for line in section.split("\n")]
    plain = " ".join(line.strip("*") for line in lines)
    assert whole(plain) == block.words().replace("• ", "")
