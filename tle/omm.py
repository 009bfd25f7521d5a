"""CCSDS Orbit Mean-Elements Messages (OMM) as CelesTrak serves them: JSON, CSV and XML.

Each record is validated field by field before SGP4 sees it; a bad record becomes a
:class:`RecordProblem` (with its record number) and the others are kept.
"""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import ElementSetFileError, RecordProblem

REQUIRED_FIELDS = (
    "OBJECT_NAME", "NORAD_CAT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION",
    "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)


@dataclass(frozen=True)
class OMMRecord:
    """Mean elements of one satellite in OMM units (degrees, rev/day, UTC epoch)."""

    name: str
    norad_id: int
    epoch_utc: datetime
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radius: float
    mean_motion_dot: float  # rev/day^2 / 2, as in the TLE
    mean_motion_ddot: float  # rev/day^3 / 6, as in the TLE
    classification: str
    intl_designator: str
    source: str
    line_number: int


def _parse_epoch(text: str) -> datetime:
    text = text.strip().rstrip("Z")
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
                    "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise ValueError(f"EPOCH {text!r} is not an ISO date-time like 2026-05-30T12:00:00.000000")


def _number(fields: Mapping[str, object], key: str) -> float:
    value = fields[key]
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{key} = {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{key} = {value!r} is not finite")
    return number


def record_from_fields(fields: Mapping[str, object], source: str, line: int) -> OMMRecord:
    """Validate one OMM field mapping; raises ``ValueError`` with the key that is wrong."""
    missing = [key for key in REQUIRED_FIELDS if fields.get(key) in (None, "")]
    if missing:
        raise ValueError(f"missing OMM field(s) {', '.join(missing)}")
    numbers = {key: _number(fields, key) for key in REQUIRED_FIELDS[3:]}
    if not 0.0 <= numbers["ECCENTRICITY"] < 1.0:
        raise ValueError(f"ECCENTRICITY = {numbers['ECCENTRICITY']} is outside [0, 1)")
    if numbers["MEAN_MOTION"] <= 0.0:
        raise ValueError(f"MEAN_MOTION = {numbers['MEAN_MOTION']} rev/day must be > 0")
    if not 0.0 <= numbers["INCLINATION"] <= 180.0:
        raise ValueError(f"INCLINATION = {numbers['INCLINATION']} deg is outside 0..180")
    norad = _number(fields, "NORAD_CAT_ID")
    if norad != int(norad) or not 0 <= norad <= 339_999:
        raise ValueError(f"NORAD_CAT_ID = {fields['NORAD_CAT_ID']!r} is not an integer 0..339999")
    return OMMRecord(
        name=str(fields["OBJECT_NAME"]).strip(),
        norad_id=int(norad),
        epoch_utc=_parse_epoch(str(fields["EPOCH"])),
        mean_motion_rev_per_day=numbers["MEAN_MOTION"],
        eccentricity=numbers["ECCENTRICITY"],
        inclination_deg=numbers["INCLINATION"],
        raan_deg=numbers["RA_OF_ASC_NODE"],
        arg_perigee_deg=numbers["ARG_OF_PERICENTER"],
        mean_anomaly_deg=numbers["MEAN_ANOMALY"],
        bstar_per_earth_radius=numbers["BSTAR"],
        mean_motion_dot=numbers["MEAN_MOTION_DOT"],
        mean_motion_ddot=numbers["MEAN_MOTION_DDOT"],
        classification=str(fields.get("CLASSIFICATION_TYPE") or "U")[:1],
        intl_designator=str(fields.get("OBJECT_ID") or ""),
        source=source,
        line_number=line,
    )


def _records(rows: Iterable[tuple[int, Mapping[str, object]]], source: str
             ) -> tuple[list[OMMRecord], list[RecordProblem]]:
    records, problems = [], []
    for line, fields in rows:
        try:
            records.append(record_from_fields(fields, source, line))
        except ValueError as exc:
            problems.append(RecordProblem(source, line, "omm-field", f"OMM record: {exc}"))
    return records, problems


def parse_omm_json(text: str, source: str) -> tuple[list[OMMRecord], list[RecordProblem]]:
    """CelesTrak ``FORMAT=json``: a list of objects (or one object). Numbers are records."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ElementSetFileError(
            f"{source}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "expected a CelesTrak OMM list like [{\"OBJECT_NAME\": ..., \"EPOCH\": ...}]"
        ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ElementSetFileError(f"{source}: expected a JSON list of OMM objects, found "
                                  f"{type(data).__name__}")
    return _records(enumerate(data, 1), source)


def parse_omm_csv(text: str, source: str) -> tuple[list[OMMRecord], list[RecordProblem]]:
    """CelesTrak ``FORMAT=csv``: a header row of OMM keys; problems name the file line."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [key for key in REQUIRED_FIELDS if key not in (reader.fieldnames or [])]
    if missing:
        raise ElementSetFileError(f"{source}:1: the CSV header lacks OMM column(s) "
                                  f"{', '.join(missing)}; expected CelesTrak FORMAT=csv")
    return _records(((reader.line_num, row) for row in reader), source)


def parse_omm_xml(text: str, source: str) -> tuple[list[OMMRecord], list[RecordProblem]]:
    """CCSDS OMM XML (CelesTrak ``FORMAT=xml``); problems give the segment number."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 1
        raise ElementSetFileError(f"{source}:{line}: not well-formed XML ({exc}); expected "
                                  "a CCSDS OMM document") from None
    rows = []
    for number, segment in enumerate(root.iter("segment"), 1):
        fields: dict[str, object] = {}
        for element in segment.iter():
            if len(element) == 0 and element.text is not None:
                fields[element.tag] = element.text.strip()
        rows.append((number, fields))
    if not rows:
        raise ElementSetFileError(f"{source}: the XML has no <segment> elements; expected a "
                                  "CCSDS OMM document (CelesTrak FORMAT=xml)")
    return _records(rows, source)
