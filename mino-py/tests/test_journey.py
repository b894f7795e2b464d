"""The whole journey on a real database and real Chromium: project → CSV → test execution
followed through its events → metrics → ground-truth edits → Excel export read back."""

import csv
import io
import time
from datetime import datetime
from pathlib import Path
from typing import Dict, List

import openpyxl
import pytest

import mino

from conftest import SHOP_FIELDS, shop_rows


@pytest.mark.usefixtures("chromium")
def test_journey(database: str, shop_csv: Path, sites_url: str, tmp_path: Path) -> None:
    with mino.Platform(database, "chromium") as platform:
        project = platform.create_project(
            "Shops",
            instructions="Find the product's title and its price.",
            fields=SHOP_FIELDS,
            max_attempts=2,
            job_timeout_secs=60,
        )
        assert [f.name for f in project.output_fields] == ["title", "price"]
        assert project.output_fields[1].type == "number"

        batch = platform.upload_csv(project, shop_csv)
        shops = len(shop_rows(sites_url))
        assert batch.total_rows == shops + 1
        assert batch.valid_rows == shops and batch.invalid_rows == 1
        assert batch.site_url_column == "site"
        assert batch.report is not None
        [invalid] = batch.report.invalid_row_list
        assert invalid.line == shops + 2 and invalid.reason
        assert {c.field for c in batch.columns if c.role == "ground_truth"} == {"title", "price"}

        execution = platform.execute(batch, mode="test", sample=10, concurrency=4)
        assert execution.mode == "test" and execution.total == 10
        assert execution.sample_size == 10 and execution.concurrency == 4

        events = list(execution.events(timeout=120))
        statuses = [e for e in events if isinstance(e, mino.ExecutionStatusEvent)]
        assert statuses[0].status == "running"
        assert events[-1] is statuses[-1] and statuses[-1].status == "completed"
        transitions = [e for e in events if isinstance(e, mino.JobTransitionEvent)]
        finished: Dict[str, str] = {
            e.job_id: e.to_status for e in transitions if e.to_status in ("completed", "failed")
        }
        assert len(finished) == 10
        assert all(e.execution_id == execution.id for e in events)
        assert any(isinstance(e, mino.StatsEvent) for e in events)
        assert all(isinstance(e.at, datetime) and e.at.tzinfo is not None for e in events)

        done = execution.wait(timeout=30)
        assert done is execution
        assert execution.status == "completed" and not execution.is_active
        assert execution.counts.total == 10
        assert execution.counts.completed == sum(1 for s in finished.values() if s == "completed")
        assert execution.finished_at is not None
        stats = execution.stats()
        assert stats.progress == 1.0 and stats.eta_secs == 0

        jobs = list(platform.jobs(execution=execution))
        assert {j.id for j in jobs} == set(finished)
        report = platform.metrics(batch, execution)
        by_field = {c.field: c for c in report.metrics.columns}
        assert set(by_field) == {"title", "price"}
        evaluated = [j for j in jobs if j.accuracy is not None]
        assert report.metrics.jobs_evaluated == len(evaluated)
        assert report.metrics.jobs_passed == sum(1 for j in jobs if j.accuracy == "pass")
        title = by_field["title"]
        assert title.evaluated == sum(
            1 for j in jobs if j.evaluation and any(f.field == "title" for f in j.evaluation.fields)
        )
        # The built-in agent reads these shop pages: most titles are right.
        assert title.passed >= title.evaluated // 2 > 0

        detail = platform.job(jobs[0].id)
        assert detail.sessions is not None and detail.sessions[0].attempt == 1
        first = detail.sessions[0]
        assert first.execution_id == execution.id and first.finished_at is not None
        assert first.started_at.tzinfo is not None and first.log

        _ground_truth_round_trip(platform, batch, jobs)
        _snapshots_and_trends(platform, batch, execution)
        _excel_export(platform, project, execution, jobs, tmp_path)


def _ground_truth_round_trip(platform: mino.Platform, batch: mino.Batch, jobs: List[mino.Job]) -> None:
    job = next(j for j in jobs if j.extraction and j.extraction.get("title"))
    before = job.ground_truth["title"]
    edited = platform.bulk_edit_ground_truth(
        batch, [job], "title", "Certainly Not The Title", changed_by="pytest"
    )
    assert (edited.jobs, edited.updated) == (1, 1)
    rescored = platform.job(job.id)
    assert rescored.ground_truth["title"] == "Certainly Not The Title"
    assert rescored.evaluation is not None
    assert not next(f for f in rescored.evaluation.fields if f.field == "title").passed
    [change] = list(platform.ground_truth_changes(job=job))
    assert (change.field, change.old_value, change.new_value, change.changed_by) == (
        "title",
        before,
        "Certainly Not The Title",
        "pytest",
    )
    accepted = platform.bulk_set_ground_truth(batch, [job.id], fields=["title"])
    assert accepted.updated == 1
    after = platform.job(job.id)
    assert after.extraction is not None
    assert after.ground_truth["title"] == (after.extraction["title"] or "").strip()
    assert after.evaluation is not None
    assert next(f for f in after.evaluation.fields if f.field == "title").passed
    assert len(list(platform.ground_truth_changes(batch=batch, field="title"))) == 2


def _snapshots_and_trends(platform: mino.Platform, batch: mino.Batch, execution: mino.Execution) -> None:
    deadline = time.monotonic() + 10
    while True:
        at_end = [s for s in platform.snapshots(batch) if s.at_end]
        if at_end or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [s.execution_id for s in at_end] == [execution.id]
    manual = platform.create_snapshot(batch, execution)
    assert not manual.at_end and manual.instruction_version == execution.instruction_version
    [point] = platform.trends(batch, by="execution")
    assert point.kind == "execution" and point.execution_id == execution.id
    assert point.metrics.jobs_evaluated == manual.metrics.jobs_evaluated
    dashboard = platform.dashboard(batch)
    assert dashboard.counts.total == batch.total_rows
    assert dashboard.latest_execution is not None
    assert dashboard.latest_execution.execution_id == execution.id


def _excel_export(
    platform: mino.Platform,
    project: mino.Project,
    execution: mino.Execution,
    jobs: List[mino.Job],
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.xlsx"
    summary = platform.export(project, path, execution=execution)
    assert summary.format == "xlsx" and summary.jobs == 10
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert {"Results", "Metrics", "Summary"} <= set(workbook.sheetnames)
    rows = list(workbook["Results"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "site_url" in header and "status" in header
    site = header.index("site_url")
    assert sorted(r[site] for r in body) == sorted(j.site_url for j in jobs)

    text = platform.export_bytes(project, "csv", execution=execution).decode("utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["site_url"] for r in records) == sorted(j.site_url for j in jobs)
