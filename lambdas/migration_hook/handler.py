"""ECS blue/green lifecycle hook: run the new revision's database migrations before it gets any traffic.

ECS invokes this Lambda with {executionId, lifecycleStage, resourceArn, executionDetails: {serviceArn,
targetServiceRevisionArn, testTrafficWeights, productionTrafficWeights}} and expects {hookStatus} back
(SUCCEEDED, FAILED, or IN_PROGRESS with an optional callBackDelay in seconds, 30 by default); FAILED, an
error or a missing hookStatus rolls the deployment back.

The hook runs at PRE_SCALE_UP (setting HOOK_STAGE): the green revision has not started and blue still serves
all production traffic, so no task of the new code ever runs, passes a health check or sees test traffic
against an unmigrated schema, and a failed migration rolls back before any green capacity is launched.
Blue keeps serving during and after the migration, so migrations must be backward compatible (expand, then
contract in a later release); that holds for every stage before the production shift. At any other stage
the hook answers SUCCEEDED at once, which also keeps it out of the way of a rollback (ECS re-runs the
TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT hooks while rolling back).

The Lambda keeps no state: the migration task carries startedBy derived from the executionId, so each
re-invocation finds it with ListTasks, and the same value is RunTask's clientToken, so even a retry that
misses the task cannot start a second one.

With BOOTSTRAP_TASK_DEFINITION set, the data tier's database-users task (psql as the master user: the app's
owner role and login users, idempotent) runs first, the same way (startedBy "bootstrap-" + the execution), and
the migration starts only after it exited 0: migrations always run as an app user that exists.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone

import boto3
from botocore.exceptions import BotoCoreError, ClientError

STAGES = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
          "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT")
DEFAULT_STAGE = "PRE_SCALE_UP"
DEFAULT_CONTAINER = "web"
DEFAULT_COMMAND = ("npx", "prisma", "migrate", "deploy")
DEFAULT_CALLBACK_DELAY = 30
DEFAULT_TIMEOUT = 1800

SUCCEEDED, FAILED, IN_PROGRESS = "SUCCEEDED", "FAILED", "IN_PROGRESS"
RUNNING, TIMED_OUT = "RUNNING", "TIMED_OUT"  # task verdicts besides SUCCEEDED and FAILED

# startedBy: at most 36 characters (StartTask's limit, the stricter of the two), letters, digits, - _ /.
STARTED_BY_PREFIX = "migrate-"
BOOTSTRAP_PREFIX = "bootstrap-"
STARTED_BY_LENGTH = 36
ESSENTIAL_EXITED = "EssentialContainerExited"

_ecs = None  # created on first use; tests put a stubbed client here


class HookError(Exception):
    """A condition that makes the hook answer FAILED; the message says why."""


@dataclass(frozen=True)
class Bootstrap:
    """The task that sets up the database users before any migration, and where it runs."""

    task_definition: str
    container_name: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    """The hook's settings, from the Lambda's environment."""

    container_name: str
    command: tuple[str, ...]
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    callback_delay: int
    timeout: int
    bootstrap: Bootstrap | None = None


@dataclass(frozen=True)
class HookEvent:
    """The fields of the ECS lifecycle hook payload the migration needs."""

    execution_id: str
    service_arn: str
    revision_arn: str


def log(decision: str, **fields) -> None:
    """One structured log line per decision (CloudWatch Logs keeps the JSON searchable)."""
    print(json.dumps({"decision": decision, **fields}, default=str, sort_keys=True))


def hook_stage(environ) -> str:
    """The lifecycle stage the migration runs at (HOOK_STAGE)."""
    stage = environ.get("HOOK_STAGE", DEFAULT_STAGE)
    if stage not in STAGES:
        raise HookError(f"HOOK_STAGE must be one of {', '.join(STAGES)}, got {stage!r}")
    return stage


def parse_command(raw: str | None) -> tuple[str, ...]:
    """The migration command from MIGRATION_COMMAND, a JSON list of strings."""
    if raw is None:
        return DEFAULT_COMMAND
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise HookError(f"MIGRATION_COMMAND is not JSON ({error}): {raw!r}") from None
    if not isinstance(value, list) or not value or not all(isinstance(part, str) for part in value):
        raise HookError(f"MIGRATION_COMMAND must be a non-empty JSON list of strings, got {raw!r}")
    return tuple(value)


def parse_ids(raw: str | None) -> tuple[str, ...]:
    """A comma-separated list of IDs, blanks ignored."""
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def parse_seconds(environ, name: str, default: int) -> int:
    """A positive whole number of seconds from the environment."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HookError(f"{name} must be a whole number of seconds, got {raw!r}") from None
    if value <= 0:
        raise HookError(f"{name} must be positive, got {value}")
    return value


