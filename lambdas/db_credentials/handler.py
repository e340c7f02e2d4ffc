"""The app database credentials: Secrets Manager rotation (alternating users) and the deploy-time sync.

The app secret holds {engine, host, port, dbname, username, password, url[, readUrl, readUrls]}; ECS injects
`url` as DATABASE_URL. Two login users (LOGIN_USERS, e.g. app_1,app_2) alternate: a rotation gives the user that
is *not* current a new password, and only then makes it current, so tasks still running with the old user keep
working until the forced redeploy has replaced them.

Secrets Manager calls the rotation steps (event {SecretId, ClientRequestToken, Step}):
- createSecret: AWSPENDING = the other user, a new password, the same endpoints.
- setSecret: run the ROTATE task (psql as the master user; the pending credentials reach it through ECS
  `valueFrom ...:password:AWSPENDING:`), which ensures both users exist, sets the pending user's password and
  logs in as it; then hand the new password to RDS Proxy (PROXY_USER_SECRETS, one secret per user).
- testSecret: the login test ran inside that task (this function has no PostgreSQL driver): require its success.
  A configuration test (no task was run for this token) checks only that the pending version is well formed.
- finishSecret: move AWSCURRENT to the new version, then force a new deployment of every service in the cluster:
  ECS injects secrets only at task start.

Pulumi invokes {"action": "sync"} on the first deploy and whenever the endpoints or the tasks change: run the
BOOTSTRAP task (the same SQL with the current credentials), rewrite the URLs of the current version when the
endpoints moved (a new AWSCURRENT version, same user and password), hand the current password to RDS Proxy, and
redeploy the services when the URLs changed.
"""

import hashlib
import json
import os
import time
from dataclasses import dataclass
from urllib.parse import quote

# boto3 is imported where a client is made: the Pulumi program imports this module for `secret_document` (the
# first secret value), and boto3 is the Lambda runtime's, not a dependency of the program.

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
# TLS in a form Prisma and node-postgres both read: Prisma takes sslmode=require and sslaccept; node-postgres
# (pg-connection-string) reads sslmode=require as verify-full unless uselibpqcompat=true, which gives libpq's
# require (encrypted, certificate not verified; RDS's CA is not in Node's store). Each ignores the other's key.
TLS_QUERY = "sslmode=require&sslaccept=accept_invalid_certs&uselibpqcompat=true"
PASSWORD_LENGTH = 40
STARTED_BY_LENGTH = 36  # StartTask's limit (the stricter one); letters, digits, - _ /
ESSENTIAL_EXITED = "EssentialContainerExited"

_clients: dict = {}  # created on first use; tests put stubbed clients here
sleep = time.sleep  # tests replace it


class CredentialsError(Exception):
    """The step cannot complete; Secrets Manager retries the rotation, Pulumi fails the deploy."""


@dataclass(frozen=True)
class Config:
    """The function's settings, from its environment."""

    secret_arn: str
    cluster: str
    bootstrap_family: str
    rotate_family: str
    container: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    login_users: tuple[str, str]
    host: str
    port: int
    dbname: str
    read_hosts: tuple[str, ...]
    proxy_secrets: dict
    task_timeout: int
    poll_seconds: int


def log(decision: str, **fields) -> None:
    """One JSON line per decision (never a password)."""
    print(json.dumps({"decision": decision, **fields}, default=str, sort_keys=True))


