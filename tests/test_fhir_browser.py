"""A real renderer: the exported Questionnaire filled in LHC-Forms in headless Chromium.

One path per branch of the tree (the ``routing`` path cover: each distinct sequence of
questions), and a case with red flags ticked, is filled through the page (radio buttons, check
boxes, typed numbers), exported with ``LForms.Util.getFormFHIRData``, triaged with the command
line, and compared with the same answers given as a YAML file. Every question with help text
gets it as its LHC-Forms help.

Needs Debian's ``chromium``, Node.js, and the npm packages ``lforms`` and ``playwright-core`` in
``.browser/`` (``bash .ci/browser-deps`` installs them, and ``.ci/run`` runs it;
``HAMSTRING_BROWSER_DEPS`` names another folder). When any is missing the test skips, naming what
and that command; in CI (``CI=true``) it fails instead, so CI never skips it silently.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.fhir import system
from hamstring_cli.fhir.questionnaire import to_questionnaire
from hamstring_cli.model import Answer, Question, Questionnaire
from hamstring_cli.paths import iter_paths
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
BROWSER = ROOT / "tests" / "browser"
DEPS = ROOT / os.environ.get("HAMSTRING_BROWSER_DEPS", ".browser")
LFORMS = DEPS / "lforms" / "dist" / "lforms"
PLAYWRIGHT = DEPS / "node_modules" / "playwright-core" / "index.mjs"


def _with_flags(questionnaire_id: str) -> Path:
    """A vignette of the questionnaire that ticks boxes: a multi answer not empty, and red flags
    raised (the first such, by name)."""
    library = ROOT / "tests" / "cases"
    folder = library if questionnaire_id == DEFAULT_QUESTIONNAIRE else library / questionnaire_id
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        ticked = any(isinstance(v, list) and v for v in data["answers"].values())
        if ticked and data["expected"].get("red_flags"):
            return path
    raise AssertionError(f"no vignette of {questionnaire_id} raises a red flag")


#: Each bundled questionnaire, with a vignette of it that ticks red flags.
CASES_WITH_FLAGS = {
    bundled_id(path): _with_flags(bundled_id(path)) for path in bundled_questionnaires()
}
HOW = "bash .ci/browser-deps"


def in_ci() -> bool:
    """Whether this is a CI run (``CI`` set, as CI services and ``.ci/run`` set it)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing() -> list[str]:
    """What the test needs and this machine lacks, in words."""
    lacking = []
    if not shutil.which("chromium"):
        lacking.append("Debian's chromium")
    if not shutil.which("node"):
        lacking.append("Node.js")
    if not PLAYWRIGHT.is_file():
        lacking.append(f"playwright-core in {DEPS / 'node_modules'}")
    if not LFORMS.is_dir():
        lacking.append(f"lforms in {DEPS / 'lforms'}")
    return lacking


