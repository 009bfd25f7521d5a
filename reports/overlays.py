"""District boundaries and the fibre network as plain Scatter line traces (lng, lat).

Both come in as GeoJSON-like dicts (a FeatureCollection, a Feature or a bare geometry)
in longitude/latitude degrees, so the reports never import the grids package.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import shapely.geometry

from .labels import ReportDataError

NAME_KEYS = ("name", "NAME", "shapeName", "district", "DISTRICT", "ADM2_EN", "id")
BOUNDARY_COLOUR = "#444444"
NETWORK_COLOUR = "#d62728"


def features(geojson: dict | None, what: str) -> list[dict]:
    """The features of a FeatureCollection, Feature or bare geometry dict."""
    if geojson is None:
        return []
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise ReportDataError(
            f"{what} must be a GeoJSON-like dict (FeatureCollection, Feature or geometry) "
            f"in lon/lat degrees; found {type(geojson).__name__}"
        )
    kind = geojson["type"]
    if kind == "FeatureCollection":
        return list(geojson.get("features") or [])
    if kind == "Feature":
        return [geojson]
    return [{"type": "Feature", "properties": {}, "geometry": geojson}]


def feature_name(feature: dict) -> str:
    """The first of the usual name properties, or ``""``."""
    props = feature.get("properties") or {}
    for key in NAME_KEYS:
        if props.get(key) not in (None, ""):
            return str(props[key])
    return ""


def _lines_of(geometry) -> list[np.ndarray]:
    """Every ring or line of a shapely geometry as ``(n, 2)`` (lng, lat) arrays."""
    out: list[np.ndarray] = []
    if geometry.is_empty:
        return out
    kind = geometry.geom_type
    if kind == "Polygon":
        out.append(np.asarray(geometry.exterior.coords)[:, :2])
        out.extend(np.asarray(r.coords)[:, :2] for r in geometry.interiors)
    elif kind in ("LineString", "LinearRing"):
        out.append(np.asarray(geometry.coords)[:, :2])
    elif kind in ("MultiPolygon", "MultiLineString", "GeometryCollection"):
        for part in geometry.geoms:
            out.extend(_lines_of(part))
    return out


def _shape(feature: dict, what: str, index: int):
    geometry = feature.get("geometry")
    if geometry is None:
        return None
    try:
        return shapely.geometry.shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ReportDataError(f"{what}: feature {index} has an invalid geometry ({exc})") from exc


def _joined(lines: list[np.ndarray], decimals: int = 5) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for line in lines:
        if xs:
            xs.append(None)
            ys.append(None)
        rounded = np.round(line, decimals)
        xs.extend(rounded[:, 0].tolist())
        ys.extend(rounded[:, 1].tolist())
    return xs, ys


def boundary_traces(boundaries: dict | None, *, labels: bool = True) -> list[go.Scatter]:
    """Outline trace (and a text trace of names) for boundary polygons."""
    lines: list[np.ndarray] = []
    names: list[str] = []
    points: list[tuple[float, float]] = []
    for i, feature in enumerate(features(boundaries, "boundaries")):
        geom = _shape(feature, "boundaries", i)
        if geom is None:
            continue
        lines.extend(_lines_of(geom))
        name = feature_name(feature)
        if name and geom.geom_type in ("Polygon", "MultiPolygon"):
            p = geom.representative_point()
            names.append(name)
            points.append((round(p.x, 4), round(p.y, 4)))
    if not lines:
        return []
    xs, ys = _joined(lines)
    traces = [
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name="Boundaries",
            line={"color": BOUNDARY_COLOUR, "width": 1},
            hoverinfo="skip",
            legendgroup="overlay",
        )
    ]
    if labels and names:
        traces.append(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="text",
                text=names,
                textfont={"size": 10, "color": "#222222"},
                name="Boundary names",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces


def network_traces(network: dict | None) -> list[go.Scatter]:
    """Line trace for fibre routes and a marker trace for points (PoPs, landings)."""
    lines: list[np.ndarray] = []
    points: list[tuple[float, float, str]] = []
    for i, feature in enumerate(features(network, "network")):
        geom = _shape(feature, "network", i)
        if geom is None:
            continue
        if geom.geom_type in ("Point", "MultiPoint"):
            for p in getattr(geom, "geoms", [geom]):
                points.append((round(p.x, 5), round(p.y, 5), feature_name(feature)))
        else:
            lines.extend(_lines_of(geom))
    traces = []
    if lines:
        xs, ys = _joined(lines)
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name="Fibre network",
                line={"color": NETWORK_COLOUR, "width": 2},
                hoverinfo="skip",
                legendgroup="overlay",
            )
        )
    if points:
        traces.append(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="markers",
                text=[p[2] for p in points],
                name="Network points",
                marker={"color": NETWORK_COLOUR, "size": 7, "symbol": "diamond"},
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return traces
