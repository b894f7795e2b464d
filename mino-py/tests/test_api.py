"""Projects, versions, batches from every kind of source, jobs with lazy paging, edits."""

import io
import types
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

import mino


def test_projects_and_versions(idle_platform: mino.Platform) -> None:
    project = idle_platform.create_project(
        "Shops", instructions="v1", fields=["title", {"name": "price", "type": "number"}]
    )
    assert project.instruction_version == 1
    assert project.created_at.tzinfo == timezone.utc
    assert project.agent.name == "heuristic" and project.settings.max_attempts == 5
    assert uuid.UUID(project.id)
    assert project.to_dict()["output_fields"][1] == {
        "name": "price",
        "description": "",
        "type": "number",
        "selector": None,
        "comparator": None,
    }

    # Records given back as arguments mean what they say.
    copy = idle_platform.create_project("Copy", fields=project.output_fields, agent=project.agent)
    assert [f.to_dict() for f in copy.output_fields] == [f.to_dict() for f in project.output_fields]
    assert copy.agent.to_dict() == project.agent.to_dict()

    updated = idle_platform.update_instructions(project, "v2", fields=["title"])
    assert updated.instruction_version == 2 and updated.instructions == "v2"
    renamed = idle_platform.update_project(project.id, name="Shops 2", max_attempts=3)
    assert renamed.name == "Shops 2" and renamed.settings.max_attempts == 3
    assert renamed.instruction_version == 2
    versions = list(idle_platform.instruction_versions(project))
    assert [(v.version, v.instructions) for v in versions] == [(1, "v1"), (2, "v2")]
    assert [f.name for f in versions[0].output_fields] == ["title", "price"]
    assert idle_platform.instruction_version(project, 1).instructions == "v1"
    assert project.id in {p.id for p in idle_platform.projects()}

    # Ids are accepted as text, as uuid.UUID, or as the object itself.
    assert idle_platform.project(uuid.UUID(project.id)).id == project.id
    assert idle_platform.project(project).id == project.id

    idle_platform.delete_project(project)
    with pytest.raises(mino.NotFoundError):
        idle_platform.project(project)


def test_upload_sources(idle_platform: mino.Platform, tmp_path: Path) -> None:
    project = idle_platform.create_project("p", fields=["title"])
    text = "site,gt_title\nexample.com,Example\nnot a url,X\n"
    path = tmp_path / "sites.csv"
    path.write_text(text, encoding="utf-8")

    by_path = idle_platform.upload_csv(project, path)
    by_str_path = idle_platform.upload_csv(project, str(path))
    by_text = idle_platform.upload_csv(project, text)
    by_bytes = idle_platform.upload_csv(project, text.encode("latin-1"))
    with open(path, "rb") as binary:
        by_file = idle_platform.upload_csv(project, binary)
    by_text_file = idle_platform.upload_csv(project, io.StringIO(text), name="named")
    for batch in (by_path, by_str_path, by_text, by_bytes, by_file, by_text_file):
        assert (batch.total_rows, batch.valid_rows, batch.invalid_rows) == (2, 1, 1)
    assert by_path.source_filename == "sites.csv" and by_path.name == "sites.csv"
    assert by_file.source_filename == "sites.csv"
    assert by_text_file.name == "named"

    [job, invalid] = list(idle_platform.jobs(batch=by_path))
    assert job.site_url == "https://example.com/" and job.ground_truth == {"title": "Example"}
    assert invalid.status == "invalid" and invalid.invalid_reason

    semicolons = idle_platform.upload_csv(project, "url;gt_title\na.example;A\nb.example;B\n")
    assert semicolons.report is not None and semicolons.report.delimiter == "semicolon"
    assert idle_platform.batch(semicolons).report is None


def test_relative_site_paths_resolve_against_the_csv_folder(
    idle_platform: mino.Platform, tmp_path: Path
) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.html").write_text("<h1>A</h1>", encoding="utf-8")
    path = tmp_path / "local.csv"
    path.write_text("site,gt_title\npages/a.html,A\n", encoding="utf-8")
    project = idle_platform.create_project("p", fields=["title"])
    batch = idle_platform.upload_csv(project, path)
    [job] = list(idle_platform.jobs(batch=batch))
    assert job.status == "pending" and job.site_url.startswith("file://")
    # Without a folder to resolve against, the same row is not runnable.
    detached = idle_platform.upload_csv(project, path.read_text(encoding="utf-8") + "\n")
    assert detached.invalid_rows == 1


def test_rows_paging_and_edits(idle_platform: mino.Platform) -> None:
    project = idle_platform.create_project("p", fields=["title"])
    rows = [{"url": f"site{i}.example", "rank": i, "gt_title": f"T{i}"} for i in range(22)]
    # Any mapping will do, and values that are not text are written as text.
    extra = types.MappingProxyType({"url": "site22.example", "rank": 22, "gt_title": "T22"})
    batch = idle_platform.create_batch(project, [*rows, extra], name="ranked")
    assert batch.name == "ranked" and batch.valid_rows == 23

    pages = idle_platform.jobs(batch=batch, page_size=5)
    first_six = [next(pages) for _ in range(6)]
    assert pages.next_cursor is not None and pages.page_size == 5
    rest = list(pages)
    jobs = first_six + rest
    assert [j.row_index for j in jobs] == list(range(23))
    assert jobs[3].inputs == {"rank": "3"}
    assert pages.next_cursor is None

    resumed = list(idle_platform.jobs(batch=batch, page_size=5, cursor=_cursor_after(idle_platform, batch)))
    assert [j.row_index for j in resumed] == list(range(5, 23))

    assert len(list(idle_platform.jobs(batch=batch, search="SITE1"))) == 11
    assert list(idle_platform.jobs(batch=batch, status=["completed", "failed"])) == []
    assert len(list(idle_platform.jobs(project=project, has_ground_truth=True))) == 23

    job = idle_platform.update_job(jobs[0], ground_truth={"title": "New"}, inputs={"rank": "x"}, changed_by="me")
    assert job.ground_truth == {"title": "New"} and job.inputs == {"rank": "x"}
    [change] = list(idle_platform.ground_truth_changes(job=job))
    assert change.changed_by == "me" and change.old_value == "T0"
    assert isinstance(change.changed_at, datetime)

    assert idle_platform.update_jobs(jobs[1:4], status="cancelled") == 3
    counts = idle_platform.batch_counts(batch)
    assert (counts.cancelled, counts.pending, counts.total) == (3, 20, 23)
    assert idle_platform.delete_jobs([j.id for j in jobs[20:]]) == 3
    assert idle_platform.batch_counts(batch).total == 20
    assert idle_platform.rename_batch(batch, "renamed").name == "renamed"
    assert [b.id for b in idle_platform.batches(project)] == [batch.id]

    executions = idle_platform.rerun_jobs(jobs[1:3], concurrency=2)
    [execution] = executions
    assert execution.mode == "production" and execution.total == 2 and execution.concurrency == 2
    assert [e.id for e in idle_platform.executions(batch=batch, status="running")] == [execution.id]
    assert idle_platform.execution(execution.id).to_dict()["total"] == 2


def _cursor_after(platform: mino.Platform, batch: mino.Batch) -> str:
    pages = platform.jobs(batch=batch, page_size=5)
    next(pages)
    cursor = pages.next_cursor
    assert cursor is not None
    return cursor
