"""MINO errors arrive as one exception tree with the HTTP API's codes."""

import pytest

import mino


def test_hierarchy() -> None:
    for cls in (
        mino.NotFoundError,
        mino.ValidationError,
        mino.ConflictError,
        mino.BrowserError,
        mino.AgentError,
        mino.StorageError,
    ):
        assert issubclass(cls, mino.MinoError)
    assert issubclass(mino.MinoError, Exception)
    assert issubclass(mino.NotFoundError, LookupError)
    assert issubclass(mino.ValidationError, ValueError)


def test_not_found(idle_platform: mino.Platform) -> None:
    missing = "01900000-0000-7000-8000-000000000000"
    with pytest.raises(mino.NotFoundError) as caught:
        idle_platform.project(missing)
    err = caught.value
    assert err.code == "NOT_FOUND" and err.kind == "not_found"
    assert err.details == {"entity": "project", "id": missing}
    assert not err.transient
    assert missing in err.message and "[NOT_FOUND]" in str(err)
    with pytest.raises(mino.NotFoundError):
        idle_platform.batch(missing)
    with pytest.raises(mino.NotFoundError):
        idle_platform.job(missing)
    with pytest.raises(mino.NotFoundError):
        idle_platform.execution(missing)
    with pytest.raises(mino.NotFoundError):
        project = idle_platform.create_project("p", fields=["title"])
        idle_platform.upload_csv(project, "/nonexistent/folder/sites.csv")


def test_validation(idle_platform: mino.Platform) -> None:
    with pytest.raises(mino.ValidationError) as caught:
        idle_platform.project("not-a-uuid")
    assert caught.value.code == "VALIDATION_ERROR"
    assert caught.value.details["field"] == "project_id"

    with pytest.raises(mino.ValidationError) as caught:
        idle_platform.create_project("dup", fields=["title", "Title"])
    assert caught.value.details["field"] == "output_fields"

    with pytest.raises(mino.ValidationError):
        idle_platform.create_project("agent", agent="no-such-agent")

    project = idle_platform.create_project("p", fields=["title"])
    batch = idle_platform.create_batch(project, [{"url": f"site{i}.example"} for i in range(12)])
    with pytest.raises(mino.ValidationError) as caught:
        idle_platform.execute(batch, sample=5)
    assert caught.value.details["field"] == "sample_size"
    with pytest.raises(mino.ValidationError) as caught:
        idle_platform.execute(batch, mode="rehearsal")
    assert caught.value.details["field"] == "mode"
    with pytest.raises(mino.ValidationError) as caught:
        idle_platform.execute(batch, concurrency=51)
    assert caught.value.details["field"] == "concurrency"
    with pytest.raises(mino.ValidationError):
        idle_platform.jobs(batch=batch, page_size=0)
    with pytest.raises(mino.ValidationError):
        idle_platform.upload_csv(project, b"")
    with pytest.raises(mino.ValidationError) as caught:
        idle_platform.upload_csv(project, b"url\n" + b"a.example\n" * 50, max_bytes=100)
    assert caught.value.code == "PAYLOAD_TOO_LARGE"
    with pytest.raises(mino.ValidationError):
        idle_platform.export_bytes(project, "pdf")
    # A ValidationError is a ValueError too.
    with pytest.raises(ValueError):
        idle_platform.update_job("not-a-uuid", status="pending")


def test_conflict(idle_platform: mino.Platform) -> None:
    project = idle_platform.create_project("p", fields=["title"])
    batch = idle_platform.create_batch(project, [{"url": f"site{i}.example"} for i in range(12)])
    execution = idle_platform.execute(batch, sample=10)
    assert execution.status == "running"
    with pytest.raises(mino.ConflictError) as caught:
        idle_platform.execute(batch, sample=10)
    assert caught.value.code == "CONFLICT"
    with pytest.raises(mino.ConflictError):
        idle_platform.delete_batch(batch)
    execution.pause()
    assert execution.status == "paused"
    with pytest.raises(mino.ConflictError):
        execution.pause()
    execution.resume()
    execution.set_concurrency(7)
    assert execution.concurrency == 7
    execution.stop()
    assert execution.status in ("stopping", "stopped")


def test_storage_error_when_the_database_is_unreachable() -> None:
    with pytest.raises(mino.StorageError) as caught:
        mino.Platform("postgres://postgres:postgres@127.0.0.1:1/test?acquire_timeout=1", worker=False)
    assert caught.value.code == "STORAGE_ERROR"
    assert caught.value.transient


def test_bad_arguments_are_type_or_validation_errors(idle_platform: mino.Platform) -> None:
    with pytest.raises(TypeError):
        idle_platform.project(42)  # type: ignore[arg-type]
    with pytest.raises(mino.ValidationError):
        mino.Platform("mysql://nowhere", worker=False)
    with pytest.raises(mino.ValidationError):
        mino.Platform("sqlite::memory:", "firefox", worker=False)


def test_closed_platform(sqlite_url: str) -> None:
    platform = mino.Platform(sqlite_url, worker=False)
    platform.close()
    platform.close()
    assert platform.closed
    with pytest.raises(RuntimeError):
        platform.projects()
