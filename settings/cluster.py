"""Cluster settings: the Container Insights level of the ECS cluster (docs/cost.md prices each level)."""

from typing import Any, Literal

from pydantic import Field

from .base import Section


class ClusterSettings(Section):
    """`enhanced` adds task- and container-level metrics to `enabled`; `disabled` is refused while the alarm pack
    and request autoscaling read Container Insights metrics (RunningTaskCount)."""

    container_insights: Literal["enhanced", "enabled", "disabled"] | None = Field(
        default=None, description="Container Insights level; absent: enhanced in production, enabled elsewhere"
    )

    def container_insights_level(self, production: bool) -> str:
        """The level to set on the cluster."""
        return self.container_insights or ("enhanced" if production else "enabled")

    def rules(self, stack: Any) -> list[tuple[str, Any, str]]:
        if self.container_insights == "disabled":
            return [("containerInsights", "disabled",
                     "the running-task alarms and the requests-per-task autoscaling read ECS/ContainerInsights "
                     "metrics; use enabled (service-level metrics) or enhanced (plus task and container level)")]
        return []
