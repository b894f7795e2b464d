"""The exceptions MINO raises: one tree under :class:`MinoError`.

Every exception carries the same ``code`` as the HTTP API (``NOT_FOUND``,
``VALIDATION_ERROR``, ``CONFLICT``, ``BROWSER_ERROR``, ``AGENT_ERROR``, ``STORAGE_ERROR``…).
"""

from typing import Dict, Optional

__all__ = [
    "MinoError",
    "NotFoundError",
    "ValidationError",
    "ConflictError",
    "BrowserError",
    "AgentError",
    "StorageError",
]


class MinoError(Exception):
    """Any error MINO reports; ``except mino.MinoError`` catches them all.

    Attributes:
        message: What went wrong, for people.
        code: The stable error code, as in the HTTP API (e.g. ``NOT_FOUND``).
        kind: The error kind in lower case (e.g. ``not_found``).
        details: Context such as the offending ``field`` or the ``id`` not found.
        transient: Whether trying the same thing again later may succeed.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "INTERNAL",
        kind: str = "internal",
        details: Optional[Dict[str, str]] = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.details: Dict[str, str] = dict(details or {})
        self.transient = transient

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


class NotFoundError(MinoError, LookupError):
    """The addressed project, batch, job, execution or file does not exist (``NOT_FOUND``)."""


class ValidationError(MinoError, ValueError):
    """An argument is malformed or out of range (``VALIDATION_ERROR``), or a file is too
    large (``PAYLOAD_TOO_LARGE``) or not readable as CSV (``UNSUPPORTED_MEDIA_TYPE``)."""


class ConflictError(MinoError):
    """The operation contradicts the current state, e.g. a job already in an active
    execution, or pausing an execution that is not running (``CONFLICT``)."""


class BrowserError(MinoError):
    """The browser failed or could not reach a page (``BROWSER_ERROR``, ``TIMEOUT``,
    ``NETWORK_ERROR``, ``HTTP_STATUS``)."""


class AgentError(MinoError):
    """The agent failed to run, or its provider refused (``AGENT_ERROR``,
    ``RATE_LIMITED``)."""


class StorageError(MinoError):
    """The database failed or cannot be reached (``STORAGE_ERROR``)."""
