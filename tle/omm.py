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
    "OBJECT_NAME",
    "NORAD_CAT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
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


# What a TLE's columns can carry: OMM mean elements are SGP4 elements like a TLE's, so a
# value no TLE could hold is a broken record, not an orbit ((low, high), inclusive).
FIELD_RANGES: dict[str, tuple[float, float, str]] = {
    "MEAN_MOTION": (0.0, 100.0, "(0, 100) rev/day, what a TLE's NN.NNNNNNNN holds"),
    "ECCENTRICITY": (0.0, 1.0, "[0, 1)"),
    "INCLINATION": (0.0, 180.0, "0..180 deg"),
    "RA_OF_ASC_NODE": (-360.0, 360.0, "-360..360 deg"),
    "ARG_OF_PERICENTER": (-360.0, 360.0, "-360..360 deg"),
    "MEAN_ANOMALY": (-360.0, 360.0, "-360..360 deg"),
    "BSTAR": (-1e9, 1e9, "(-1e9, 1e9) per earth radius, what a TLE's +.NNNNN-N holds"),
    "MEAN_MOTION_DOT": (-1.0, 1.0, "(-1, 1) rev/day^2, what a TLE's +.NNNNNNNN holds"),
    "MEAN_MOTION_DDOT": (-1e9, 1e9, "(-1e9, 1e9) rev/day^3, what a TLE's +.NNNNN-N holds"),
}
_EPOCH_YEARS = (1957, 2099)


