"""The GitHub Actions workflows: actionlint-clean, actions pinned, least privilege, one deploy per stack at a time."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def actionlint() -> str:
    """The actionlint binary installed by requirements-dev.txt (in this interpreter's bin) or on PATH."""
    local = Path(sys.executable).parent / "actionlint"
    found = str(local) if local.exists() else shutil.which("actionlint")
    assert found, "actionlint is missing: `make test` installs it from requirements-dev.txt"
    return found


def lint(*paths: Path) -> subprocess.CompletedProcess:
    # shellcheck and pyflakes are used by actionlint only when installed; off, so every machine lints alike.
    return subprocess.run([actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def workflow(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def test_the_workflows_exist():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]


def test_actionlint_is_clean():
    result = lint(*WORKFLOWS)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ steps.missing.outputs.x }}\n")
    result = lint(broken)
    assert result.returncode == 1 and 'property "missing" is not defined' in result.stdout


def test_every_action_is_pinned_to_a_commit_with_its_version():
    for path in WORKFLOWS + ACTIONS:
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(- )?uses: ", line) and "uses: ./" not in line:
                assert PINNED.match(line), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("name", ["deploy.yml", "pull-request.yml"])
def test_permissions_are_granted_per_job_only(name):
    doc = workflow(name)
    assert doc["permissions"] == {}
    for job_name, job in doc["jobs"].items():
        assert "permissions" in job, job_name
        assert set(job["permissions"]) <= {"contents", "id-token", "pull-requests"}, job_name
        assert job["permissions"].get("contents") == "read", job_name


def test_deploys_go_staging_then_approved_prod_one_at_a_time():
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["staging"]["concurrency"] == {"group": "deploy-staging", "cancel-in-progress": False}
    assert jobs["prod"]["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert jobs["prod"]["environment"]["name"] == "production" and "staging" in jobs["prod"]["needs"]
    for name in ("staging", "prod"):
        up = next(s for s in jobs[name]["steps"] if s.get("id") == "up")["with"]
        assert (up["command"], up["stack-name"], up["policyPackConfigs"]) == ("up", name, f"policy/config/{name}.json")
        smoke = jobs[name]["steps"][-1]
        assert smoke["env"] == {"URL": "${{ steps.up.outputs.url }}"}
        assert 'curl --fail --silent --show-error --retry 10' in smoke["run"] and '"${URL%/}/health"' in smoke["run"]


def test_pull_requests_get_tests_the_offline_plan_and_real_previews_with_credentials():
    jobs = workflow("pull-request.yml")["jobs"]
    assert jobs["test"]["steps"][-1]["run"] == "make test"
    script = jobs["offline-plan"]["steps"][3]["run"]
    assert "for stack in staging prod" in script and "-m tools.plan_diff --comment" in script
    preview = jobs["preview"]
    assert preview["if"].startswith("vars.AWS_PLAN_ROLE_ARN != ''")
    assert preview["strategy"]["matrix"]["stack"] == ["staging", "prod"]
    assert preview["permissions"]["id-token"] == "write"
    step = preview["steps"][-1]["with"]
    assert (step["command"], step["comment-on-pr"], step["diff"]) == ("preview", True, True)
