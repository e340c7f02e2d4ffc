"""The CLI itself: outputs files (encodings, contract), AWS configuration and faults as one-line errors, and the
real `python -m ops` entry point."""

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ops.cli import main

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("app",)
STATUS_FIRST_LINE = "service web (public): running 0 / desired 2 (pending 2)"


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_missing_outputs_file(tmp_path, capsys):
    path = tmp_path / "nope.json"
    assert run_main(capsys, "status", "--outputs", str(path)) == (
        2, "", f"ops status: outputs file {path}: cannot read (No such file or directory)\n")


@pytest.mark.parametrize("raw, problem", [
    (b'{"region": }', "not valid JSON (Expecting value: line 1 column 12 (char 11))"),
    (b"", "not valid JSON (Expecting value: line 1 column 1 (char 0))"),
    (b'["region"]', "expected a JSON object of stack outputs, got list"),
    (b'{"region": "eu-west-1", "clusterName": "c"}', "missing key(s) services, httpsListenerArn"),
    (b'{"region": "\xff"}', "not UTF-8 or UTF-16 text (invalid start byte at byte 12)"),
])
def test_malformed_outputs_file(tmp_path, capsys, raw, problem):
    path = tmp_path / "outputs.json"
    path.write_bytes(raw)
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


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"),
    lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: text.encode("utf-16"),  # with a BOM, as Windows PowerShell's `>` writes it
    lambda text: text.encode("utf-16-le"),
    lambda text: text.encode("utf-16-be"),
], ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le", "utf-16-be"])
def test_outputs_files_in_any_common_encoding(world, run, tmp_path, encode):
    path = tmp_path / "outputs.json"
    path.write_bytes(encode(json.dumps(world.outputs, indent=2)))
    result = run("status", outputs=path)
    assert (result.code, result.err, result.out.splitlines()[0]) == (0, "", STATUS_FIRST_LINE)


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
    assert result.out.startswith(STATUS_FIRST_LINE)


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


@pytest.mark.parametrize("name, value, problem", [
    ("AWS_MAX_ATTEMPTS", "abc", "AWS_MAX_ATTEMPTS='abc' is not a whole number of at least 1"),
    ("AWS_MAX_ATTEMPTS", "0", "AWS_MAX_ATTEMPTS='0' is not a whole number of at least 1"),
    ("AWS_RETRY_MODE", "fast", "AWS_RETRY_MODE='fast' is not one of legacy, standard, adaptive"),
    ("AWS_ENDPOINT_URL", "127.0.0.1:5000", "AWS_ENDPOINT_URL='127.0.0.1:5000' is not a URL with a scheme "
                                           "(for example http://127.0.0.1:5000)"),
    ("AWS_ENDPOINT_URL_ECS", "localhost", "AWS_ENDPOINT_URL_ECS='localhost' is not a URL with a scheme "
                                          "(for example http://localhost)"),
])
def test_bad_aws_environment_settings_are_one_line_usage_errors(world, run, fresh_clients, monkeypatch, name, value,
                                                                problem):
    monkeypatch.setenv(name, value)
    assert (run("status").code, run("status").out, run("status").err) == (2, "", f"ops status: {problem}\n")


def test_a_bad_value_in_the_aws_config_file_is_one_line(world, run, fresh_clients, monkeypatch, tmp_path):
    (tmp_path / "config").write_text("[default]\nmax_attempts = many\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    result = run("status")
    assert (result.code, result.err) == (
        2, "ops status: AWS configuration: invalid literal for int() with base 10: 'many'\n")


@pytest.mark.parametrize("action, command, status", [  # XML and JSON protocols; success and error statuses
    ("DescribeRules", "status", 200), ("DescribeRules", "status", 403), ("DescribeServices", "status", 200),
    ("DescribeServices", "status", 502), ("FilterLogEvents", "logs", 502)])
def test_an_html_page_instead_of_an_aws_answer_is_one_line(world, run, via_proxy, status, action, command):
    via_proxy.add(action, nth=0, do="html", status=status)
    result = run(command)
    assert (result.code, result.err.splitlines()[-1]) == (3, (
        f"ops {command}: {action}: the endpoint answered HTTP {status} with an HTML page ('502 Bad Gateway'), not an "
        "AWS response; check AWS_ENDPOINT_URL and any proxy"))


def test_an_answer_that_is_not_aws_xml_is_one_line(world, run, via_proxy):
    via_proxy.add("DescribeRules", nth=0, do="error", status=500, code="<broken", message="x")
    result = run("status")
    assert result.code == 3
    assert result.err.startswith("ops status: the endpoint's answer is not an AWS response (Unable to parse response")
    assert result.err.endswith("; check AWS_ENDPOINT_URL and any proxy\n") and result.err.count("\n") == 1


def python_m_ops(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m ops ...` in a fresh interpreter, with this test's environment."""
    import os

    return subprocess.run([sys.executable, "-m", "ops", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_python_m_ops_runs_against_the_endpoint_from_the_environment(world, outputs_file, moto_url):
    result = python_m_ops("status", "--outputs", str(outputs_file), env={"AWS_ENDPOINT_URL": moto_url})
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[0] == STATUS_FIRST_LINE
    assert result.stdout.splitlines()[-1] == "maintenance: off"


def test_python_m_ops_refuses_in_one_line_without_a_traceback(world, tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({k: v for k, v in world.outputs.items() if k != "httpsListenerArn"}))
    result = python_m_ops("maintenance", "on", "--outputs", str(path))
    assert (result.returncode, result.stdout, result.stderr) == (
        2, "", f"ops maintenance: outputs file {path}: missing key(s) httpsListenerArn\n")


def test_python_m_ops_bad_environment_without_a_traceback(world, outputs_file):
    result = python_m_ops("status", "--outputs", str(outputs_file), env={"AWS_ENDPOINT_URL": "127.0.0.1:5000"})
    assert (result.returncode, result.stdout, result.stderr) == (2, "", (
        "ops status: AWS_ENDPOINT_URL='127.0.0.1:5000' is not a URL with a scheme (for example "
        "http://127.0.0.1:5000)\n"))


def test_an_unexpected_error_is_one_line_unless_debugging(world, run, monkeypatch, capsys):
    from ops import status

    monkeypatch.setattr(status, "status", lambda *a: {}["boom"])
    assert run("status").err == "ops status: unexpected KeyError: 'boom' (OPS_DEBUG=1 prints the traceback)\n"
    monkeypatch.setenv("OPS_DEBUG", "1")
    assert "Traceback (most recent call last)" in run("status").err
