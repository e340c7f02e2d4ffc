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
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "drift.yml", "pull-request.yml"]


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


@pytest.mark.parametrize("name, allowed", [
    ("deploy.yml", {"contents", "id-token", "pull-requests"}),
    ("pull-request.yml", {"contents", "id-token", "pull-requests"}),
    ("drift.yml", {"contents", "id-token", "issues"}),
])
def test_permissions_are_granted_per_job_only(name, allowed):
    doc = workflow(name)
    assert doc["permissions"] == {}
    for job_name, job in doc["jobs"].items():
        assert "permissions" in job, job_name
        assert set(job["permissions"]) <= allowed, job_name
        assert job["permissions"].get("contents") == "read", job_name


# The first major of each action that runs on node24 (GitHub's runners drop node20).
NODE24_SINCE = {"actions/checkout": 5, "actions/setup-python": 6, "actions/github-script": 8,
                "aws-actions/configure-aws-credentials": 5, "pulumi/actions": 7}


def test_every_action_runs_on_node24():
    seen = set()
    for path in WORKFLOWS + ACTIONS:
        for match in re.finditer(r"uses: ([\w.-]+/[\w.-]+)@[0-9a-f]{40} # v(\d+)\.", path.read_text()):
            action, major = match.group(1), int(match.group(2))
            assert action in NODE24_SINCE, f"{path.name}: {action} is not known to run on node24"
            assert major >= NODE24_SINCE[action], f"{path.name}: {action} v{major} runs on node20"
            seen.add(action)
    assert seen == set(NODE24_SINCE)


def test_pulumi_actions_is_v7_everywhere():
    uses = {line.split("uses: ")[1] for path in WORKFLOWS + ACTIONS for line in path.read_text().splitlines()
            if "uses: pulumi/actions@" in line}
    assert uses == {"pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0"}


def setup_steps() -> list[tuple[str, str, dict]]:
    """(workflow, job, inputs) of every use of the pulumi-setup action."""
    return [(path.name, job_name, step["with"]) for path in WORKFLOWS
            for job_name, job in yaml.safe_load(path.read_text())["jobs"].items()
            for step in job["steps"] if step.get("uses") == "./.github/actions/pulumi-setup"]