def parse_bootstrap(environ) -> Bootstrap | None:
    """The bootstrap task (BOOTSTRAP_TASK_DEFINITION empty or absent: none)."""
    family = environ.get("BOOTSTRAP_TASK_DEFINITION", "").strip()
    if not family:
        return None
    bootstrap = Bootstrap(
        task_definition=family,
        container_name=environ.get("BOOTSTRAP_CONTAINER_NAME", "").strip(),
        subnets=parse_ids(environ.get("BOOTSTRAP_SUBNET_IDS")),
        security_groups=parse_ids(environ.get("BOOTSTRAP_SECURITY_GROUP_IDS")),
    )
    missing = [name for name, value in (("BOOTSTRAP_CONTAINER_NAME", bootstrap.container_name),
                                        ("BOOTSTRAP_SUBNET_IDS", bootstrap.subnets),
                                        ("BOOTSTRAP_SECURITY_GROUP_IDS", bootstrap.security_groups)) if not value]
    if missing:
        raise HookError(f"BOOTSTRAP_TASK_DEFINITION is set but {', '.join(missing)} is empty")
    return bootstrap


def parse_config(environ) -> Config:
    """All settings, validated; HookError names the first bad one."""
    container = environ.get("CONTAINER_NAME", DEFAULT_CONTAINER).strip()
    if not container:
        raise HookError("CONTAINER_NAME is empty")
    return Config(
        container_name=container,
        command=parse_command(environ.get("MIGRATION_COMMAND")),
        subnets=parse_ids(environ.get("SUBNET_IDS")),
        security_groups=parse_ids(environ.get("SECURITY_GROUP_IDS")),
        callback_delay=parse_seconds(environ, "CALLBACK_DELAY_SECONDS", DEFAULT_CALLBACK_DELAY),
        timeout=parse_seconds(environ, "MIGRATION_TIMEOUT_SECONDS", DEFAULT_TIMEOUT),
        bootstrap=parse_bootstrap(environ),
    )


def parse_event(event: dict) -> HookEvent:
    """The execution and revision of a lifecycle hook payload."""
    details = event.get("executionDetails") or {}
    values = (event.get("executionId"), details.get("serviceArn"), details.get("targetServiceRevisionArn"))
    names = ("executionId", "executionDetails.serviceArn", "executionDetails.targetServiceRevisionArn")
    missing = [name for name, value in zip(names, values) if not value]
    if missing:
        raise HookError(f"the hook payload lacks {', '.join(missing)}")
    return HookEvent(*values)


def started_by_for(execution_id: str, prefix: str = STARTED_BY_PREFIX) -> str:
    """The startedBy tag (and RunTask clientToken) of an execution's migration (or bootstrap) task."""
    digest = hashlib.sha256(execution_id.encode()).hexdigest()
    return (prefix + digest)[:STARTED_BY_LENGTH]


def cluster_of(revision: dict, service_arn: str) -> str:
    """The service's cluster: the revision's clusterArn, else the cluster in the service ARN."""
    if revision.get("clusterArn"):
        return revision["clusterArn"]
    parts = service_arn.split(":", 5)[-1].split("/")  # service/<cluster>/<service>
    if len(parts) != 3 or parts[0] != "service":
        raise HookError(f"no cluster in the service revision nor in the service ARN {service_arn!r}")
    return parts[1]


