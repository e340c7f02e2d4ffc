"""`secrets list | set NAME | rotate NAME`: the app's secrets as its task definitions receive them (`.env`).

Values are never printed, logged or taken from the command line: `set` reads the value from stdin (a hidden
prompt on a terminal), `rotate` generates it. After storing, every service whose running task definition
references the secret gets a new deployment (UpdateService forceNewDeployment), the normal blue/green path;
jobs read the new value at their next run. Only secrets the program created for the app (tag
nodeapi:env-name) are written; `rotate` only those it also generated (tag nodeapi:generated=true).
"""

import getpass
import secrets
import string
import sys
from dataclasses import dataclass
from typing import TextIO

from botocore.exceptions import ClientError

from ops.errors import Refused, UsageError, error_text
from ops.interrupt import shielded
from ops.logs import task_definition
from ops.outputs import pick_service
from ops.status import describe_services

ENV_NAME_TAG, GENERATED_TAG, LENGTH_TAG = "nodeapi:env-name", "nodeapi:generated", "nodeapi:length"
# pulumi_random RandomPassword(special=False), as components/app_secrets.py generates the first value.
ALPHABET = string.ascii_letters + string.digits
DEFAULT_LENGTH, MAX_LENGTH = 64, 4096
MAX_SECRET_BYTES = 65536  # Secrets Manager PutSecretValue SecretString limit


@dataclass(frozen=True)
class SecretRef:
    """One `secrets` entry of a container: the env var a task receives and where ECS reads it from."""

    owner: str  # `service web` / `job analytics`
    container: str
    name: str
    value_from: str

    @property
    def secret_arn(self) -> str | None:
        """The Secrets Manager secret ARN (without a JSON key or version suffix), or None for SSM parameters."""
        parts = self.value_from.split(":")
        return ":".join(parts[:7]) if len(parts) >= 7 and parts[2] == "secretsmanager" else None

    @property
    def json_key(self) -> str | None:
        """The JSON key ECS extracts from the secret, if any (`arn:...:secret:name-AbCdEf:key::`)."""
        parts = self.value_from.split(":")
        if self.secret_arn is None or len(parts) < 8:
            return None
        return parts[7] or None


def container_refs(owner: str, definition: dict) -> list[SecretRef]:
    """Every secret of every container of a task definition."""
    return [SecretRef(owner, c["name"], s["name"], s["valueFrom"])
            for c in definition.get("containerDefinitions", []) for s in c.get("secrets", [])]


def service_definitions(aws, outputs: dict, names: list[str]) -> dict[str, dict]:
    """Service name -> the task definition it runs now (services ECS does not know are left out)."""
    ecs = aws.client("ecs")
    entries = {name: outputs["services"][name] for name in names}
    described = describe_services(ecs, outputs["clusterName"], [e["serviceName"] for e in entries.values()])
    return {name: task_definition(ecs, described[e["serviceName"]]["taskDefinition"])
            for name, e in entries.items() if e["serviceName"] in described}


def all_refs(aws, outputs: dict) -> list[SecretRef]:
    """The secrets every service (running task definition) and job (latest revision) receives."""
    refs = []
    for name, definition in service_definitions(aws, outputs, list(outputs["services"])).items():
        refs += container_refs(f"service {name}", definition)
    ecs = aws.client("ecs")
    for name, job in outputs["jobs"].items():
        refs += container_refs(f"job {name}", task_definition(ecs, job["taskFamily"]))
    return refs


def describe_secret(sm, arn: str) -> tuple[str, dict[str, str]]:
    """(name, tags) of a Secrets Manager secret."""
    found = sm.describe_secret(SecretId=arn)
    return found["Name"], {t["Key"]: t["Value"] for t in found.get("Tags", [])}


def source_text(ref: SecretRef, sm) -> str:
    """`secretsmanager app-prod/jwt-secret (app secret, generated)`; never the value."""
    if ref.secret_arn is None:
        return f"ssm parameter {ref.value_from}"
    try:
        name, tags = describe_secret(sm, ref.secret_arn)
    except ClientError as error:
        return f"secretsmanager {ref.secret_arn} (cannot describe: {error_text(error)})"
    key = f" key {ref.json_key}" if ref.json_key else ""
    if tags.get(ENV_NAME_TAG) != ref.name or ref.json_key:
        kind = "managed elsewhere: set and rotate refuse it"
    else:
        kind = "app secret, " + ("generated: rotate renews it" if tags.get(GENERATED_TAG) == "true" else "set by hand")
    return f"secretsmanager {name}{key} ({kind})"


def list_secrets(aws, outputs: dict, service_name: str | None) -> None:
    """The secret names a service receives and where from."""
    service = pick_service(outputs, service_name)
    definitions = service_definitions(aws, outputs, [service])
    if service not in definitions:
        raise UsageError(f"ECS service {outputs['services'][service]['serviceName']} not found in cluster "
                         f"{outputs['clusterName']}")
    definition = definitions[service]
    refs = container_refs(f"service {service}", definition)
    main = outputs["services"][service]["containerName"]
    print(f"service {service}, task definition {definition['taskDefinitionArn'].rsplit('/', 1)[-1]}: "
          f"{len(refs)} secret(s)")
    width = max((len(r.name) for r in refs), default=0)
    sm = aws.client("secretsmanager")
    for ref in refs:
        where = "" if ref.container == main else f" [container {ref.container}]"
        print(f"{ref.name.ljust(width)}  {source_text(ref, sm)}{where}")