def ids(raw: str | None) -> tuple[str, ...]:
    """A comma-separated list, blanks ignored."""
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def parse_config(environ) -> Config:
    """All settings; CredentialsError names the first bad one."""
    try:
        users = ids(environ["LOGIN_USERS"])
        if len(users) != 2 or users[0] == users[1]:
            raise CredentialsError(f"LOGIN_USERS must name two different users, got {environ['LOGIN_USERS']!r}")
        return Config(
            secret_arn=environ["SECRET_ARN"], cluster=environ["CLUSTER_ARN"],
            bootstrap_family=environ["BOOTSTRAP_TASK_DEFINITION"], rotate_family=environ["ROTATE_TASK_DEFINITION"],
            container=environ["CONTAINER_NAME"],
            subnets=ids(environ["SUBNET_IDS"]), security_groups=ids(environ["SECURITY_GROUP_IDS"]),
            login_users=(users[0], users[1]), host=environ["DB_HOST"], port=int(environ["DB_PORT"]),
            dbname=environ["DB_NAME"], read_hosts=ids(environ.get("READ_HOSTS")),
            proxy_secrets=json.loads(environ.get("PROXY_USER_SECRETS") or "{}"),
            task_timeout=int(environ.get("TASK_TIMEOUT_SECONDS", "600")),
            poll_seconds=int(environ.get("POLL_SECONDS", "5")),
        )
    except KeyError as missing:
        raise CredentialsError(f"the environment lacks {missing.args[0]}") from None
    except ValueError as error:
        raise CredentialsError(f"bad setting: {error}") from None


def database_url(username: str, password: str, host: str, port: int, dbname: str) -> str:
    """`postgresql://user:password@host:port/db?<TLS_QUERY>` (user and password percent-encoded)."""
    return (f"postgresql://{quote(username, safe='')}:{quote(password, safe='')}@{host}:{port}/"
            f"{quote(dbname, safe='')}?{TLS_QUERY}")


def secret_document(username: str, password: str, host: str, port: int, dbname: str,
                    read_hosts: tuple[str, ...] | list[str] = ()) -> dict:
    """The app secret's value for one user: the discrete fields and the URLs built from them (`readUrl` is the
    first replica, `readUrls` all of them, comma-separated; both absent without replicas)."""
    value = {"engine": "postgres", "host": host, "port": port, "dbname": dbname, "username": username,
             "password": password, "url": database_url(username, password, host, port, dbname)}
    reads = [database_url(username, password, read_host, port, dbname) for read_host in read_hosts]
    if reads:
        value["readUrl"] = reads[0]
        value["readUrls"] = ",".join(reads)
    return value


def credentials(username: str, password: str, config: Config) -> dict:
    """The secret's value for one user with the endpoints of this function's settings."""
    return secret_document(username, password, config.host, config.port, config.dbname, config.read_hosts)


def other_user(username: str, config: Config) -> str:
    """The login user that is not `username`."""
    if username not in config.login_users:
        raise CredentialsError(f"the current user {username!r} is not one of {', '.join(config.login_users)}")
    first, second = config.login_users
    return second if username == first else first


def started_by(kind: str, key: str) -> str:
    """The startedBy tag (and RunTask clientToken) of the task a token or request runs."""
    return (f"{kind}-" + hashlib.sha256(key.encode()).hexdigest())[:STARTED_BY_LENGTH]


def client(name: str):
    """A boto3 client, created on first use."""
    if name not in _clients:
        import boto3

        _clients[name] = boto3.client(name)
    return _clients[name]