def test_every_aws_session_is_pinned_to_the_account():
    action = yaml.safe_load((ROOT / ".github/actions/pulumi-setup/action.yml").read_text())
    assert action["inputs"]["account-id"]["required"] is True
    configure = next(s for s in action["runs"]["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert configure["with"]["allowed-account-ids"] == "${{ inputs.account-id }}"
    check = next(s for s in action["runs"]["steps"] if s.get("name") == "Check the account and role are set")
    assert '[[ "$ACCOUNT_ID" =~ ^[0-9]{12}$ ]]' in check["run"]
    assert len(setup_steps()) == 5
    for name, job, inputs in setup_steps():
        assert inputs["account-id"] == "${{ vars.AWS_ACCOUNT_ID }}", (name, job)


def test_roles_by_job_each_trusting_one_environment():
    """Which role each AWS job uses and the GitHub environment its OIDC subject names (docs/delivery.md)."""
    found = {}
    for name, job_name, inputs in setup_steps():
        job = workflow(name)["jobs"][job_name]
        environment = job.get("environment")
        found[(name, job_name)] = (environment if isinstance(environment, str) else (environment or {}).get("name"),
                                   inputs["role-to-assume"], inputs["stack"])
    assert found == {
        ("deploy.yml", "staging"): ("staging", "${{ vars.AWS_DEPLOY_ROLE_ARN }}", "staging"),
        ("deploy.yml", "prod-plan"): ("production-plan", "${{ vars.AWS_PLAN_ROLE_ARN }}", "prod"),
        ("deploy.yml", "prod"): ("production", "${{ vars.AWS_DEPLOY_ROLE_ARN }}", "prod"),
        ("drift.yml", "drift"): ("${{ matrix.environment }}", "${{ vars.AWS_PLAN_ROLE_ARN }}", "${{ matrix.stack }}"),
        ("pull-request.yml", "preview"): ("preview", "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "staging"),
    }


def test_deploys_go_staging_then_approved_prod_one_at_a_time():
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["staging"]["concurrency"] == {"group": "deploy-staging", "cancel-in-progress": False}
    assert jobs["prod"]["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert jobs["prod"]["environment"]["name"] == "production" and "staging" in jobs["prod"]["needs"]
    for name in ("staging", "prod"):
        up = next(s for s in jobs[name]["steps"] if s.get("id") == "up")["with"]
        assert (up["command"], up["stack-name"], up["policyPackConfigs"]) == ("up", name, f"policy/config/{name}.json")
        smoke = jobs[name]["steps"][-1]
        assert smoke["env"] == {"URL": "${{ steps.up.outputs.url }}", "ALB_DNS_NAME": "${{ steps.up.outputs.albDnsName }}",
                                "HOSTED_ZONE_ID": "${{ steps.up.outputs.hostedZoneId }}"}
        assert "${{" not in smoke["run"]  # values reach the script through env only


def smoke_check(job: str, tmp_path: Path, **env: str) -> tuple[int, str, list[str]]:
    """Run a deploy job's smoke-check script as the runner does (bash -e), curl replaced by a recorder.

    Returns (exit code, stdout, the arguments curl got)."""
    script = workflow("deploy.yml")["jobs"][job]["steps"][-1]["run"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "curl.args"
    (bin_dir / "curl").write_text(f'#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done > {calls}\n')
    (bin_dir / "curl").chmod(0o755)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "URL": "", "ALB_DNS_NAME": "", "HOSTED_ZONE_ID": ""}
    # GitHub runs `run:` scripts with `bash --noprofile --norc -eo pipefail {0}`.
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                            env={**base, **env}, capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout, calls.read_text().splitlines() if calls.exists() else []


CURL = ["--fail", "--silent", "--show-error", "--retry", "10", "--retry-delay", "15", "--retry-all-errors",
        "--max-time", "10"]
ALB = "nodeapi-prod-0123456789.us-east-1.elb.amazonaws.com"


@pytest.mark.parametrize("job", ["staging", "prod"])
def test_with_a_managed_domain_the_smoke_check_goes_through_dns(job, tmp_path):
    code, _, args = smoke_check(job, tmp_path, URL="https://api.staging.example.com", ALB_DNS_NAME=ALB,
                                HOSTED_ZONE_ID="Z0123456789ABCDEFGHIJ")
    assert (code, args) == (0, [*CURL, "https://api.staging.example.com/health"])


@pytest.mark.parametrize("job", ["staging", "prod"])
def test_without_one_it_connects_to_the_load_balancer_and_still_checks_tls_for_the_host(job, tmp_path):
    code, _, args = smoke_check(job, tmp_path, URL="https://api.example.com/", ALB_DNS_NAME=ALB)
    # curl connects to the ALB but keeps api.example.com for SNI, the certificate check and the Host header.
    assert (code, args) == (0, [*CURL, "--connect-to", f"api.example.com:443:{ALB}:443",
                                "https://api.example.com/health"])


@pytest.mark.parametrize("job", ["staging", "prod"])
@pytest.mark.parametrize("env, missing", [
    ({"ALB_DNS_NAME": ALB}, "url"),
    ({"URL": "https://api.example.com"}, "albDnsName"),
])
def test_a_missing_output_fails_the_smoke_check_with_its_name(job, env, missing, tmp_path):
    code, stdout, args = smoke_check(job, tmp_path, **env)
    assert (code, stdout, args) == (1, f"::error::stack {job} has no '{missing}' output\n", [])


def test_pull_requests_get_tests_the_offline_plan_and_an_approved_staging_preview():
    jobs = workflow("pull-request.yml")["jobs"]
    assert jobs["test"]["steps"][-1]["run"] == "make test"
    script = jobs["offline-plan"]["steps"][3]["run"]
    assert "for stack in staging prod" in script and "-m tools.plan_diff --comment" in script
    preview = jobs["preview"]
    assert preview["if"] == ("vars.AWS_PREVIEW_ROLE_ARN != '' && "
                             "github.event.pull_request.head.repo.full_name == github.repository")
    assert preview["environment"] == "preview" and "strategy" not in preview
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    step = preview["steps"][-1]["with"]
    assert (step["command"], step["stack-name"], step["comment-on-pr"], step["diff"]) == (
        "preview", "staging", True, True)
    assert step["policyPackConfigs"] == "policy/config/staging.json"
    # Nothing in a pull request's jobs names prod with credentials.
    text = (ROOT / ".github/workflows/pull-request.yml").read_text()
    assert "AWS_PLAN_ROLE_ARN" not in text and "AWS_DEPLOY_ROLE_ARN" not in text


def test_drift_is_checked_daily_per_stack_and_reported():
    doc = workflow("drift.yml")
    assert doc[True] == {"schedule": [{"cron": "17 6 * * *"}], "workflow_dispatch": None}  # YAML 1.1: on -> True
    job = doc["jobs"]["drift"]
    assert job["if"] == "vars.PULUMI_BACKEND_URL != ''"
    assert job["strategy"] == {"fail-fast": False, "matrix": {"include": [
        {"stack": "staging", "environment": "staging-plan"}, {"stack": "prod", "environment": "production-plan"}]}}
    assert job["concurrency"] == {"group": "drift-${{ matrix.stack }}", "cancel-in-progress": False}
    preview, issue, fail = job["steps"][2:]
    assert preview["continue-on-error"] is True
    assert ('pulumi preview --stack "$STACK" --refresh --expect-no-changes --diff --non-interactive --color never '
            '2>&1 | tee "$REPORT"') in preview["run"] and "set -o pipefail" in preview["run"]
    assert issue["if"] == "always() && steps.preview.outcome != 'skipped'"
    assert issue["env"]["OUTCOME"] == "${{ steps.preview.outcome }}"
    script = issue["with"]["script"]
    assert "report.includes('no changes were expected')" in script  # drift, not a failed check
    assert "labels: ['drift']" in script and "state: 'closed'" in script
    assert fail["if"] == "steps.preview.outcome == 'failure'" and "exit 1" in fail["run"]
