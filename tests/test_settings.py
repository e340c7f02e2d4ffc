"""Stack settings: the real files validate, and each class of bad input gets one exact message."""

import copy
import subprocess
import sys

import pytest

from settings import SettingsError, parse_settings
from tests.helpers import ROOT, stack_settings
from tools.preview import PreviewError, build_graph

SOURCE = "nodeapi:settings (Pulumi.prod.yaml)"


def bad(change) -> dict:
    """The prod settings with one change applied."""
    raw = copy.deepcopy(stack_settings("prod"))
    change(raw)
    return raw


def message_for(raw) -> str:
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw, SOURCE)
    return str(caught.value)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_real_stack_files_validate(stack):
    settings = parse_settings(stack_settings(stack), stack)
    assert settings.environment == {"staging": "staging", "prod": "production"}[stack]


def test_prod_and_staging_differ_where_they_should():
    prod = parse_settings(stack_settings("prod"), "prod")
    staging = parse_settings(stack_settings("staging"), "staging")
    assert (prod.network.az_count, prod.network.nat_strategy) == (2, "one-per-az")
    assert (staging.network.az_count, staging.network.nat_strategy) == (2, "instance")
    assert prod.network.cidr != staging.network.cidr


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: r.update(colour="blue"),
         "colour: unknown key (got 'blue'); allowed keys here: "),
        (lambda r: r["network"].update(cidrs="10.0.0.0/16"),
         "network.cidrs: unknown key (got '10.0.0.0/16'); allowed keys here: azCount, cidr, "
         "flowLogsClass, flowLogsRetentionDays, interfaceEndpoints, natInstance, natStrategy"),
        (lambda r: r["network"].update(azCount="three"),
         "network.azCount: got 'three'; input should be a valid integer, unable to parse string as an integer"),
        (lambda r: r["network"].update(azCount=4),
         "network.azCount: got 4; input should be less than or equal to 3"),
        (lambda r: r["network"].update(cidr="10.0.0.0/33"),
         "network.cidr: got '10.0.0.0/33'; not a valid IPv4 CIDR ('33' is not a valid netmask); "
         "expected e.g. '10.20.0.0/16'"),
        (lambda r: r["network"].update(cidr="10.0.0.0/24"),
         "network.cidr: got '10.0.0.0/24'; prefix /24 is not allowed; use /16 to /20"),
        (lambda r: r["network"].update(cidr="8.8.0.0/16"),
         "network.cidr: got '8.8.0.0/16'; not a private range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),
        (lambda r: r["network"].update(natStrategy="double"),
         "network.natStrategy: got 'double'; input should be 'none', 'single', 'one-per-az' or 'instance'"),
        (lambda r: r["network"].update(natStrategy="none"),
         "network.natStrategy: got 'none'; 'none' leaves tasks unable to pull images: set "
         "network.interfaceEndpoints: true or use 'single', 'one-per-az' or 'instance'"),
        (lambda r: r["network"].update(flowLogsRetentionDays=0),
         "network.flowLogsRetentionDays: got 0; not a CloudWatch Logs retention; allowed: 1, 3, 5, 7, 14, 30"),
        (lambda r: r.update(backupRegion=r["region"]),
         "backupRegion: got 'us-east-1'; must differ from region 'us-east-1'"),
        (lambda r: r.update(region="Ireland"),
         "region: got 'Ireland'; not an AWS region code; expected e.g. 'eu-west-1'"),
        (lambda r: r.pop("region"), "region: required key is missing"),
        (lambda r: r.update(environment="qa"),
         "environment: got 'qa'; input should be 'staging' or 'production'"),
    ],
)
def test_bad_settings_name_the_key_the_value_and_what_is_allowed(change, expected):
    message = message_for(bad(change))
    assert message.startswith(f"Invalid settings in {SOURCE}:\n  ")
    assert expected in message


def test_missing_settings_key_and_wrong_shape():
    assert message_for(None) == f"{SOURCE}: required key is missing (see README, 'Stack settings')"
    assert message_for(["a"]) == f"{SOURCE}: got [\"a\"]; expected a mapping of settings"


def test_bad_settings_stop_the_program_before_any_resource():
    raw = bad(lambda r: r["network"].update(cidr="10.0.0.0/33"))
    with pytest.raises(PreviewError) as caught:
        build_graph("prod", settings=raw)
    assert caught.value.exit_code == 2
    assert caught.value.declared == 0
    assert "network.cidr: got '10.0.0.0/33'" in str(caught.value)


def test_cli_reports_bad_settings_in_one_message_without_traceback(tmp_path):
    stack_file = (ROOT / "Pulumi.staging.yaml").read_text().replace("azCount: 2", "azCount: 9")
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    (tmp_path / "Pulumi.staging.yaml").write_text(stack_file)
    run = subprocess.run(
        [sys.executable, "-m", "tools.preview", "staging", "--project-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert run.stderr == (
        "error: Invalid settings in nodeapi:settings (Pulumi.staging.yaml):\n"
        "  network.azCount: got 9; input should be less than or equal to 3\n"
    )