def network_configuration(revision: dict, config: Config) -> dict:
    """The service's awsvpc subnets and security groups (the revision's, else the settings'), no public IP."""
    awsvpc = (revision.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    subnets = list(awsvpc.get("subnets") or config.subnets)
    groups = list(awsvpc.get("securityGroups") or config.security_groups)
    if not subnets:
        raise HookError("no subnets: the service revision has none and SUBNET_IDS is empty")
    # Without groups ECS would use the VPC's default group, which is never the one that reaches the database.
    if not groups:
        raise HookError("no security groups: the service revision has none and SECURITY_GROUP_IDS is empty")
    return {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": groups, "assignPublicIp": "DISABLED"}}


def run_task_request(cluster: str, task_definition: str, network: dict, config: Config, started_by: str) -> dict:
    """The RunTask parameters of the one migration task."""
    return {
        "cluster": cluster,
        "taskDefinition": task_definition,
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": started_by,
        "clientToken": started_by,
        "networkConfiguration": network,
        "overrides": {"containerOverrides": [{"name": config.container_name, "command": list(config.command)}]},
    }


def stopped_verdict(task: dict, container_name: str) -> tuple[str, str]:
    """SUCCEEDED or FAILED, with the reason, for a STOPPED migration task."""
    stopped = task.get("stoppedReason") or "no stoppedReason"
    container = next((c for c in task.get("containers", []) if c.get("name") == container_name), None)
    if container is None:
        return FAILED, f"the task has no container {container_name!r} ({stopped})"
    code = container.get("exitCode")
    if code is None:
        detail = container.get("reason") or stopped
        return FAILED, f"container {container_name!r} never exited normally (no exit code): {detail}"
    if code != 0:
        return FAILED, f"container {container_name!r} exited with {code}: {container.get('reason') or stopped}"
    stop_code = task.get("stopCode", ESSENTIAL_EXITED)
    # Exit 0 after someone else stopped the task may be a migration cut short by SIGTERM.
    if stop_code != ESSENTIAL_EXITED:
        return FAILED, f"container {container_name!r} exited with 0 but the task was stopped ({stop_code}): {stopped}"
    return SUCCEEDED, f"container {container_name!r} exited with 0"


def task_verdict(task: dict, container_name: str, now: datetime, timeout: int) -> tuple[str, str]:
    """RUNNING, TIMED_OUT, SUCCEEDED or FAILED, with the reason, for a migration task."""
    status = task.get("lastStatus", "UNKNOWN")
    if status == "STOPPED":
        return stopped_verdict(task, container_name)
    age = int((now - task.get("createdAt", now)).total_seconds())
    if age >= timeout:
        return TIMED_OUT, f"still {status} {age} s after creation (MIGRATION_TIMEOUT_SECONDS={timeout})"
    return RUNNING, f"{status} for {age} s"


def ecs_client():
    """The ECS client, created on first use."""
    global _ecs
    if _ecs is None:
        _ecs = boto3.client("ecs")
    return _ecs


def describe_revision(ecs, revision_arn: str) -> dict:
    """The target service revision (task definition, cluster, network)."""
    response = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn])
    revisions = response.get("serviceRevisions") or []
    if not revisions:
        raise HookError(f"cannot describe service revision {revision_arn}: {response.get('failures')}")
    return revisions[0]


def find_task(ecs, cluster: str, started_by: str) -> dict | None:
    """The execution's migration task, running or stopped, if one was started."""
    for desired in ("RUNNING", "STOPPED"):
        arns = ecs.list_tasks(cluster=cluster, startedBy=started_by, desiredStatus=desired).get("taskArns")
        if arns:
            tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[:1]).get("tasks") or []
            return tasks[0] if tasks else None
    return None


def in_progress(config: Config) -> dict:
    """The IN_PROGRESS answer, asking ECS to call back after the configured delay."""
    return {"hookStatus": IN_PROGRESS, "callBackDelay": config.callback_delay}


def start_migration(ecs, cluster: str, revision: dict, config: Config, ids: dict) -> dict:
    """Run the one migration task of the new task definition; IN_PROGRESS, or FAILED if ECS refused."""
    network = network_configuration(revision, config)
    request = run_task_request(cluster, revision["taskDefinition"], network, config, ids["startedBy"])
    response = ecs.run_task(**request)
    # With count 1, any failure means no task; a task that did start is followed, failures or not.
    tasks = response.get("tasks") or []
    if not tasks:
        log("run_task_failed", hookStatus=FAILED, failures=response.get("failures") or [], **ids)
        return {"hookStatus": FAILED}
    log("migration_started", hookStatus=IN_PROGRESS, taskArn=tasks[0]["taskArn"],
        taskDefinition=revision["taskDefinition"], command=list(config.command), **ids)
    return in_progress(config)


def follow_migration(ecs, cluster: str, task: dict, config: Config, now: datetime, ids: dict) -> dict:
    """Answer for a started migration task; stop it when it outlived the timeout."""
    verdict, reason = task_verdict(task, config.container_name, now, config.timeout)
    fields = {"taskArn": task.get("taskArn"), "lastStatus": task.get("lastStatus"), "reason": reason, **ids}
    if verdict == RUNNING:
        log("migration_running", hookStatus=IN_PROGRESS, **fields)
        return in_progress(config)
    if verdict == TIMED_OUT:
        ecs.stop_task(cluster=cluster, task=task["taskArn"],
                      reason=f"Migration timed out after {config.timeout} s (deployment hook)")
        log("migration_timed_out", hookStatus=FAILED, **fields)
        return {"hookStatus": FAILED}
    log("migration_succeeded" if verdict == SUCCEEDED else "migration_failed", hookStatus=verdict, **fields)
    return {"hookStatus": verdict}