def app_secret(aws, outputs: dict, name: str) -> tuple[str, str, dict[str, str], list[SecretRef]]:
    """(ARN, secret name, tags, references) of the app secret behind an env var name; Refused otherwise."""
    refs = all_refs(aws, outputs)
    using = [r for r in refs if r.name == name]
    if not using:
        known = sorted({r.name for r in refs})
        raise UsageError(f"no service or job receives a secret named {name}; secrets: {', '.join(known) or 'none'}")
    sources = {r.value_from for r in using}
    arns = {r.secret_arn for r in using}
    if len(arns) != 1 or None in arns or any(r.json_key for r in using):
        raise Refused(f"refused: {name} comes from {', '.join(sorted(sources))}, not from one app secret the "
                      "program created; nothing changed")
    arn = arns.pop()
    secret_name, tags = describe_secret(aws.client("secretsmanager"), arn)
    if tags.get(ENV_NAME_TAG) != name:
        raise Refused(f"refused: {secret_name} is not an app secret the program created (its tag {ENV_NAME_TAG} is "
                      f"{tags.get(ENV_NAME_TAG, 'missing')!r}, not {name!r}); nothing changed")
    return arn, secret_name, tags, [r for r in refs if r.secret_arn == arn]


def read_value(name: str, stdin: TextIO) -> str:
    """The new value from stdin: a hidden prompt on a terminal, else all of stdin minus one final newline."""
    if stdin.isatty():
        value = getpass.getpass(f"new value of {name} (input hidden): ", stream=sys.stderr)
    else:
        value = stdin.read()
        value = value[:-2] if value.endswith("\r\n") else value.removesuffix("\n")
    if not value:
        raise UsageError(f"no value for {name} on stdin; nothing changed")
    if len(value.encode()) > MAX_SECRET_BYTES:
        raise UsageError(f"the value of {name} is longer than {MAX_SECRET_BYTES} bytes; nothing changed")
    return value


def generated_value(tags: dict[str, str]) -> str:
    """A new value like the program's first one: letters and digits, the length of tag nodeapi:length (or 64)."""
    raw = tags.get(LENGTH_TAG, str(DEFAULT_LENGTH))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LENGTH:
        raise Refused(f"refused: tag {LENGTH_TAG}={raw!r} is not a length from 1 to {MAX_LENGTH}; nothing changed")
    return "".join(secrets.choice(ALPHABET) for _ in range(int(raw)))


def roll(aws, outputs: dict, refs: list[SecretRef]) -> None:
    """A new deployment of every service that receives the secret; what jobs do; what is left on interruption."""
    services = sorted({r.owner.removeprefix("service ") for r in refs if r.owner.startswith("service ")})
    jobs = sorted({r.owner.removeprefix("job ") for r in refs if r.owner.startswith("job ")})
    ecs, cluster, done = aws.client("ecs"), outputs["clusterName"], []
    try:
        for name in services:
            ecs_name = outputs["services"][name]["serviceName"]
            with shielded(f"rolling service {name}"):
                ecs.update_service(cluster=cluster, service=ecs_name, forceNewDeployment=True)
                done.append(name)
                print(f"service {name}: new deployment started; its new tasks read the new value")
    except BaseException:
        for name in (n for n in services if n not in done):
            print(f"service {name} not rolled yet; roll it with: aws ecs update-service --cluster {cluster} "
                  f"--service {outputs['services'][name]['serviceName']} --force-new-deployment", file=sys.stderr)
        raise
    for name in jobs:
        print(f"job {name}: reads the new value at its next run")


def store(aws, arn: str, secret_name: str, env_name: str, value: str, what: str) -> None:
    """PutSecretValue; report the version, never the value."""
    with shielded(f"storing the new value of {env_name}"):
        version = aws.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=value)["VersionId"]
        print(f"stored {what} of {env_name} in {secret_name} (version {version})")


def set_secret(aws, outputs: dict, name: str, stdin: TextIO) -> None:
    """Store a value read from stdin, then roll the services that receive it."""
    arn, secret_name, _, refs = app_secret(aws, outputs, name)
    value = read_value(name, stdin)
    store(aws, arn, secret_name, name, value, "a new value")
    roll(aws, outputs, refs)


def rotate_secret(aws, outputs: dict, name: str) -> None:
    """Generate and store a new value of a generated app secret, then roll the services that receive it."""
    arn, secret_name, tags, refs = app_secret(aws, outputs, name)
    if tags.get(GENERATED_TAG) != "true":
        raise Refused(f"refused: {name} was not generated by the program (tag {GENERATED_TAG} is "
                      f"{tags.get(GENERATED_TAG, 'missing')!r}); give it a value with `secrets set {name}`; "
                      "nothing changed")
    value = generated_value(tags)
    store(aws, arn, secret_name, name, value, f"a new generated value ({len(value)} characters)")
    roll(aws, outputs, refs)
