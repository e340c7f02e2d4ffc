"""Network settings: address space, availability zones, NAT strategy, flow logs."""

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Section, rule_error
from .checks import check_private_cidr

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)


def check_log_retention(days: int) -> int:
    """Refuse a retention CloudWatch Logs would reject (0 would mean 'never expire')."""
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"not a CloudWatch Logs retention; allowed: {allowed}")
    return days


class NetworkSettings(Section):
    """The VPC: one public, one private (app) and one isolated (data) subnet per AZ."""

    cidr: str = Field(description="VPC IPv4 CIDR, /16 to /20; split into /20../24 subnets")
    az_count: int = Field(ge=2, le=3, description="availability zones to span (2 or 3)")
    nat_strategy: Literal["none", "single", "one-per-az"] = Field(
        description="egress for private subnets: none, one shared NAT, or one NAT per AZ"
    )
    interface_endpoints: bool = Field(
        default=False,
        description="ECR, CloudWatch Logs, Secrets Manager, KMS and STS interface endpoints",
    )
    flow_logs_retention_days: int = Field(default=30, description="VPC flow log retention")

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"not a valid IPv4 CIDR ({exc}); expected e.g. '10.20.0.0/16'") from None
        if not 16 <= network.prefixlen <= 20:
            raise ValueError(f"prefix /{network.prefixlen} is not allowed; use /16 to /20")
        return check_private_cidr(value)

    @field_validator("flow_logs_retention_days")
    @classmethod
    def _valid_retention(cls, value: int) -> int:
        return check_log_retention(value)

    @model_validator(mode="after")
    def _egress_exists(self) -> "NetworkSettings":
        if self.nat_strategy == "none" and not self.interface_endpoints:
            raise rule_error(
                "network.natStrategy",
                self.nat_strategy,
                "'none' leaves tasks unable to pull images: set network.interfaceEndpoints: true"
                " or use 'single' or 'one-per-az'",
            )
        return self
