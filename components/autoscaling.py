"""Target-tracking autoscaling of an ECS service (children of the calling component)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

SCALE_OUT_COOLDOWN = 60  # add tasks quickly
SCALE_IN_COOLDOWN = 300  # remove them slowly: no flapping on bursty traffic


@dataclass(frozen=True, kw_only=True)
class RequestsMetric:
    """ALB requests per running task over both target groups (ECS moves traffic between them)."""

    load_balancer_arn_suffix: pulumi.Input[str]
    target_group_arn_suffixes: list[pulumi.Input[str]]
    cluster_name: pulumi.Input[str]
    service_name: str
    per_task: int


def requests_per_task_metric(metric: RequestsMetric) -> dict:
    """Metric math: (requests to blue + green) / running tasks. The predefined ALBRequestCountPerTarget
    names one target group, and after a blue/green switch that group is the idle one."""
    queries = [
        {"id": f"r{index}", "return_data": False, "metric_stat": {"stat": "Sum", "metric": {
            "namespace": "AWS/ApplicationELB", "metric_name": "RequestCount",
            "dimensions": [{"name": "LoadBalancer", "value": metric.load_balancer_arn_suffix},
                           {"name": "TargetGroup", "value": suffix}]}}}
        for index, suffix in enumerate(metric.target_group_arn_suffixes)
    ]
    queries.append({"id": "tasks", "return_data": False, "metric_stat": {"stat": "Average", "metric": {
        "namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount",
        "dimensions": [{"name": "ClusterName", "value": metric.cluster_name},
                       {"name": "ServiceName", "value": metric.service_name}]}}})
    total = " + ".join(f"FILL(r{index}, 0)" for index in range(len(metric.target_group_arn_suffixes)))
    queries.append({"id": "per_task", "label": "requests per task", "return_data": True,
                    "expression": f"({total}) / tasks"})
    return {"metrics": queries}


def scale_service(
    name: str, *, parent: pulumi.Resource, cluster_name: str, service_name: str, service: pulumi.Resource,
    min_count: int, max_count: int, cpu_target: int, memory_target: int | None = None,
    requests: RequestsMetric | None = None,
) -> aws.appautoscaling.Target:
    """Scalable target plus one target-tracking policy per signal; the largest wanted count wins."""
    target = aws.appautoscaling.Target(
        f"{name}-scaling",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=f"service/{cluster_name}/{service_name}",
        min_capacity=min_count,
        max_capacity=max_count,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[service]),
    )
    signals = [("cpu", cpu_target, {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}, None)]
    if memory_target is not None:
        signals.append(("memory", memory_target, {"predefined_metric_type": "ECSServiceAverageMemoryUtilization"},
                        None))
    if requests is not None:
        signals.append(("requests", requests.per_task, None, requests_per_task_metric(requests)))
    for signal, value, predefined, customized in signals:
        aws.appautoscaling.Policy(
            f"{name}-scale-{signal}",
            name=f"{service_name}-{signal}",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": value,
                "scale_in_cooldown": SCALE_IN_COOLDOWN,
                "scale_out_cooldown": SCALE_OUT_COOLDOWN,
                **({"predefined_metric_specification": predefined} if predefined else {}),
                **({"customized_metric_specification": customized} if customized else {}),
            },
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return target
