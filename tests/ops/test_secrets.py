"""`secrets list | set | rotate` against moto; no secret value ever reaches any output of any command."""

import io
import json
import re

import pytest

from ops import app_secrets
from tests.ops.test_exec import ecs_with, task
from tests.ops.world import DB_PASSWORD, JWT_VALUE, STRIPE_VALUE

PARTS = ("app", "secrets", "logs")
NEW_VALUE = "sk_live_brand-new-value-99"


def value(world, name: str) -> str:
    """The current value of an app secret, read back from moto."""
    return world.client("secretsmanager").get_secret_value(SecretId=world.secret_arns[name])["SecretString"]


def deployment_ids(world) -> dict[str, str]:
    """Service -> the id of its primary deployment (a forced new deployment changes it)."""
    found = world.client("ecs").describe_services(
        cluster=world.stack, services=[world.service(n)["serviceName"] for n in ("web", "worker")])["services"]
    return {s["serviceName"].removeprefix(f"{world.stack}-"): s["deployments"][0]["id"] for s in found}


@pytest.fixture
def stdin(monkeypatch):
    """set_stdin(text, tty=False): what `secrets set` reads."""
    def set_stdin(text: str, tty: bool = False):
        stream = io.StringIO(text)
        stream.isatty = lambda: tty
        monkeypatch.setattr("sys.stdin", stream)
    return set_stdin


def test_list_names_where_each_secret_comes_from_never_values(world, run):
    result = run("secrets", "list")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        f"service web, task definition {world.stack}-web:1: 3 secret(s)",
        f"JWT_SECRET         secretsmanager {world.stack}/jwt-secret (app secret, generated: rotate renews it)",
        f"STRIPE_KEY         secretsmanager {world.stack}/stripe-key (app secret, set by hand)",
        f"DATABASE_PASSWORD  secretsmanager rds!{world.stack} key password (managed elsewhere: set and rotate "
        "refuse it)"]


def test_set_reads_stdin_stores_and_rolls_the_services_that_use_it(world, run, stdin):
    before = deployment_ids(world)
    stdin(NEW_VALUE + "\n")
    result = run("secrets", "set", "STRIPE_KEY")
    assert (result.code, result.err) == (0, "")
    assert re.fullmatch(rf"stored a new value of STRIPE_KEY in {world.stack}/stripe-key \(version [0-9a-f-]+\)",
                        result.out.splitlines()[0])
    assert result.out.splitlines()[1:] == ["service web: new deployment started; its new tasks read the new value"]
    assert value(world, "STRIPE_KEY") == NEW_VALUE
    after = deployment_ids(world)
    assert (after["web"] != before["web"], after["worker"]) == (True, before["worker"])


def test_set_of_a_secret_used_by_services_and_a_job(world, run, stdin):
    stdin("x" * 40)
    result = run("secrets", "set", "JWT_SECRET")
    assert result.out.splitlines()[1:] == ["service web: new deployment started; its new tasks read the new value",
                                           "service worker: new deployment started; its new tasks read the new value",
                                           "job analytics: reads the new value at its next run"]
    assert value(world, "JWT_SECRET") == "x" * 40


def test_set_prompts_without_echo_on_a_terminal(world, run, stdin, monkeypatch):
    stdin("", tty=True)
    prompts = []
    monkeypatch.setattr(app_secrets.getpass, "getpass", lambda prompt, stream: prompts.append(prompt) or NEW_VALUE)
    assert run("secrets", "set", "STRIPE_KEY").code == 0
    assert (prompts, value(world, "STRIPE_KEY")) == (["new value of STRIPE_KEY (input hidden): "], NEW_VALUE)


@pytest.mark.parametrize("name, code, message", [
    ("DATABASE_PASSWORD", 1, "refused: DATABASE_PASSWORD comes from {db}:password::, not from one app secret the "
                             "program created; nothing changed"),
    ("SENTRY_DSN", 2, "no service or job receives a secret named SENTRY_DSN; secrets: DATABASE_PASSWORD, JWT_SECRET, "
                      "STRIPE_KEY"),
])
def test_set_refuses_secrets_it_does_not_own(world, run, stdin, name, code, message):
    stdin(NEW_VALUE)
    result = run("secrets", "set", name)
    assert (result.code, result.out, result.err) == (
        code, "", f"ops secrets: {message.format(db=world.secret_arns['DATABASE_PASSWORD'])}\n")
    assert value(world, "STRIPE_KEY") == STRIPE_VALUE