def _parse_epoch(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(
            f"EPOCH = {value!r} is not an ISO date-time string like 2026-05-30T12:00:00.000000"
        )
    text = value.strip().rstrip("Z")
    for pattern in (
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
    ):
        try:
            epoch = datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        if not _EPOCH_YEARS[0] <= epoch.year <= _EPOCH_YEARS[1]:
            raise ValueError(
                f"EPOCH {text!r} is outside the years {_EPOCH_YEARS[0]}.."
                f"{_EPOCH_YEARS[1]}; check the date"
            )
        return epoch
    raise ValueError(f"EPOCH {text[:40]!r} is not an ISO date-time like 2026-05-30T12:00:00.000000")


def _number(fields: Mapping[str, object], key: str) -> float:
    value = fields[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{key} = {_short(value)} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{key} = {_short(value)} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{key} = {_short(value)} is not finite; expected a number")
    return number


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_range(key: str, number: float) -> None:
    if key not in FIELD_RANGES:
        return
    low, high, expected = FIELD_RANGES[key]
    upper_open = key in (
        "ECCENTRICITY",
        "MEAN_MOTION",
        "BSTAR",
        "MEAN_MOTION_DOT",
        "MEAN_MOTION_DDOT",
    )
    lower_open = key in ("MEAN_MOTION", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")
    if (
        number < low
        or number > high
        or (upper_open and number == high)
        or (lower_open and number == low)
    ):
        raise ValueError(f"{key} = {number:g} is outside {expected}")


def _name(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"OBJECT_NAME = {_short(value)} is not text")
    name = str(value).strip()
    if not name.isprintable():
        raise ValueError(
            f"OBJECT_NAME = {_short(name)} contains control characters "
            "(line breaks, tabs); remove them"
        )
    return name


def record_from_fields(fields: Mapping[str, object], source: str, line: int) -> OMMRecord:
    """Validate one OMM field mapping; raises ``ValueError`` with the key that is wrong."""
    missing = [key for key in REQUIRED_FIELDS if fields.get(key) in (None, "")]
    if missing:
        raise ValueError(f"missing OMM field(s) {', '.join(missing)}")
    numbers = {key: _number(fields, key) for key in REQUIRED_FIELDS[3:]}
    for key, number in numbers.items():
        _check_range(key, number)
    norad = _number(fields, "NORAD_CAT_ID")
    if norad != int(norad) or not 0 <= norad <= 339_999:
        raise ValueError(
            f"NORAD_CAT_ID = {_short(fields['NORAD_CAT_ID'])} is not an integer 0..339999"
        )
    return OMMRecord(
        name=_name(fields["OBJECT_NAME"]),
        norad_id=int(norad),
        epoch_utc=_parse_epoch(fields["EPOCH"]),
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
        intl_designator=str(fields.get("OBJECT_ID") or "")[:40],
        source=source,
        line_number=line,
    )


def _records(
    rows: Iterable[tuple[int, Mapping[str, object]]], source: str
) -> tuple[list[OMMRecord], list[RecordProblem]]:
    records, problems = [], []
    for line, fields in rows:
        try:
            records.append(record_from_fields(fields, source, line))
        except ValueError as exc:
            problems.append(RecordProblem(source, line, "omm-field", f"OMM record: {exc}"))
    return records, problems


def _json_type(value: object) -> str:
    for kinds, name in (
        (bool, "boolean"),
        ((int, float), "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ):
        if isinstance(value, kinds):
            return name
    return "null"


def parse_omm_json(text: str, source: str) -> tuple[list[OMMRecord], list[RecordProblem]]:
    """CelesTrak ``FORMAT=json``: a list of objects (or one object). Numbers are records."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ElementSetFileError(
            f"{source}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}); "
            'expected a CelesTrak OMM list like [{"OBJECT_NAME": ..., "EPOCH": ...}]'
        ) from None
    except RecursionError:
        raise ElementSetFileError(
            f"{source}: the JSON is nested too deeply to read; expected a flat CelesTrak OMM "
            'list like [{"OBJECT_NAME": ..., "EPOCH": ...}]'
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ElementSetFileError(
            f"{source}: JSON value out of range ({exc}); expected OMM numbers"
        ) from None
    if isinstance(data, dict) and data.get("type") in ("FeatureCollection", "Feature"):
        raise ElementSetFileError(
            f"{source}: this is GeoJSON, not OMM element sets; name the "
            "CelesTrak FORMAT=json element-set file instead"
        )
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ElementSetFileError(
            f"{source}: expected a JSON list of OMM objects, found a "
            f"{_json_type(data)}; fetch FORMAT=json from CelesTrak"
        )
    if not data:
        raise ElementSetFileError(
            f"{source}: the JSON list is empty; expected OMM objects "
            "(a CelesTrak query that matched nothing?)"
        )
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise ElementSetFileError(
                f"{source}: record {number} is a JSON {_json_type(item)}, not an object; "
                'expected a list of OMM objects like [{"OBJECT_NAME": ...}]'
            )
    return _records(enumerate(data, 1), source)


def parse_omm_csv(text: str, source: str) -> tuple[list[OMMRecord], list[RecordProblem]]:
    """CelesTrak ``FORMAT=csv``: a header row of OMM keys; problems name the file line."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = [key for key in REQUIRED_FIELDS if key not in (reader.fieldnames or [])]
        if missing:
            raise ElementSetFileError(
                f"{source}:1: the CSV header lacks OMM column(s) "
                f"{', '.join(missing)}; expected CelesTrak FORMAT=csv"
            )
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ElementSetFileError(
            f"{source}:{reader.line_num}: unreadable CSV ({exc}); expected CelesTrak FORMAT=csv"
        ) from None
    if not rows:
        raise ElementSetFileError(
            f"{source}: the CSV has a header but no records; expected one OMM record per row"
        )
    return _records(rows, source)


def parse_omm_xml(text: str, source: str) -> tuple[list[OMMRecord], list[RecordProblem]]:
    """CCSDS OMM XML (CelesTrak ``FORMAT=xml``); problems give the segment number."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 1
        raise ElementSetFileError(
            f"{source}:{line}: not well-formed XML ({exc}); expected a CCSDS OMM document"
        ) from None
    except RecursionError:
        raise ElementSetFileError(
            f"{source}: the XML is nested too deeply to read; expected a CCSDS OMM document"
        ) from None
    rows = []
    for number, segment in enumerate(root.iter("segment"), 1):
        fields: dict[str, object] = {}
        for element in segment.iter():
            if len(element) == 0 and element.text is not None:
                fields[element.tag] = element.text.strip()
        rows.append((number, fields))
    if not rows:
        raise ElementSetFileError(
            f"{source}: the XML has no <segment> elements; expected a "
            "CCSDS OMM document (CelesTrak FORMAT=xml)"
        )
    return _records(rows, source)