def not_found(error: Exception) -> bool:
    """A botocore ClientError for a secret or version that does not exist."""
    return getattr(error, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException"


def secret_value(sm, arn: str, stage: str, version: str | None = None) -> dict:
    """A version's JSON value."""
    kwargs = {"SecretId": arn, "VersionStage": stage, **({"VersionId": version} if version else {})}
    return json.loads(sm.get_secret_value(**kwargs)["SecretString"])


# ------------------------------------------------------------------------------------------------- ECS tasks


def find_task(ecs, config: Config, tag: str) -> dict | None:
    """The task started with this startedBy, running or stopped."""
    for desired in ("RUNNING", "STOPPED"):
        arns = ecs.list_tasks(cluster=config.cluster, startedBy=tag, desiredStatus=desired).get("taskArns")
        if arns:
            tasks = ecs.describe_tasks(cluster=config.cluster, tasks=arns[:1]).get("tasks") or []
            return tasks[0] if tasks else None
    return None


def task_failure(task: dict, container: str) -> str | None:
    """Why a STOPPED task failed, or None when the container exited 0 on its own."""
    found = next((c for c in task.get("containers", []) if c.get("name") == container), None)
    reason = task.get("stoppedReason") or "no stoppedReason"
    if found is None:
        return f"the task has no container {container!r} ({reason})"
    if found.get("exitCode") != 0:
        return f"container {container!r} exited with {found.get('exitCode')}: {found.get('reason') or reason}"
    if task.get("stopCode", ESSENTIAL_EXITED) != ESSENTIAL_EXITED:
        return f"container {container!r} exited with 0 but the task was stopped ({task.get('stopCode')}): {reason}"
    return None


def start_task(ecs, config: Config, family: str, tag: str) -> dict:
    """RunTask of one task of `family`, idempotent through the clientToken."""
    response = ecs.run_task(
        cluster=config.cluster, taskDefinition=family, launchType="FARGATE", count=1, startedBy=tag,
        clientToken=tag, networkConfiguration={"awsvpcConfiguration": {
            "subnets": list(config.subnets), "securityGroups": list(config.security_groups),
            "assignPublicIp": "DISABLED"}},
    )
    tasks = response.get("tasks") or []
    if not tasks:
        raise CredentialsError(f"ECS did not start {family}: {response.get('failures')}")
    log("task_started", family=family, startedBy=tag, taskArn=tasks[0]["taskArn"])
    return tasks[0]


def run_to_completion(ecs, config: Config, family: str, tag: str) -> None:
    """Start (or find) the task and wait until it stops; CredentialsError unless it succeeded."""
    task = find_task(ecs, config, tag) or start_task(ecs, config, family, tag)
    waited = 0
    while task.get("lastStatus") != "STOPPED":
        if waited >= config.task_timeout:
            ecs.stop_task(cluster=config.cluster, task=task["taskArn"], reason="database user task timed out")
            raise CredentialsError(f"{family} still {task.get('lastStatus')} after {waited} s")
        sleep(config.poll_seconds)
        waited += config.poll_seconds
        task = ecs.describe_tasks(cluster=config.cluster, tasks=[task["taskArn"]])["tasks"][0]
    failure = task_failure(task, config.container)
    if failure:
        raise CredentialsError(f"{family}: {failure}")
    log("task_succeeded", family=family, startedBy=tag, taskArn=task["taskArn"])


def redeploy(ecs, config: Config) -> list[str]:
    """Force a new deployment of every service in the cluster: new tasks read the new AWSCURRENT."""
    services = [arn for page in ecs.get_paginator("list_services").paginate(cluster=config.cluster)
                for arn in page.get("serviceArns", [])]
    for arn in services:
        ecs.update_service(cluster=config.cluster, service=arn, forceNewDeployment=True)
    log("services_redeployed", services=services)
    return services


def tell_proxy(sm, config: Config, value: dict, token: str | None = None) -> bool:
    """Put a user's password in its RDS Proxy secret (one secret per user); False when it already holds it."""
    arn = config.proxy_secrets.get(value["username"])
    if not arn:
        return False
    wanted = {"username": value["username"], "password": value["password"]}
    try:
        if secret_value(sm, arn, CURRENT) == wanted:
            return False
    except Exception as error:  # noqa: BLE001 (re-raised unless it is botocore's ResourceNotFoundException)
        if not not_found(error):
            raise
    idempotent = {"ClientRequestToken": token} if token else {}
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(wanted), **idempotent)
    log("proxy_secret_updated", username=value["username"])
    return True


# ------------------------------------------------------------------------------------------------- rotation


def check_version(sm, arn: str, token: str) -> bool:
    """True when the rotation still has work to do for `token` (Secrets Manager's own preconditions)."""
    metadata = sm.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise CredentialsError(f"rotation is not enabled on {arn}")
    stages = metadata.get("VersionIdsToStages", {})
    if token not in stages:
        raise CredentialsError(f"version {token} of {arn} has no stage")
    if CURRENT in stages[token]:
        log("already_current", token=token)
        return False
    if PENDING not in stages[token]:
        raise CredentialsError(f"version {token} of {arn} is not AWSPENDING")
    return True


