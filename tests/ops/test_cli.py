"""The CLI itself: outputs-file errors, AWS configuration, and the real `python -m ops` entry point."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ops.cli import main

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("traffic",)


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_missing_outputs_file(tmp_path, capsys):
    path = tmp_path / "nope.json"
    assert run_main(capsys, "status", "--outputs", str(path)) == (
        2, "", f"ops status: outputs file {path}: cannot read (No such file or directory)\n")


@pytest.mark.parametrize("text, problem", [
    ('{"region": }', "not valid JSON (Expecting value: line 1 column 12 (char 11))"),
    ("", "not valid JSON (Expecting value: line 1 column 1 (char 0))"),
    ('["region"]', "expected a JSON object of stack outputs, got list"),
    ('{"region": "eu-west-1", "blueTargetGroupArn": "b", "clusterName": "c"}',
     "missing key(s) httpsListenerArn, productionListenerRuleArn, greenTargetGroupArn, webServiceName"),
])
def test_malformed_outputs_file(tmp_path, capsys, text, problem):
    path = tmp_path / "outputs.json"
    path.write_text(text)
    assert run_main(capsys, "rollback", "--outputs", str(path)) == (
        2, "", f"ops rollback: outputs file {path}: {problem}\n")


@pytest.mark.parametrize("key, value, problem", [
    ("dbSecurityGroupIds", "sg-1", "key dbSecurityGroupIds must be a list of strings"),
    ("dbSubnetGroupName", ["a"], "key dbSubnetGroupName must be a non-empty string"),
    ("region", "", "key region must be a non-empty string"),
])
def test_outputs_of_the_wrong_type(tmp_path, capsys, key, value, problem):
    outputs = {"region": "eu-west-1", "dbInstanceIdentifier": "db", "dbSubnetGroupName": "g",
               "dbSecurityGroupIds": ["sg-1"], key: value}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    assert run_main(capsys, "restore-drill", "--outputs", str(path)) == (
        2, "", f"ops restore-drill: outputs file {path}: {problem}\n")


def test_usage_errors_exit_2(capsys):
    assert main(["status"]) == 2
    assert "the following arguments are required: --outputs" in capsys.readouterr().err
    assert main(["rollback", "--outputs", "x.json", "--to", "red"]) == 2
    assert "argument --to: invalid choice: 'red'" in capsys.readouterr().err


def test_aws_profile_is_honoured(world, run, fresh_clients, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "nodeapi-nope")
    assert (run("status").code, run("status").err) == (
        3, "ops status: The config profile (nodeapi-nope) could not be found\n")


def test_a_different_aws_region_is_reported_and_the_stack_region_used(world, run, fresh_clients, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    result = run("status")
    assert (result.code, result.err) == (
        0, "warning: AWS_REGION=us-east-1 differs from the stack's region eu-west-1; using eu-west-1\n")
    assert result.out.startswith("production rule (priority 100): blue 100 / green 0")


def test_missing_credentials_fail_in_one_line(world, run, fresh_clients, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    assert (run("status").code, run("status").err) == (3, "ops status: Unable to locate credentials\n")


def test_an_unreachable_endpoint_fails_in_one_line(world, run, fresh_clients, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = run("status")
    assert (result.code, result.err) == (
        3, 'ops status: Could not connect to the endpoint URL: "http://127.0.0.1:9/"\n')


def python_m_ops(*args: str) -> subprocess.CompletedProcess:
    """`python -m ops ...` in a fresh interpreter, with this test's environment (AWS_ENDPOINT_URL → moto)."""
    return subprocess.run([sys.executable, "-m", "ops", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_python_m_ops_runs_against_the_endpoint_from_the_environment(world, outputs_file):
    result = python_m_ops("status", "--outputs", str(outputs_file))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == "production rule (priority 100): blue 100 / green 0 (live: blue)"
    assert result.stdout.splitlines()[-1] == "maintenance: off"


def test_python_m_ops_refuses_in_one_line_without_a_traceback(world, tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({k: v for k, v in world.outputs.items() if k != "httpsListenerArn"}))
    result = python_m_ops("maintenance", "on", "--outputs", str(path))
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"ops maintenance: outputs file {path}: missing key(s) httpsListenerArn\n")
