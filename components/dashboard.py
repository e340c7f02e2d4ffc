"""One CloudWatch dashboard per stack: a section per part (load balancer, each service, database, cache), a graph
per alarm row with its thresholds, and the error log lines."""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .alarm_rows import AlarmRow, Expression, Metric

COLUMNS = 3
WIDTH, HEIGHT = 8, 6
# Dashboards are 24 grid units wide (CloudWatch API reference, "Dashboard Body Structure and Syntax").
FULL_WIDTH, HEADING_HEIGHT = 24, 1
COLORS = {"warning": "#ff7f0e", "critical": "#d62728"}
ERRORS_SECTION = "application errors"


def metric_line(metric: Metric, **options: Any) -> list:
    """A dashboard metric: namespace, name, dimension pairs, then rendering options."""
    dimensions = [part for key, value in metric.dimensions.items() for part in (key, value)]
    return [metric.namespace, metric.name, *dimensions, {"stat": metric.stat, **options}]


def row_metrics(row: AlarmRow) -> list:
    """What the row's alarms evaluate: metrics and intermediate steps hidden, the watched series drawn."""
    source = row.source
    if not isinstance(source, Expression):
        return [metric_line(source, label=source.name)]
    hidden = [metric_line(metric, id=metric_id, visible=False) for metric_id, metric in source.metrics.items()]
    steps = [[{"expression": expression, "id": step_id, "visible": False}]
             for step_id, expression in source.steps.items()]
    return [*hidden, *steps, [{"expression": source.expression, "label": source.label, "id": "watched"}]]


def row_widget(row: AlarmRow, region: str, x: int, y: int) -> dict:
    """A graph of what the row's alarms watch, with each level's threshold drawn in."""
    annotations = [{"label": level, "value": row.threshold(level), "color": COLORS[level]} for level in row.levels]
    return {
        "type": "metric", "x": x, "y": y, "width": WIDTH, "height": HEIGHT,
        "properties": {
            "title": f"{row.key}: {row.title}",
            "view": "timeSeries",
            "region": region,
            "period": row.windows[row.levels[-1]].seconds,
            "metrics": row_metrics(row),
            "annotations": {"horizontal": annotations},
        },
    }


def heading_widget(section: str, y: int) -> dict:
    """A full-width text line naming the section below it."""
    return {"type": "text", "x": 0, "y": y, "width": FULL_WIDTH, "height": HEADING_HEIGHT,
            "properties": {"markdown": f"## {section}"}}


def errors_widget(metrics: dict[str, dict[str, str]], region: str, y: int) -> dict:
    """Error log lines per minute, one line per application log group."""
    lines = [[metric["namespace"], metric["name"], {"stat": "Sum", "label": label}]
             for label, metric in metrics.items()]
    return {
        "type": "metric", "x": 0, "y": y, "width": WIDTH, "height": HEIGHT,
        "properties": {"title": "application error log lines", "view": "timeSeries", "region": region,
                       "period": 60, "metrics": lines},
    }


def sections(rows: list[AlarmRow]) -> dict[str, list[AlarmRow]]:
    """Rows grouped by section, both in first-seen order."""
    grouped: dict[str, list[AlarmRow]] = {}
    for row in rows:
        grouped.setdefault(row.section, []).append(row)
    return grouped


def dashboard_body(rows: list[AlarmRow], error_metrics: dict[str, dict[str, str]], region: str) -> dict:
    """A heading per section, then its graphs three per line in row order; error lines last."""
    widgets, y = [], 0
    for section, section_rows in sections(rows).items():
        widgets.append(heading_widget(section, y))
        y += HEADING_HEIGHT
        for position, row in enumerate(section_rows):
            widgets.append(row_widget(row, region, (position % COLUMNS) * WIDTH, y + (position // COLUMNS) * HEIGHT))
        y += -(-len(section_rows) // COLUMNS) * HEIGHT
    if error_metrics:
        widgets += [heading_widget(ERRORS_SECTION, y), errors_widget(error_metrics, region, y + HEADING_HEIGHT)]
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
