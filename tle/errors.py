"""Errors and parse reports of hybridplan.tle.

Every error is a ``ValueError`` too, so callers may catch broadly or precisely.
Problems inside a file are *data* (:class:`RecordProblem`): a parser reports each bad
record with its file and line and keeps the good ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class ElementSetError(ValueError):
    """Base class of the errors raised by hybridplan.tle."""


class ElementSetFileError(ElementSetError):
    """A whole file cannot be read as element sets (empty, binary, wrong encoding...)."""


class WalkerError(ElementSetError):
    """Walker-constellation parameters out of range."""


class PropagationError(ElementSetError):
    """A time grid or propagation request that cannot be honoured."""


class DuplicateSatellitesWarning(UserWarning):
    """A union dropped element sets (identical copies, or older epochs of one satellite)."""


@dataclass(frozen=True)
class RecordProblem:
    """One element set that was dropped, and why.

    Attributes
    ----------
    source : str
        File name (or ``"<lines>"`` for in-memory input).
    line : int
        1-based line number (or record number for JSON/CSV/XML OMM) of the problem.
    reason : str
        Short machine-readable kind, e.g. ``"checksum"``, ``"columns"``, ``"truncated"``.
    message : str
        What was expected, what was found, and the fix.
    """

    source: str
    line: int
    reason: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class ParseReport:
    """What a parser kept, dropped and de-duplicated.

    Attributes
    ----------
    source : str
        The file (or sources joined by ``", "``).
    n_records : int
        Element sets kept.
    problems : list of RecordProblem
        Dropped records.
    duplicates : list of str
        One line per duplicate NORAD id resolved (the newest epoch is kept).
    renumbered : list of str
        One line per generated shell moved to free catalogue numbers by a union.
    """

    source: str
    n_records: int = 0
    problems: list[RecordProblem] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)

    @property
    def n_dropped(self) -> int:
        return len(self.problems)

    def summary(self) -> str:
        """One line: kept, dropped by reason, duplicates resolved."""
        text = f"{self.source}: kept {self.n_records} element sets"
        if self.problems:
            reasons = Counter(p.reason for p in self.problems)
            detail = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())
            text += f"; dropped {self.n_dropped} ({detail})"
        if self.duplicates:
            text += f"; {len(self.duplicates)} duplicate NORAD ids resolved to the newest epoch"
        if self.renumbered:
            text += f"; {len(self.renumbered)} generated shells renumbered to free ids"
        return text

    def merge(self, other: ParseReport) -> ParseReport:
        return ParseReport(
            source=", ".join(s for s in (self.source, other.source) if s),
            n_records=self.n_records + other.n_records,
            problems=self.problems + other.problems,
            duplicates=self.duplicates + other.duplicates,
            renumbered=self.renumbered + other.renumbered,
        )
