"""Physical names of one stack's resources, all derived from the app name and the stack name."""

import hashlib
from dataclasses import dataclass

TARGET_GROUP_NAME_LIMIT = 32  # ELB API Reference, CreateTargetGroup: Name, at most 32 characters


def fit(name: str, limit: int) -> str:
    """`name`, or when longer than `limit`, its head and a stable 6-hex hash of the whole (still unique)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:limit - 7].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class StackNames:
    """`<app>-<stack>` prefixes every physical name (ECS cluster, task families, log groups, ALB...)."""

    app: str
    stack: str

    @property
    def prefix(self) -> str:
        return f"{self.app}-{self.stack}"

    def family(self, role: str) -> str:
        """Task definition family of a service or job."""
        return f"{self.prefix}-{role}"

    def log_group(self, role: str) -> str:
        """CloudWatch log group of a service or job."""
        return f"/ecs/{self.prefix}/{role}"

    def target_group(self, service: str, route: int, color: str) -> str:
        """A route's blue or green target group (32 characters at most)."""
        route_part = f"-r{route}" if route else ""
        return fit(f"{self.prefix}-{service}{route_part}-{color}", TARGET_GROUP_NAME_LIMIT)

    def schedule(self, job: str) -> str:
        """EventBridge Scheduler schedule of a job."""
        return f"{self.prefix}-{job}"

    def function(self, role: str) -> str:
        """A Lambda function of this stack."""
        return f"{self.prefix}-{role}"