def test_set_refuses_a_secret_whose_tag_names_another_variable(world, run, stdin):
    world.client("secretsmanager").tag_resource(SecretId=world.secret_arns["STRIPE_KEY"],
                                                Tags=[{"Key": "nodeapi:env-name", "Value": "OTHER"}])
    stdin(NEW_VALUE)
    result = run("secrets", "set", "STRIPE_KEY")
    assert (result.code, result.err) == (1, f"ops secrets: refused: {world.stack}/stripe-key is not an app secret the "
                                            "program created (its tag nodeapi:env-name is 'OTHER', not 'STRIPE_KEY'); "
                                            "nothing changed\n")
    assert value(world, "STRIPE_KEY") == STRIPE_VALUE


@pytest.mark.parametrize("text", ["", "\n"])
def test_set_refuses_an_empty_value(world, run, stdin, text):
    stdin(text)
    result = run("secrets", "set", "STRIPE_KEY")
    assert (result.code, result.err) == (2, "ops secrets: no value for STRIPE_KEY on stdin; nothing changed\n")
    assert value(world, "STRIPE_KEY") == STRIPE_VALUE


def test_rotate_generates_a_value_like_the_program_and_rolls(world, run):
    before = deployment_ids(world)
    result = run("secrets", "rotate", "JWT_SECRET")
    assert result.code == 0, result.err
    assert re.fullmatch(rf"stored a new generated value \(48 characters\) of JWT_SECRET in {world.stack}/jwt-secret "
                        r"\(version [0-9a-f-]+\)", result.out.splitlines()[0])
    new = value(world, "JWT_SECRET")
    assert re.fullmatch(r"[A-Za-z0-9]{48}", new) and new != JWT_VALUE
    assert all(deployment_ids(world)[s] != before[s] for s in ("web", "worker"))
    assert new not in result.out + result.err


def test_rotate_refuses_a_secret_the_program_did_not_generate(world, run):
    result = run("secrets", "rotate", "STRIPE_KEY")
    assert (result.code, result.err) == (1, "ops secrets: refused: STRIPE_KEY was not generated by the program (tag "
                                            "nodeapi:generated is 'false'); give it a value with `secrets set "
                                            "STRIPE_KEY`; nothing changed\n")
    assert value(world, "STRIPE_KEY") == STRIPE_VALUE


def test_rotate_without_a_length_tag_uses_64(world, run):
    world.client("secretsmanager").untag_resource(SecretId=world.secret_arns["JWT_SECRET"], TagKeys=["nodeapi:length"])
    assert run("secrets", "rotate", "JWT_SECRET").code == 0
    assert len(value(world, "JWT_SECRET")) == 64


@pytest.mark.parametrize("value_from, arn, key", [
    ("arn:aws:secretsmanager:eu-west-1:1:secret:app/jwt-AbCdEf",
     "arn:aws:secretsmanager:eu-west-1:1:secret:app/jwt-AbCdEf", None),
    ("arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-AbCdEf:password::",
     "arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-AbCdEf", "password"),
    ("arn:aws:secretsmanager:eu-west-1:1:secret:app/x-AbCdEf::AWSPREVIOUS:",
     "arn:aws:secretsmanager:eu-west-1:1:secret:app/x-AbCdEf", None),
    ("arn:aws:ssm:eu-west-1:1:parameter/app/dsn", None, None),
    ("/app/dsn", None, None),
])
def test_secret_references(value_from, arn, key):
    ref = app_secrets.SecretRef("service web", "web", "X", value_from)
    assert (ref.secret_arn, ref.json_key) == (arn, key)


def test_no_command_ever_prints_a_secret_value(world, run, stdin, stub, monkeypatch, tmp_path):
    """Every command that touches services or secrets, its output searched for every value the app holds."""
    outputs = []
    stdin(NEW_VALUE)
    outputs.append(run("secrets", "set", "STRIPE_KEY"))
    outputs.append(run("secrets", "rotate", "JWT_SECRET"))
    rotated = value(world, "JWT_SECRET")
    for args in (("secrets", "list"), ("secrets", "list", "--service", "worker"), ("status",),
                 ("logs", "web"), ("logs", "analytics"), ("run", "analytics", "--no-wait"),
                 ("maintenance", "on"), ("maintenance", "off"), ("secrets", "set", "DATABASE_PASSWORD"),
                 ("secrets", "rotate", "STRIPE_KEY")):
        outputs.append(run(*args))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "session-manager-plugin").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "bin" / "session-manager-plugin").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    ecs_with(stub, world, [task(world, "0" * 32)])
    outputs.append(run("exec", "web"))
    text = json.dumps([[r.out, r.err] for r in outputs])
    assert [r.code for r in outputs][:2] == [0, 0]
    for secret in (JWT_VALUE, STRIPE_VALUE, DB_PASSWORD, NEW_VALUE, rotated):
        assert secret not in text
