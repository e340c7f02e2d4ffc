"""What every app ECS service shares, as plain inputs: private tasks, circuit breaker, tags, no shell access."""

from typing import Any

import pulumi


def capacity_strategy(spot: bool) -> list[dict]:
    """All tasks on Fargate Spot or all on on-demand Fargate."""
    return [{"capacity_provider": "FARGATE_SPOT" if spot else "FARGATE", "weight": 1, "base": 0}]


def service_inputs(args: Any, task_definition_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Inputs of `aws.ecs.Service` common to the web service and workers (`args` has their shared fields)."""
    return {
        "name": args.service_name,
        "cluster": args.cluster_arn,
        "task_definition": task_definition_arn,
        "desired_count": args.desired_count,
        "capacity_provider_strategies": capacity_strategy(args.spot),
        "platform_version": "LATEST",
        "network_configuration": {"subnets": args.subnet_ids, "security_groups": args.security_group_ids,
                                  "assign_public_ip": False},
        "deployment_controller": {"type": "ECS"},
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_minimum_healthy_percent": 100,
        "deployment_maximum_percent": 200,
        "enable_ecs_managed_tags": True,
        "propagate_tags": "SERVICE",
        "enable_execute_command": False,  # no shell into production tasks
        "wait_for_steady_state": False,  # deployments are watched by ECS (alarms, circuit breaker), not by pulumi
        "tags": {"Name": args.service_name},
    }
