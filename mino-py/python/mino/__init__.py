"""MINO: run web agents over batches of websites and score them against ground truth.

Open a :class:`Platform` on a database and a browser, create a project (what to extract),
upload a CSV (one site per row, ``gt_<field>`` columns hold the expected values), execute
it, watch its events, read the metrics and export the results::

    import mino

    with mino.Platform("sqlite:mino.db") as platform:
        project = platform.create_project("Shops", fields=["title", "price"])
        batch = platform.upload_csv(project, "sites.csv")
        execution = platform.execute(batch, mode="test", sample=10)
        for event in execution.events():
            print(event.type)
        print(platform.metrics(batch, execution).metrics.pass_rate)
        platform.export(project, "results.xlsx", execution=execution)
"""

from typing import Union

from ._errors import (
    AgentError,
    BrowserError,
    ConflictError,
    MinoError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from ._mino import (
    AgentConfig,
    Batch,
    BatchDashboard,
    BatchMetrics,
    Column,
    ColumnMetrics,
    ConcurrencyEvent,
    CostMetrics,
    Evaluation,
    EventIterator,
    Execution,
    ExecutionCost,
    ExecutionStats,
    ExecutionStatusEvent,
    ExportSummary,
    FieldEvaluation,
    FrameEvent,
    GroundTruthChange,
    GroundTruthResult,
    IngestReport,
    InstructionVersion,
    InvalidRow,
    Job,
    JobTransitionEvent,
    LogEvent,
    LogLine,
    MetricsReport,
    MetricsSnapshot,
    OutputField,
    PageIterator,
    Platform,
    Project,
    ProjectSettings,
    Session,
    SessionError,
    StatsEvent,
    StatusCounts,
    TrendPoint,
    Usage,
    __version__,
)

#: Any event yielded by ``Execution.events()`` and ``Platform.events()``.
Event = Union[
    ExecutionStatusEvent,
    ConcurrencyEvent,
    JobTransitionEvent,
    LogEvent,
    StatsEvent,
    FrameEvent,
]

__all__ = [
    "AgentConfig",
    "AgentError",
    "Batch",
    "BatchDashboard",
    "BatchMetrics",
    "BrowserError",
    "Column",
    "ColumnMetrics",
    "ConcurrencyEvent",
    "ConflictError",
    "CostMetrics",
    "Evaluation",
    "Event",
    "EventIterator",
    "Execution",
    "ExecutionCost",
    "ExecutionStats",
    "ExecutionStatusEvent",
    "ExportSummary",
    "FieldEvaluation",
    "FrameEvent",
    "GroundTruthChange",
    "GroundTruthResult",
    "IngestReport",
    "InstructionVersion",
    "InvalidRow",
    "Job",
    "JobTransitionEvent",
    "LogEvent",
    "LogLine",
    "MetricsReport",
    "MetricsSnapshot",
    "MinoError",
    "NotFoundError",
    "OutputField",
    "PageIterator",
    "Platform",
    "Project",
    "ProjectSettings",
    "Session",
    "SessionError",
    "StatsEvent",
    "StatusCounts",
    "StorageError",
    "TrendPoint",
    "Usage",
    "ValidationError",
    "__version__",
]
