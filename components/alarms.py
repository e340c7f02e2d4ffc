"""The alarm pack: every row at its levels (warning, critical), each to its SNS topic, and the error-line count."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.alarms import AlarmSettings

from .alarm_names import alarm_name
from .alarm_rows import AlarmRow, Expression, Metric, Watched, alarm_rows

# pino writes `level` as a number (50 = error); other loggers (and app/log.js) write the word.
ERROR_LOG_PATTERN = '{ ($.level = "error") || ($.level = 50) }'
ERROR_METRIC = "ErrorLogLines"
_OPERATORS = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<"}


def show_threshold(value: float, unit: str) -> str:
    """A threshold for people: bytes in GiB, the rest as written."""
    if unit == "bytes":
        return f"{value / 1024**3:.2f} GiB"
    return f"{value:g} {unit}"


def describe(row: AlarmRow, level: str) -> str:
    """What the alarm means, in one line, pointing at the docs."""
    window = row.windows[level]
    return (f"{row.title} {_OPERATORS[row.comparison]} {show_threshold(row.threshold(level), row.unit)} "
            f"in {window.datapoints} of {window.periods} periods of {window.seconds} s. "
            f"See docs/alarms.md ({row.key}).")


def metric_query(metric_id: str, metric: Metric, seconds: int) -> dict:
    """A metric of a math alarm (not returned: only the expression is)."""
    return {
        "id": metric_id,
        "return_data": False,
        "metric": {"namespace": metric.namespace, "metric_name": metric.name, "dimensions": metric.dimensions,
                   "stat": metric.stat, "period": seconds},
    }


def source_args(row: AlarmRow, seconds: int) -> dict:
    """MetricAlarm arguments that say what is measured: one metric, or metric math."""
    source = row.source
    if isinstance(source, Expression):
        queries = [metric_query(metric_id, metric, seconds) for metric_id, metric in source.metrics.items()]
        steps = [{"id": step_id, "expression": expression, "return_data": False}
                 for step_id, expression in source.steps.items()]
        return {"metric_queries": [*queries, *steps, {"id": "watched", "expression": source.expression,
                                                      "label": source.label, "return_data": True}]}
    statistic = {"extended_statistic": source.stat} if source.stat.startswith("p") else {"statistic": source.stat}
    return {"namespace": source.namespace, "metric_name": source.name, "dimensions": source.dimensions,
            "period": seconds, **statistic}


@dataclass(frozen=True, kw_only=True)
class AlarmsArgs:
    """`prefix` is `<app>-<stack>` (deployment alarm names use the same); `log_groups` maps a label (e.g. `web`,
    `job-analytics`) to a log group name."""

    prefix: str
    watched: Watched
    thresholds: AlarmSettings
    log_groups: dict[str, pulumi.Input[str]]
    warning_topic_arn: pulumi.Input[str]
    critical_topic_arn: pulumi.Input[str]


class Alarms(pulumi.ComponentResource):
    """An alarm per row and level (warning, critical) and one error-line metric filter per application log group."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:observability:Alarms", name, None, opts)
        self.rows = alarm_rows(args.watched, args.thresholds)
        topics = {"warning": args.warning_topic_arn, "critical": args.critical_topic_arn}
        self.alarms = {
            (row.key, level): self._alarm(f"{name}-{row.key}-{level}", args.prefix, row, level, topics[level])
            for row in self.rows
            for level in row.levels
        }
        self.error_metrics = {label: self._error_filter(name, args.prefix, label, group)
                              for label, group in args.log_groups.items()}
        self.alarm_names = {f"{key}-{level}": alarm.name for (key, level), alarm in self.alarms.items()}
        self.register_outputs({"alarm_names": self.alarm_names, "error_metrics": self.error_metrics})

    def _alarm(self, resource_name: str, prefix: str, row: AlarmRow, level: str,
               topic_arn: pulumi.Input[str]) -> aws.cloudwatch.MetricAlarm:
        window = row.windows[level]
        return aws.cloudwatch.MetricAlarm(
            resource_name,
            name=alarm_name(prefix, row.key, level),
            alarm_description=describe(row, level),
            comparison_operator=row.comparison,
            threshold=row.threshold(level),
            evaluation_periods=window.periods,
            datapoints_to_alarm=window.datapoints,
            treat_missing_data=row.missing,
            evaluate_low_sample_count_percentiles=row.low_sample_percentiles,
            # Recovery is news too: the same topic hears when the alarm clears.
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            tags={"Name": alarm_name(prefix, row.key, level), "severity": level},
            opts=pulumi.ResourceOptions(parent=self),
            **source_args(row, window.seconds),
        )

    def _error_filter(self, name: str, prefix: str, label: str, log_group: pulumi.Input[str]) -> dict[str, str]:
        """Count error lines of one log group as `<prefix>/ErrorLogLines-<label>`; returns the metric."""
        metric = {"namespace": prefix, "name": f"{ERROR_METRIC}-{label}"}
        aws.cloudwatch.LogMetricFilter(
            f"{name}-errors-{label}",
            name=f"{prefix}-{label}-error-lines",
            log_group_name=log_group,
            pattern=ERROR_LOG_PATTERN,
            metric_transformation={**metric, "value": "1", "default_value": "0", "unit": "Count"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return metric