def create_secret(sm, arn: str, token: str, config: Config) -> None:
    """AWSPENDING: the other user with a new password (kept if this token already has one)."""
    current = secret_value(sm, arn, CURRENT)
    try:
        secret_value(sm, arn, PENDING, token)
        log("pending_exists", token=token)
        return
    except Exception as error:  # noqa: BLE001 (re-raised unless it is botocore's ResourceNotFoundException)
        if not not_found(error):
            raise
    username = other_user(current["username"], config)
    password = sm.get_random_password(PasswordLength=PASSWORD_LENGTH, ExcludePunctuation=True)["RandomPassword"]
    sm.put_secret_value(SecretId=arn, ClientRequestToken=token, VersionStages=[PENDING],
                        SecretString=json.dumps(credentials(username, password, config)))
    log("pending_created", token=token, username=username)


def set_secret(sm, ecs, arn: str, token: str, config: Config) -> None:
    """The database takes the pending password (the rotate task), then the proxy does."""
    pending = secret_value(sm, arn, PENDING, token)
    other_user(pending["username"], config)  # refuse a pending user that is neither login user
    run_to_completion(ecs, config, config.rotate_family, started_by("rotate", token))
    tell_proxy(sm, config, pending, token)


def test_secret(sm, ecs, arn: str, token: str, config: Config) -> None:
    """The rotate task logged in as the pending user; a configuration test only checks the pending version."""
    pending = secret_value(sm, arn, PENDING, token)
    other_user(pending["username"], config)
    task = find_task(ecs, config, started_by("rotate", token))
    if task is None:
        log("configuration_test", token=token, username=pending["username"])
        return
    failure = task_failure(task, config.container) if task.get("lastStatus") == "STOPPED" else "still running"
    if failure:
        raise CredentialsError(f"the login test of {pending['username']} failed: {failure}")
    log("login_tested", token=token, username=pending["username"])


def finish_secret(sm, ecs, arn: str, token: str, config: Config) -> None:
    """AWSCURRENT moves to the new version; every service redeploys so its tasks use it."""
    stages = sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    current = next((version for version, labels in stages.items() if CURRENT in labels), None)
    if current != token:
        previous = {"RemoveFromVersionId": current} if current else {}
        sm.update_secret_version_stage(SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token, **previous)
        log("current_moved", token=token, previous=current)
    redeploy(ecs, config)


def rotate(event: dict, config: Config) -> None:
    """One rotation step."""
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in STEPS:
        raise CredentialsError(f"unknown step {step!r}")
    if arn != config.secret_arn:
        raise CredentialsError(f"this function rotates {config.secret_arn}, not {arn}")
    sm, ecs = client("secretsmanager"), client("ecs")
    if step != "finishSecret" and not check_version(sm, arn, token):
        return
    if step == "createSecret":
        create_secret(sm, arn, token, config)
    elif step == "setSecret":
        set_secret(sm, ecs, arn, token, config)
    elif step == "testSecret":
        test_secret(sm, ecs, arn, token, config)
    else:
        finish_secret(sm, ecs, arn, token, config)


# ------------------------------------------------------------------------------------------------- sync


def sync(request_id: str, config: Config) -> dict:
    """Deploy time: users and the current password in the database, current URLs in the secret and the proxy."""
    sm, ecs, arn = client("secretsmanager"), client("ecs"), config.secret_arn
    run_to_completion(ecs, config, config.bootstrap_family, started_by("sync", request_id))
    current = secret_value(sm, arn, CURRENT)
    other_user(current["username"], config)
    wanted = credentials(current["username"], current["password"], config)
    rewritten = wanted != current
    if rewritten:
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps(wanted))
        log("urls_rewritten", username=current["username"])
    proxy_updated = tell_proxy(sm, config, wanted)
    services = redeploy(ecs, config) if rewritten or proxy_updated else []
    return {"username": current["username"], "rewritten": rewritten, "proxyUpdated": proxy_updated,
            "redeployed": len(services)}


def handler(event, context):
    """Lambda entry point: a rotation step from Secrets Manager, or {"action": "sync"} from Pulumi."""
    config = parse_config(os.environ)
    if "Step" in event:
        rotate(event, config)
        return {"step": event["Step"]}
    if event.get("action") == "sync":
        return sync(getattr(context, "aws_request_id", "local"), config)
    raise CredentialsError(f"unknown event: neither a rotation step nor a sync ({sorted(event)})")