@pytest.fixture(scope="module", autouse=True)
def browser_deps() -> None:
    """Skip (fail in CI) at once when something is missing, with the command that installs it."""
    lacking = missing()
    if lacking:
        why = f"the browser test needs {', '.join(lacking)}; install with: {HOW}"
        if in_ci():
            pytest.fail(why, pytrace=False)
        pytest.skip(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page and LHC-Forms, served over HTTP on localhost (file:// does not load it)."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "lforms").symlink_to(LFORMS)
    shutil.copy(BROWSER / "page.html", folder / "page.html")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/page.html"
    finally:
        server.shutdown()
        server.server_close()


def plans(q: Questionnaire, with_flags: Path) -> list[dict[str, Answer]]:
    """One path per branch, and a case that ticks red flags."""
    out = [walk.answers for walk in iter_paths(q, values="routing")]
    raw = yaml.safe_load(with_flags.read_text(encoding="utf-8"))["answers"]
    session = Session(q, {qid: q.question(qid).validate(v) for qid, v in raw.items()})
    out.append(session.path_answers)
    assert any(isinstance(a, tuple) and a for answers in out for a in answers.values())
    return out


def detour(q: Questionnaire, paths: list[dict[str, Answer]]) -> tuple[int, int, str]:
    """The two paths that part earliest at a choice, and that choice.

    Filling the first some way past the parting, then changing the parting answer to the
    second's and going on, must leave the form (and its response) as if the second had been
    filled alone: the items the change disables drop out, those enabled by an expression too.
    """
    found: list[tuple[int, int, int, str]] = []
    for i, first in enumerate(paths):
        for j, second in enumerate(paths):
            ids, others = list(first), list(second)
            common = 0
            while common < min(len(ids), len(others)) and ids[common] == others[common]:
                if first[ids[common]] != second[others[common]]:
                    break
                common += 1
            if (
                common + 1 < len(ids)
                and ids[common] == others[common]
                and q.question(ids[common]).type == "choice"
                and ids[common + 1] not in second
            ):
                found.append((common, i, j, ids[common]))
    assert found, "no two paths part at a choice"
    _, i, j, parting = min(found)
    return i, j, parting


def label(question: Question, value: str) -> str:
    option = question.option(value)
    assert option is not None, (question.id, value)
    return option.label


def steps(q: Questionnaire, answers: dict[str, Answer]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for qid, answer in answers.items():
        question = q.question(qid)
        shown: object = answer
        if not isinstance(answer, int):
            chosen = (answer,) if isinstance(answer, str) else answer
            shown = [
                {"system": system(q, qid), "code": v, "display": label(question, v)} for v in chosen
            ]
        out.append({"linkId": qid, "type": question.type, "text": question.prompt, "answer": shown})
    return out


def triage(answers: Path, questionnaire: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hamstring_cli",
            "triage",
            "-q",
            questionnaire,
            "--answers",
            str(answers),
            "-f",
            "json",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("questionnaire_id", sorted(CASES_WITH_FLAGS))
def test_lhc_forms_fills_every_branch_and_triages_the_same(
    site: str, tmp_path: Path, questionnaire_id: str
) -> None:
    chromium, node = shutil.which("chromium"), shutil.which("node")
    assert chromium is not None and node is not None
    q = load_questionnaire(resolve_questionnaire(questionnaire_id))
    chosen = plans(q, CASES_WITH_FLAGS[questionnaire_id])
    filled_steps = [steps(q, answers) for answers in chosen]
    # One more: fill a path one question past a choice, change that answer, finish another path.
    i, j, parting = detour(q, chosen)
    first, second = list(chosen[i]), list(chosen[j])
    filled_steps.append(
        filled_steps[i][: first.index(parting) + 6] + filled_steps[j][second.index(parting) :]
    )
    chosen.append(chosen[j])
    job = {
        "playwright": str(PLAYWRIGHT),
        "chromium": chromium,
        "userDataDir": str(tmp_path / "profile"),
        "url": site,
        "questionnaire": to_questionnaire(q),
        "plans": filled_steps,
    }
    (tmp_path / "job.json").write_text(json.dumps(job), encoding="utf-8")
    done = subprocess.run(
        [node, str(BROWSER / "fill.mjs"), str(tmp_path / "job.json")],
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    pages = json.loads(done.stdout)
    assert len(pages) == len(chosen)
    # Help text (a fly-over display item, which Smart Forms shows too): a help button each.
    assert pages[0]["help"] == {x.id: x.help for x in q.questions if x.help}
    for n, (answers, page) in enumerate(zip(chosen, pages, strict=True)):
        response = page["response"]
        assert response["resourceType"] == "QuestionnaireResponse"
        # On screen: exactly the questions of the path, in order.
        assert page["shown"] == list(answers), (n, page["shown"])
        # In the response: the path's answers, and (LHC-Forms keeps them, lforms issue 185) any
        # answers of items that an enableWhenExpression hid after they were answered.
        filled = [item["linkId"] for item in response.get("item", [])]
        on_path = [qid for qid, a in answers.items() if a != ()]
        kept = [qid for qid in filled if qid not in answers]
        assert [qid for qid in filled if qid in answers] == on_path, n
        from_page = tmp_path / f"lhc-{n}.json"
        from_page.write_text(json.dumps(response, indent=2), encoding="utf-8")
        as_yaml = tmp_path / f"answers-{n}.yaml"
        plain = {qid: list(a) if isinstance(a, tuple) else a for qid, a in answers.items()}
        as_yaml.write_text(yaml.safe_dump(plain, sort_keys=False), encoding="utf-8")
        page_result = triage(from_page, questionnaire_id)
        yaml_result = triage(as_yaml, questionnaire_id)
        assert page_result.returncode == 0, page_result.stderr.decode()
        assert yaml_result.returncode == 0, yaml_result.stderr.decode()
        # Kept answers are reported as unused, as for any answer file, and change nothing.
        warned = re.findall(r"W206: answer to '([^']+)'", page_result.stderr.decode())
        assert warned == kept, page_result.stderr.decode()
        assert json.loads(page_result.stdout) == json.loads(yaml_result.stdout), n
