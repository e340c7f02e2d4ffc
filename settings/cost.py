"""Cost settings: per-stack overrides of the usage assumptions behind the monthly estimate (docs/cost.md)."""

from pydantic import Field

from .base import Section


class CostAssumptions(Section):
    """Usage the program cannot know; an unset key takes its default from tools/prices/assumptions.json."""

    nat_processed_gb: float | None = Field(default=None, ge=0, description="GB a month through all NAT gateways")
    alb_lcu: float | None = Field(default=None, ge=0, description="average LCUs per load balancer")
    waf_requests_millions: float | None = Field(default=None, ge=0, description="million requests a month per web ACL")
    scheduled_task_minutes: float | None = Field(default=None, ge=0, description="minutes one scheduled task run takes")
    rds_backup_daily_change: float | None = Field(default=None, ge=0, le=1,
                                                  description="share of DB storage changed a day (0-1)")
    logs_ingested_gb: float | None = Field(default=None, ge=0, description="CloudWatch Logs GB ingested a month")
    logs_stored_gb: float | None = Field(default=None, ge=0, description="CloudWatch Logs GB kept")
    flow_logs_gb: float | None = Field(default=None, ge=0, description="VPC flow log GB delivered a month")
    container_insights_metrics: float | None = Field(default=None, ge=0,
                                                     description="Container Insights metrics per ECS cluster")
    container_insights_task_metrics: float | None = Field(
        default=None, ge=0, description="metrics per running task that Container Insights enhanced adds")
    interface_endpoint_gb: float | None = Field(default=None, ge=0, description="GB a month through interface endpoints")
    s3_backup_gb: float | None = Field(default=None, ge=0, description="GB per backup bucket (and its replica)")
    s3_other_gb: float | None = Field(default=None, ge=0, description="GB per other bucket")
    s3_app_gb: float | None = Field(default=None, ge=0, description="GB per app bucket (storage.buckets)")
    s3_replicated_gb: float | None = Field(default=None, ge=0, description="GB a month copied by bucket replication")
    ecr_storage_gb: float | None = Field(default=None, ge=0, description="GB of images per ECR repository")
    efs_storage_gb: float | None = Field(default=None, ge=0, description="GB per EFS file system")
    cloudfront_gb: float | None = Field(default=None, ge=0, description="GB a month out of CloudFront")
    cloudfront_requests_millions: float | None = Field(default=None, ge=0,
                                                       description="million HTTPS requests a month to CloudFront")
    lambda_requests_millions: float | None = Field(default=None, ge=0, description="million Lambda requests a month")
    lambda_gb_seconds: float | None = Field(default=None, ge=0, description="Lambda GB-seconds a month")

    def overrides(self) -> dict[str, float]:
        """The keys this stack sets, camelCase, as in assumptions.json."""
        return self.model_dump(by_alias=True, exclude_none=True)


class CostSettings(Section):
    """The `cost` section: what `python -m tools.preview <stack> --cost` assumes about usage."""

    assumptions: CostAssumptions = Field(default_factory=CostAssumptions)
