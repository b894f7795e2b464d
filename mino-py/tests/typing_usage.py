"""A typed use of the ``mino`` package, checked by mypy --strict against its stubs (it is not
run)."""

from pathlib import Path
from typing import Dict, List, Optional

import mino


def run_sample(csv: Path, out: Path) -> Dict[str, Optional[float]]:
    """Runs a test sample of a CSV and returns the accuracy per field."""
    with mino.Platform("sqlite:typed.db", "chromium", agent="heuristic") as platform:
        project: mino.Project = platform.create_project(
            "typed",
            instructions="Find the title.",
            fields=["title", {"name": "price", "type": "number"}],
        )
        batch: mino.Batch = platform.upload_csv(project, csv, site_column="site")
        if batch.report is not None:
            for row in batch.report.invalid_row_list:
                print(row.line, row.reason)
        execution: mino.Execution = platform.execute(batch, mode="test", sample=10, concurrency=5)
        for event in execution.events(timeout=60.0):
            if isinstance(event, mino.JobTransitionEvent) and event.to_status == "failed":
                print(event.site_url, event.error)
            elif isinstance(event, mino.StatsEvent):
                print(f"{event.progress:.0%}", event.eta_secs)
        finished: mino.Execution = execution.wait(timeout=None)
        counts: mino.StatusCounts = finished.counts
        print(counts.completed + counts.failed == counts.total)
        failed: List[mino.Job] = list(platform.jobs(execution=execution, status=["failed"]))
        for job in failed:
            detail = platform.job(job)
            for session in detail.sessions or []:
                if session.error is not None:
                    print(session.error.code, session.started_at.isoformat())
        report: mino.MetricsReport = platform.metrics(batch, execution)
        summary: mino.ExportSummary = platform.export(project, out, execution=execution)
        print(summary.jobs, len(platform.export_bytes(project, "json")))
        try:
            platform.project("missing")
        except mino.NotFoundError as err:
            print(err.code, err.details.get("id"))
        except mino.MinoError as err:
            print(err.transient)
        return {column.field: column.accuracy for column in report.metrics.columns}
