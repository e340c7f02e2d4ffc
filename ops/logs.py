"""`logs NAME`: CloudWatch log lines of a service, a job or a service's migration hook, JSON shown readably.

Where a service or job logs is read from the task definition it runs (its container's awslogs options), so
the lines are those of what runs now, whatever the outputs file says.
"""

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ops.errors import Failed, UsageError
from ops.interrupt import Interrupted
from ops.outputs import pick_service

DURATION = re.compile(r"(\d+)([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LOOKBACK_MS = 10_000  # late events (CloudWatch ingestion delay) are caught by re-reading this far back
# pino's numeric levels (https://getpino.io/#/docs/api?id=levels)
PINO_LEVELS = {10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL"}
NOISE = ("time", "timestamp", "pid", "hostname", "v")


def duration(text: str) -> timedelta:
    """`15m`, `2h`, `1d`, `1h30m` -> timedelta (argparse type)."""
    if not text or DURATION.sub("", text) != "":
        raise argparse.ArgumentTypeError(f"not a duration like 15m, 2h, 1d or 1h30m: {text}")
    found = timedelta()
    for amount, unit in DURATION.findall(text):
        found += timedelta(**{UNITS[unit]: int(amount)})
    if found <= timedelta():
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return found


def fmt_duration(delta: timedelta) -> str:
    """`1h30m`, `1d`, `90s` -> `1m30s`: the largest units, zero parts left out."""
    seconds, parts = int(delta.total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


@dataclass(frozen=True)
class LogSource:
    """A log group and, for a task definition's container, the stream-name prefix of that container."""

    label: str
    group: str
    stream_prefix: str = ""


def awslogs_source(label: str, task_definition: dict, container: str) -> LogSource:
    """Where a container of a task definition sends its logs (awslogs driver)."""
    found = [c for c in task_definition.get("containerDefinitions", []) if c.get("name") == container]
    if not found:
        raise Failed(f"task definition {task_definition.get('taskDefinitionArn', '?')} has no container {container}")
    config = found[0].get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        raise Failed(f"container {container} of {label} logs with {config.get('logDriver') or 'no log driver'}, "
                     "not awslogs; ops logs reads CloudWatch Logs only")
    options = config.get("options", {})
    prefix = options.get("awslogs-stream-prefix")
    # awslogs stream names: <prefix>/<container name>/<task id> (ECS developer guide, "Using the awslogs driver")
    return LogSource(label, options["awslogs-group"], f"{prefix}/{container}/" if prefix else "")


def running_task_definition(ecs, cluster: str, ecs_service: str) -> str:
    """The task definition ARN the service runs now (its primary deployment's)."""
    found = ecs.describe_services(cluster=cluster, services=[ecs_service])["services"]
    if not found or found[0].get("status") == "INACTIVE":
        raise Failed(f"ECS service {ecs_service} not found in cluster {cluster}")
    return found[0]["taskDefinition"]


def task_definition(ecs, arn_or_family: str) -> dict:
    """A task definition (a family alone means its latest ACTIVE revision)."""
    return ecs.describe_task_definition(taskDefinition=arn_or_family)["taskDefinition"]


def resolve(aws, outputs: dict, name: str | None) -> LogSource:
    """The log source of a service (default: the only public one), a job, or `<service>-migrations`."""
    services, jobs, ecs = outputs["services"], outputs["jobs"], aws.client("ecs")
    if name is None or name in services:
        service = pick_service(outputs, name, "NAME")
        entry = services[service]
        arn = running_task_definition(ecs, outputs["clusterName"], entry["serviceName"])
        return awslogs_source(f"service {service}", task_definition(ecs, arn), entry["containerName"])
    if name in jobs:
        job = jobs[name]
        return awslogs_source(f"job {name}", task_definition(ecs, job["taskFamily"]), job["containerName"])
    hooks = {f"{n}-migrations": s["migrationLogGroupName"] for n, s in services.items()
             if s.get("migrationLogGroupName")}
    if name in hooks:
        return LogSource(f"migrations of {name.removesuffix('-migrations')}", hooks[name])
    raise UsageError(f"no service, job or migration log named {name!r}; services: {', '.join(services)}; "
                     f"jobs: {', '.join(jobs) or 'none'}; migrations: {', '.join(hooks) or 'none'}")


def events(logs, source: LogSource, start_ms: int, pattern: str | None) -> Iterator[dict]:
    """Log events of the source from start_ms on, page by page (the stream prefix is also checked here)."""
    args = {"logGroupName": source.group, "startTime": start_ms}
    if source.stream_prefix:
        args["logStreamNamePrefix"] = source.stream_prefix
    if pattern:
        args["filterPattern"] = pattern
    while True:
        page = logs.filter_log_events(**args)
        for event in page.get("events", []):
            if event.get("logStreamName", "").startswith(source.stream_prefix):
                yield event
        if not page.get("nextToken"):
            return
        args["nextToken"] = page["nextToken"]


def fmt_value(value) -> str:
    """A field value: bare when it is a plain word, else JSON."""
    if isinstance(value, str) and value and not re.search(r"[\s\"=]", value):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def level_of(record: dict) -> str:
    """The record's level as a word (pino numbers, or strings of winston and friends)."""
    for key in ("level", "severity", "lvl"):
        if key in record:
            value = record.pop(key)
            return PINO_LEVELS.get(value, str(value)).upper() if isinstance(value, int) else str(value).upper()
    return ""


def readable(message: str) -> str:
    """A JSON log line as `LEVEL message key=value ...` (error stacks on their own lines); others unchanged."""
    text = message.rstrip("\n")
    try:
        record = json.loads(text) if text.lstrip().startswith("{") else None
    except json.JSONDecodeError:
        return text
    if not isinstance(record, dict):
        return text
    level = level_of(record)
    msg = next((record.pop(k) for k in ("msg", "message") if isinstance(record.get(k), str)), "")
    stack = ""
    for key in ("err", "error"):
        if isinstance(record.get(key), dict) and isinstance(record[key].get("stack"), str):
            stack = record.pop(key)["stack"]
            break
    fields = [f"{k}={fmt_value(v)}" for k, v in record.items() if k not in NOISE]
    line = " ".join(part for part in (level, msg, *fields) if part)
    return line + "".join(f"\n    {s}" for s in stack.splitlines())


def render(event: dict) -> str:
    """`2026-03-04T05:06:07.123Z 1a2b3c4d INFO listening port=3000`."""
    when = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
    stream = event.get("logStreamName", "")
    task = stream.rsplit("/", 1)[-1][:8] if stream else "-"
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z {task} {readable(event['message'])}"


@dataclass
class Tail:
    """Prints each event of a source once, however often it is read (follow mode re-reads a little back)."""

    logs: object
    source: LogSource
    start_ms: int
    pattern: str | None = None

    def __post_init__(self):
        self.seen: dict[str, int] = {}

    def poll(self) -> int:
        """Print the events not printed yet; how many."""
        printed = 0
        for event in events(self.logs, self.source, self.start_ms, self.pattern):
            key = event.get("eventId") or f"{event['logStreamName']}/{event['timestamp']}/{event['message']}"
            if key in self.seen:
                continue
            self.seen[key] = event["timestamp"]
            print(render(event), flush=True)
            printed += 1
        if self.seen:
            self.start_ms = max(self.start_ms, max(self.seen.values()) - LOOKBACK_MS)
            self.seen = {k: t for k, t in self.seen.items() if t >= self.start_ms}
        return printed


def logs(aws, outputs: dict, name: str | None, since: timedelta, follow: bool, pattern: str | None,
         poll: float, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
    """Print the source's lines since `since` ago; with follow, keep printing new ones until interrupted."""
    source = resolve(aws, outputs, name)
    where = f"{source.group}" + (f" (streams {source.stream_prefix}*)" if source.stream_prefix else "")
    following = ", following (Ctrl-C stops)" if follow else ""
    print(f"{source.label}: log group {where}, since {fmt_duration(since)}{following}", file=sys.stderr)
    tail = Tail(aws.client("logs"), source, int((clock() - since.total_seconds()) * 1000), pattern)
    try:
        tail.poll()
        while follow:
            sleep(poll)
            tail.poll()
    except Interrupted:
        if not follow:
            raise