def bootstrap_request(cluster: str, bootstrap: Bootstrap, started_by: str) -> dict:
    """The RunTask parameters of the bootstrap task (its own task definition and network, no override)."""
    return {
        "cluster": cluster,
        "taskDefinition": bootstrap.task_definition,
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": started_by,
        "clientToken": started_by,
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": list(bootstrap.subnets),
                                                         "securityGroups": list(bootstrap.security_groups),
                                                         "assignPublicIp": "DISABLED"}},
    }


def bootstrap_first(ecs, cluster: str, config: Config, now: datetime, execution_id: str) -> dict | None:
    """The answer while the bootstrap task is not done (or failed); None once it exited 0."""
    bootstrap = config.bootstrap
    ids = {"executionId": execution_id, "startedBy": started_by_for(execution_id, BOOTSTRAP_PREFIX),
           "cluster": cluster}
    task = find_task(ecs, cluster, ids["startedBy"])
    if task is None:
        response = ecs.run_task(**bootstrap_request(cluster, bootstrap, ids["startedBy"]))
        tasks = response.get("tasks") or []
        if not tasks:
            log("bootstrap_run_task_failed", hookStatus=FAILED, failures=response.get("failures") or [], **ids)
            return {"hookStatus": FAILED}
        log("bootstrap_started", hookStatus=IN_PROGRESS, taskArn=tasks[0]["taskArn"],
            taskDefinition=bootstrap.task_definition, **ids)
        return in_progress(config)
    verdict, reason = task_verdict(task, bootstrap.container_name, now, config.timeout)
    fields = {"taskArn": task.get("taskArn"), "lastStatus": task.get("lastStatus"), "reason": reason, **ids}
    if verdict == RUNNING:
        log("bootstrap_running", hookStatus=IN_PROGRESS, **fields)
        return in_progress(config)
    if verdict == TIMED_OUT:
        ecs.stop_task(cluster=cluster, task=task["taskArn"],
                      reason=f"Database user bootstrap timed out after {config.timeout} s (deployment hook)")
        log("bootstrap_timed_out", hookStatus=FAILED, **fields)
        return {"hookStatus": FAILED}
    if verdict == FAILED:
        log("bootstrap_failed", hookStatus=FAILED, **fields)
        return {"hookStatus": FAILED}
    log("bootstrap_succeeded", **fields)
    return None


def migrate(ecs, hook: HookEvent, config: Config, now: datetime) -> dict:
    """Set up the database users (when configured), then start the execution's migration task, or report on the
    one already started."""
    revision = describe_revision(ecs, hook.revision_arn)
    cluster = cluster_of(revision, hook.service_arn)
    if config.bootstrap is not None:
        answer = bootstrap_first(ecs, cluster, config, now, hook.execution_id)
        if answer is not None:
            return answer
    ids = {"executionId": hook.execution_id, "startedBy": started_by_for(hook.execution_id), "cluster": cluster}
    task = find_task(ecs, cluster, ids["startedBy"])
    if task is None:
        return start_migration(ecs, cluster, revision, config, ids)
    return follow_migration(ecs, cluster, task, config, now, ids)


def handler(event, context):
    """Lambda entry point: the ECS deployment lifecycle hook."""
    stage = event.get("lifecycleStage")
    try:
        wanted = hook_stage(os.environ)
        if stage != wanted:
            log("stage_skipped", hookStatus=SUCCEEDED, lifecycleStage=stage, hookStage=wanted)
            return {"hookStatus": SUCCEEDED}
        config = parse_config(os.environ)
        hook = parse_event(event)
        return migrate(ecs_client(), hook, config, datetime.now(timezone.utc))
    except HookError as error:
        log("hook_failed", hookStatus=FAILED, reason=str(error), executionId=event.get("executionId"))
    except (ClientError, BotoCoreError) as error:
        log("aws_call_failed", hookStatus=FAILED, reason=str(error),
            operation=getattr(error, "operation_name", None), executionId=event.get("executionId"))
    return {"hookStatus": FAILED}
