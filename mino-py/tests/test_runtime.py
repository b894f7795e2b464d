"""Blocking calls release the GIL, Ctrl-C interrupts them, and the process has one runtime."""

import os
import signal
import threading
import time
from pathlib import Path
from typing import List, Tuple

import pytest

import mino


def _running_execution(platform: mino.Platform) -> mino.Execution:
    """An execution that stays running: the platform has no worker."""
    project = platform.create_project("idle", fields=["title"])
    batch = platform.create_batch(project, [{"url": f"site{i}.example"} for i in range(10)])
    return platform.execute(batch, sample=10)


def test_wait_releases_the_gil(idle_platform: mino.Platform) -> None:
    execution = _running_execution(idle_platform)
    counter = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=count)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            execution.wait(timeout=1.5)
        during = counter[0]
    finally:
        stop.set()
        thread.join()
    assert 1.4 <= time.monotonic() - started < 10
    # A thread that could not take the GIL would not have counted at all.
    assert during > 100_000
    assert execution.status == "running"


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_interrupts_wait(idle_platform: mino.Platform) -> None:
    execution = _running_execution(idle_platform)
    started = time.monotonic()
    timer = _interrupt_after(0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            execution.wait()
    finally:
        timer.cancel()
    assert time.monotonic() - started < 5
    # The platform still works after the interrupt; the execution goes on until stopped.
    assert execution.refresh().status == "running"
    execution.stop()


def test_ctrl_c_interrupts_an_event_loop(idle_platform: mino.Platform) -> None:
    execution = _running_execution(idle_platform)
    seen: List[str] = []
    timer = _interrupt_after(0.5)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            for event in execution.events():
                seen.append(event.type)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 5
    assert seen[:1] == ["execution_status"]


def test_events_can_time_out(idle_platform: mino.Platform) -> None:
    execution = _running_execution(idle_platform)
    events = execution.events(timeout=0.3)
    first = next(events)
    assert isinstance(first, mino.ExecutionStatusEvent) and first.status == "running"
    with pytest.raises(TimeoutError):
        while True:
            next(events)
    execution.stop()
    # A new iterator on a finished execution ends at once.
    execution.wait(timeout=10)
    assert list(execution.events()) == []


def test_platform_events_see_every_execution(idle_platform: mino.Platform) -> None:
    events = idle_platform.events(timeout=10)
    first = _running_execution(idle_platform)
    second = _running_execution(idle_platform)
    started = []
    while len(started) < 2:
        event = next(events)
        if isinstance(event, mino.ExecutionStatusEvent):
            started.append((event.execution_id, event.status))
    assert started == [(first.id, "running"), (second.id, "running")]
    second.set_concurrency(3)
    concurrency = next(e for e in events if isinstance(e, mino.ConcurrencyEvent))
    assert (concurrency.execution_id, concurrency.concurrency) == (second.id, 3)
    assert not events.finished


def _runtime_threads() -> Tuple[int, List[str]]:
    names = []
    for task in Path("/proc/self/task").iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except OSError:
            continue
    runtime = [n for n in names if n.startswith("mino-runtime")]
    return len(runtime), names


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_one_runtime_per_process(tmp_path: Path) -> None:
    first = mino.Platform(f"sqlite:{tmp_path / 'a.db'}", worker=False)
    before, _ = _runtime_threads()
    assert before >= 1
    others = [mino.Platform(f"sqlite:{tmp_path / f'{i}.db'}", worker=False) for i in range(8)]
    for platform in others:
        list(platform.projects())
    after, _ = _runtime_threads()
    # A runtime per platform would add its worker threads eight times over; the one shared
    # runtime only grows its blocking pool, a thread or two, whatever the platforms.
    assert after - before < 8
    for platform in [first, *others]:
        platform.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_gets_an_error_and_leaves_the_parent_alone(idle_platform: mino.Platform) -> None:
    project = idle_platform.create_project("before fork", fields=["title"])
    pid = os.fork()
    if pid == 0:  # the child: every call fails clearly, close() does not touch the parent's
        code = 1
        try:
            try:
                idle_platform.project(project)
            except RuntimeError as err:
                code = 0 if "fork" in str(err) else 2
            idle_platform.close()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert idle_platform.project(project).name == "before fork"
