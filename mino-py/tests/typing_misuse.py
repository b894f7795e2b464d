"""Uses of ``mino`` that its stubs must reject (mypy has to report each line marked E)."""

import mino

platform = mino.Platform("sqlite::memory:")
execution = platform.execute("batch-id", mode="rehearsal")  # E: mode is a Literal
execution.wait(timeout="soon")  # E: timeout is a float
count: str = platform.batch_counts("batch-id").total  # E: total is an int
platform.create_project(name=42)  # E: name is a str
job = platform.job("job-id")
job.sessions.append(None)  # E: sessions may be None, and holds Session
url: int = next(platform.jobs(batch="batch-id")).site_url  # E: lists yield typed records
for event in platform.events():
    event.progress  # E: only StatsEvent has progress; narrow with isinstance first
