"""One CloudWatch dashboard per stack: a graph per alarm row with both thresholds, and the error log lines."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarm_rows import AlarmRow, Expression, Metric

COLUMNS = 3
WIDTH, HEIGHT = 8, 6
COLORS = {"warning": "#ff7f0e", "critical": "#d62728"}


def metric_line(metric: Metric, **options: Any) -> list:
    """A dashboard metric: namespace, name, dimension pairs, then rendering options."""
    dimensions = [part for key, value in metric.dimensions.items() for part in (key, value)]
    return [metric.namespace, metric.name, *dimensions, {"stat": metric.stat, **options}]


def row_widget(row: AlarmRow, region: str, position: int) -> dict:
    """A graph of what the row's alarms watch, with the warning and critical thresholds drawn in."""
    source = row.source
    if isinstance(source, Expression):
        hidden = [metric_line(metric, id=metric_id, visible=False) for metric_id, metric in source.metrics.items()]
        metrics = [*hidden, [{"expression": source.expression, "label": source.label, "id": "watched"}]]
    else:
        metrics = [metric_line(source, label=source.name)]
    annotations = [{"label": level, "value": row.threshold(level), "color": COLORS[level]}
                   for level in ("warning", "critical")]
    return {
        "type": "metric",
        "x": (position % COLUMNS) * WIDTH,
        "y": (position // COLUMNS) * HEIGHT,
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": f"{row.key}: {row.title}",
            "view": "timeSeries",
            "region": region,
            "period": row.windows["critical"].seconds,
            "metrics": metrics,
            "annotations": {"horizontal": annotations},
        },
    }


def errors_widget(metrics: dict[str, dict[str, str]], region: str, position: int) -> dict:
    """Error log lines per minute, one line per application log group."""
    lines = [[metric["namespace"], metric["name"], {"stat": "Sum", "label": label}]
             for label, metric in metrics.items()]
    return {
        "type": "metric",
        "x": (position % COLUMNS) * WIDTH,
        "y": (position // COLUMNS) * HEIGHT,
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {"title": "application error log lines", "view": "timeSeries", "region": region,
                       "period": 60, "metrics": lines},
    }


def dashboard_body(rows: list[AlarmRow], error_metrics: dict[str, dict[str, str]], region: str) -> dict:
    """The dashboard's widgets, three per line, in alarm-row order, error lines last."""
    widgets = [row_widget(row, region, position) for position, row in enumerate(rows)]
    if error_metrics:
        widgets.append(errors_widget(error_metrics, region, len(rows)))
    return {"widgets": widgets}


@dataclass(frozen=True, kw_only=True)
class DashboardArgs:
    """`rows` and `error_metrics` come from the alarms component, so the graphs are what the alarms watch."""

    dashboard_name: str
    region: str
    rows: list[AlarmRow]
    error_metrics: dict[str, dict[str, str]]


class Dashboard(pulumi.ComponentResource):
    """The stack's CloudWatch dashboard."""

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nodeapi:observability:Dashboard", name, None, opts)
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=args.dashboard_name,
            # Dimension values are outputs (ALB suffix, service names): render the JSON once they are known.
            dashboard_body=pulumi.Output.json_dumps(dashboard_body(args.rows, args.error_metrics, args.region)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = self.dashboard.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})
