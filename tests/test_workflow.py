"""The GitHub Actions workflow that builds, tests and publishes the book (``.github/workflows/book.yml``), linted.

* ``zizmor`` (PyPI wheel with its binary; ``--offline``: no network at run time) finds no security problem:
  pinned actions, no credentials left in the checkout, no template injection, least permissions.
* ``check-jsonschema`` validates it against the GitHub workflow schema it ships (SchemaStore's, vendored in the
  package, so offline): unknown keys, wrong types, misspelt events fail.
* What neither checks, read here: pull requests build and test and deploy nothing; a push to main also uploads
  ``_build/html`` (site and PDF) and deploys it with the Pages actions, with the permissions and concurrency
  Pages needs; every ``needs`` and ``steps.<id>`` names something that exists; every action is pinned to a
  commit with its version in a comment.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
BOOK = WORKFLOWS / "book.yml"
BIN = Path(sys.executable).parent
MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
PAGES_ACTIONS = (
    "actions/configure-pages",
    "actions/upload-pages-artifact",
    "actions/deploy-pages",
)


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    binary = BIN / tool
    if not binary.exists():
        pytest.fail(
            f"{tool} is not installed in this environment (pip install -r requirements.txt)"
        )
    return subprocess.run(
        [str(binary), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(BOOK.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_zizmor_finds_nothing():
    done = run("zizmor", "--offline", "--no-progress", str(WORKFLOWS))
    assert done.returncode == 0, f"zizmor findings:\n{done.stdout}\n{done.stderr}"


def test_matches_the_github_workflow_schema():
    files = sorted(map(str, WORKFLOWS.glob("*.y*ml")))
    done = run(
        "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_pull_requests_build_and_test_pushes_to_main_deploy(workflow):
    assert (
        workflow["on"]["push"]["branches"] == ["main"]
        and "pull_request" in workflow["on"]
    )
    assert workflow["permissions"] == {}, (
        "no permission by default; each job asks for its own"
    )
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    scripts = "\n".join(s.get("run", "") for s in build["steps"])
    assert "bash .ci/run" in scripts, "the build job runs CI as a developer does"
    uploads = [
        s
        for s in build["steps"]
        if s.get("uses", "").startswith("actions/upload-pages-artifact@")
    ]
    assert len(uploads) == 1 and uploads[0]["with"]["path"] == "_build/html"
    assert uploads[0]["if"] == MAIN_PUSH, "only a push to main uploads the site"
    assert deploy["if"] == MAIN_PUSH and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    used = [
        s["uses"].split("@")[0]
        for job in workflow["jobs"].values()
        for s in job["steps"]
        if "uses" in s
    ]
    assert set(PAGES_ACTIONS) <= set(used)


def test_references_name_what_exists(workflow):
    jobs = workflow["jobs"]
    for name, job in jobs.items():
        needs = job.get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            assert need in jobs, f"job {name} needs {need!r}, which is no job"
        ids = {s["id"] for s in job["steps"] if "id" in s}
        text = yaml.safe_dump(job)
        for ref in re.findall(r"steps\.([A-Za-z0-9_-]+)\.", text):
            assert ref in ids, (
                f"job {name} reads steps.{ref}, which is no step id of the job"
            )


def test_actions_are_pinned_to_commits():
    for line in BOOK.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$", line), (
                f"not pinned: {line.strip()}"
            )


def test_the_site_address_is_a_documented_placeholder():
    """The published address holds the same OWNER placeholder as the repository's, and says so."""
    holding = [
        p
        for p in (ROOT / "README.md", ROOT / "how-to-cite.md", BOOK)
        if "OWNER.github.io" in p.read_text()
    ]
    assert ROOT / "how-to-cite.md" in holding and ROOT / "README.md" in holding
    for path in holding:
        assert "placeholder" in path.read_text(encoding="utf-8").lower(), path
