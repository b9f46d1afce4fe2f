"""The bibliography a clinician reads: every source resolves, opens, and reads as a citation.

The bundled questionnaire and its teaching cases cite print-ready references, each with one
canonical ``https`` address on a host that publishes or indexes the source itself: no mirror,
proxy, aggregator or personal collection, and no note about how a source was seen. A reference
may give ``url`` and ``verified``; the loader checks them with their place in the file, reports
show the url, and the generated clinical logic marks rules whose only source is unverified.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from helpers import BUNDLED, codes, diagnostics_of, questionnaire_text, where, write

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import Case, read_case
from hamstring_cli.clinical_doc import render_clinical_logic
from hamstring_cli.engine import Session
from hamstring_cli.errors import Code
from hamstring_cli.model import Questionnaire
from hamstring_cli.render.markdown import render_markdown
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)
from hamstring_cli.scoring import score

CASES_DIR = BUNDLED.parent / "cases"
TEST_CASES = sorted((Path(__file__).resolve().parent / "cases").glob("*.yaml"))
#: Every bundled questionnaire, each with its vignettes (the default's in tests/cases, another's
#: in a folder named by its id).
EVERY = [bundled_id(path) for path in bundled_questionnaires()]


def vignettes(questionnaire_id: str) -> list[Path]:
    if questionnaire_id == DEFAULT_QUESTIONNAIRE:
        return TEST_CASES
    return sorted((Path(__file__).resolve().parent / "cases" / questionnaire_id).glob("*.yaml"))


def questionnaire(questionnaire_id: str) -> Questionnaire:
    return load_questionnaire(resolve_questionnaire(questionnaire_id))


#: Hosts a reference may point at. doi.org, PubMed, PMC and NICE first; then the publishers'
#: own pages: the BMJ and Wiley's online library (where the source is read there), the BMJ's
#: journals and BMJ Best
#: Practice, the NCBI Bookshelf (StatPearls), SciELO (the journal's own open-access platform)
#: and Mattioli 1885 (the publisher of Acta Biomedica); GOV.UK for the MHRA's Drug Safety Update
#: (the regulator's own site) and the Postgraduate Medical Journal's BMJ site.
ALLOWED_HOSTS = {
    "doi.org",
    "pubmed.ncbi.nlm.nih.gov",
    "www.bmj.com",
    "onlinelibrary.wiley.com",
    "pmc.ncbi.nlm.nih.gov",
    "www.nice.org.uk",
    "cks.nice.org.uk",
    "bjsm.bmj.com",
    "bestpractice.bmj.com",
    "www.ncbi.nlm.nih.gov",
    "www.scielo.br",
    "mattioli1885journals.com",
    "www.gov.uk",
    "pmj.bmj.com",
}

#: Words that say how a source was seen, not what it is: never in a citation.
PROVENANCE = re.compile(
    r"abstract seen|not seen|from recall|year recall|\brecall\b|low authority|summary only"
    r"|authors not|not verified|secondary\)|clinic page|\(low|stored copy",
    re.IGNORECASE,
)
#: Hosts that mirror, proxy or aggregate other people's papers.
MIRRORS = re.compile(
    r"coek|vdocuments|wizfolio|scilit|litmetric|springermedizin|bibliotheek|ouci\.dntb"
    r"|wilddata|studylib|scribd|abcdocz|musculoskeletalkey|researcher\.life",
    re.IGNORECASE,
)


def load_cases(folder: Path) -> list[Case]:
    return [read_case(path) for path in sorted(folder.glob("*.yaml"))]


@pytest.fixture(scope="module")
def bundled() -> Questionnaire:
    return load_questionnaire(BUNDLED)


def cited_ids(q: Questionnaire) -> set[str]:
    out = q.outcomes
    ids = {r.source for c in out.conditions for r in c.triage}
    ids |= {
        r.source for r in (*out.scores, *out.red_flags, *out.imaging, *out.notes, *out.safety_net)
    }
    ids |= {r.source for r in (*out.triage, *out.scope.exclusions)}
    if out.scope.source:
        ids.add(out.scope.source)
    texts = [q.description, q.disclaimer]
    for question in q.questions:
        texts += [question.help, *(o.help for o in question.options)]
    for text in texts:
        for bracket in re.findall(r"\[([^\]]+)\]", text or ""):
            ids.update(part.strip() for part in bracket.split(","))
    return ids


@pytest.mark.parametrize("questionnaire_id", EVERY)
def test_every_cited_source_resolves(questionnaire_id: str) -> None:
    bundled = questionnaire(questionnaire_id)
    known = {r.id for r in bundled.references}
    missing = cited_ids(bundled) - known
    assert not missing, missing
    # And nothing is listed that nothing cites.
    assert known - cited_ids(bundled) == set()


@pytest.mark.parametrize("questionnaire_id", EVERY)
def test_every_case_source_resolves(questionnaire_id: str) -> None:
    bundled = questionnaire(questionnaire_id)
    known = {r.id for r in bundled.references}
    for path in vignettes(questionnaire_id):
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert case["source"] in known, (path.name, case["source"])
    for case in load_cases(CASES_DIR):
        if case.questionnaire != questionnaire_id:
            continue
        own = {r.id for r in case.references}
        for point in case.teaching_points:
            assert point.source in own | known, (case.id, point.source)


def all_references(bundled: Questionnaire) -> list[tuple[str, str, str | None]]:
    refs = [(bundled.id, r.citation, r.url) for r in bundled.references]
    for case in load_cases(CASES_DIR):
        if case.questionnaire == bundled.id:
            refs += [(case.id, r.citation, r.url) for r in case.references]
    return refs


@pytest.mark.parametrize("questionnaire_id", EVERY)
def test_every_url_is_https_on_an_allowed_host(questionnaire_id: str) -> None:
    for where_, _citation, url in all_references(questionnaire(questionnaire_id)):
        if url is None:
            continue
        parts = urlsplit(url)
        assert parts.scheme == "https", (where_, url)
        assert parts.hostname in ALLOWED_HOSTS, (where_, url)
        assert " " not in url


@pytest.mark.parametrize("questionnaire_id", EVERY)
def test_no_citation_holds_a_url_a_mirror_or_a_provenance_note(questionnaire_id: str) -> None:
    for where_, citation, url in all_references(questionnaire(questionnaire_id)):
        assert "http" not in citation, (where_, citation)
        assert not PROVENANCE.search(citation), (where_, citation)
        assert not MIRRORS.search(citation + (url or "")), (where_, citation, url)


@pytest.mark.parametrize("questionnaire_id", EVERY)
def test_the_teaching_cases_cite_as_the_questionnaire_does(questionnaire_id: str) -> None:
    bundled = questionnaire(questionnaire_id)
    for case in load_cases(CASES_DIR):
        if case.questionnaire != questionnaire_id:
            continue
        for ref in case.references:
            same = bundled.reference(ref.id)
            if same is not None:
                assert (ref.citation, ref.url) == (same.citation, same.url), (case.id, ref.id)


@pytest.mark.parametrize("questionnaire_id", EVERY)
def test_the_bundled_ids_match_the_bibliography(questionnaire_id: str) -> None:
    ids = {r.id for r in questionnaire(questionnaire_id).references}
    assert not {rid for rid in ids if rid != rid.upper()}, "ids are upper case: BAYER2017"
    # NICE's Clinical Knowledge Summaries are dated by revision, not year: CKS and the topic.
    assert all(re.fullmatch(r"R\d+|NG\d+|CG\d+|[A-Z]+\d{4}|CKS[A-Z]+", rid) for rid in ids), ids


def test_the_report_and_the_json_show_the_url(bundled: Questionnaire) -> None:
    answers = {
        "red_flags": (),
        "anticoagulants": "no",
        "age": 40,
        "onset": "gradual",
        "weeks_since_onset": 20,
        "load_change": "yes",
        "pain_running_fast": "yes",
        "pain_bending": "yes",
        "bone_stress_risk": "no",
        "rehab_response": "not_tried",
        "pain_site": "sit_bone",
        "sitting_pain": "after_prolonged",
        "numbness": "none",
        "back_pain": "no",
        "prior_hamstring_injury": "no",
        "examined": "no",
    }
    result = score(bundled, Session(bundled, answers).path_answers)
    with_url = [r for r in result.cited() if r.url]
    assert with_url
    data = json.loads(json.dumps(result.to_dict()))
    listed = {r["id"]: r for r in data["references"]}
    for ref in with_url:
        assert listed[ref.id]["url"] == ref.url
    markdown = render_markdown(result)
    for ref in with_url:
        assert f"<{ref.url}>" in markdown


def test_the_clinical_logic_marks_rules_whose_source_is_not_verified(
    bundled: Questionnaire,
) -> None:
    text = render_clinical_logic(bundled)
    unverified = {r.id for r in bundled.references if not r.verified}
    verified = {r.id for r in bundled.references if r.verified}
    assert unverified and verified
    marked = set(re.findall(r"\[([A-Za-z0-9]+)\] \*\(source not verified\)\*", text))
    assert marked and marked <= unverified
    for line in text.splitlines():
        for rid in re.findall(r"\[([A-Za-z0-9]+)\](?! \*\(source not verified)", line):
            if line.startswith(("- **", "- `", "1.", "2.", "3.")) and rid in unverified:
                pytest.fail(f"{rid} is not verified but unmarked: {line[:120]}")
    # The mark is for reviewers of the logic, never in a user's result or its references.
    assert "not verified" not in "".join(r.citation for r in bundled.references)


def one_question_with_r2_as(written: str) -> str:
    """A questionnaire of one question whose reference R2 is ``written`` (lines of YAML)."""
    return questionnaire_text(
        """\
        questions:
          - id: q
            type: choice
            prompt: Q?
            options:
              - {value: a, label: A}
        """
    ).replace("  - {id: R2, citation: Source two.}", written)


def test_a_reference_url_must_be_https_and_is_placed(tmp_path: Path) -> None:
    text = one_question_with_r2_as(
        "  - {id: R2, citation: Source two., url: 'http://example.org/x'}\n"
        "  - {id: R3, citation: Source three., url: 12, verified: maybe}",
    )
    found = diagnostics_of(write(tmp_path, text))
    assert Code.BAD_VALUE.code in codes(found)
    bad = [d for d in found if d.code == Code.BAD_VALUE.code]
    assert "https://" in bad[0].message and "http://example.org/x" in bad[0].message
    assert where(found, Code.BAD_VALUE.code)[0][0] is not None
    assert codes(found).count(Code.WRONG_TYPE.code) == 2  # the number url, the word verified


def test_a_reference_url_and_verified_load(tmp_path: Path) -> None:
    text = one_question_with_r2_as(
        "  - {id: R2, citation: Source two., url: 'https://doi.org/10.1/x', verified: false}",
    )
    q = load_questionnaire(write(tmp_path, text))
    ref = q.reference("R2")
    assert ref is not None and ref.url == "https://doi.org/10.1/x" and ref.verified is False
    one = q.reference("R1")
    assert one is not None and one.url is None and one.verified is True


def test_where_a_reference_is_written_does_not_change_it_but_its_url_does() -> None:
    from hamstring_cli.errors import Place
    from hamstring_cli.model import Reference

    here = Reference("R1", "One.", Place("a.yaml", 3, 5), "https://doi.org/10.1/a")
    there = Reference("R1", "One.", None, "https://doi.org/10.1/a")
    other = Reference("R1", "One.", None, "https://doi.org/10.1/b")
    assert here == there and hash(here) == hash(there)
    assert here != other
    assert Reference("R1", "One.", verified=False) != Reference("R1", "One.")
