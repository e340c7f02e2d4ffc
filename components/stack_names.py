"""Physical names of one stack's resources, all derived from the app name and the stack name through
contract.names.physical_name, which keeps each within AWS's rules for its kind (length, characters, case)."""

from dataclasses import dataclass

from contract.names import physical_name


@dataclass(frozen=True)
class StackNames:
    """`<app>-<stack>` prefixes every physical name (ECS cluster, task families, log groups, ALB...)."""

    app: str
    stack: str

    @property
    def prefix(self) -> str:
        return f"{self.app}-{self.stack}"

    def cluster(self) -> str:
        return physical_name("ecs-cluster", self.prefix)

    def load_balancer(self) -> str:
        return physical_name("alb", self.prefix)

    def family(self, role: str) -> str:
        """Task definition family of a service or job."""
        return physical_name("ecs-task-family", self.prefix, role)

    def log_group(self, role: str) -> str:
        """CloudWatch log group of a service or job."""
        return physical_name("log-group", "ecs", self.prefix, role)

    def target_group(self, service: str, route: int, color: str) -> str:
        """A route's blue or green target group (32 characters at most, hashed when longer)."""
        return physical_name("target-group", self.prefix, service, *([f"r{route}"] if route else []), color)

    def schedule(self, job: str) -> str:
        """EventBridge Scheduler schedule of a job."""
        return physical_name("schedule", self.prefix, job)

    def function(self, role: str) -> str:
        """A Lambda function of this stack."""
        return physical_name("lambda-function", self.prefix, role)

    def repository(self, image: str) -> str:
        """ECR repository of an image."""
        return physical_name("ecr-repository", self.prefix, image)
