"""Plotly objects built without Plotly's property validation.

Plotly validates every property of every trace and layout change against its schema,
which was about two thirds of the national report's time (about 130 district profiles,
each a map of a dozen traces and a series chart). Our builders set a fixed set of
properties, so validating them on every call buys nothing; the figures here are built
with ``_validate=False`` and serialise to the same JSON values as validated ones (key
order aside). ``tests/test_reports_plotly_objects.py`` proves that by building the
report's figures both ways. Set :data:`VALIDATE` to ``True`` to validate (slower).

Without validation Plotly does not coerce shorthands: write ``{"text": ...}`` for
titles (not a bare string) and dicts for nested properties.
"""

from __future__ import annotations

import plotly.graph_objects as go
from _plotly_utils.utils import convert_to_base64

#: Validate the report's figures as Plotly does by default (slower; for debugging).
VALIDATE = False


def figure(data=None, layout=None) -> go.Figure:
    """``go.Figure(data, layout)`` (validated only with :data:`VALIDATE`)."""
    return go.Figure(data, layout, _validate=VALIDATE)


def scatter(**properties) -> go.Scatter:
    """``go.Scatter(**properties)`` (validated only with :data:`VALIDATE`)."""
    return go.Scatter(_validate=VALIDATE, **properties)


def bar(**properties) -> go.Bar:
    """``go.Bar(**properties)`` (validated only with :data:`VALIDATE`)."""
    return go.Bar(_validate=VALIDATE, **properties)


def figure_dict(fig: go.Figure) -> dict:
    """``fig.to_dict()`` (``{"data": [...], "layout": {...}}`` with numeric arrays as
    Plotly's typed-array specs) without its deep copy of every array and string list.

    Only the dicts are copied (the typed-array conversion replaces dict values in
    place, so the figure itself is left as it was); arrays and lists are shared.
    Figures with animation frames take Plotly's own path.
    """
    if fig.frames:
        return fig.to_dict()
    out = {
        "data": [_dict_copy(trace) for trace in fig._data],  # the traces' properties
        "layout": _dict_copy(fig._layout),
    }
    convert_to_base64(out)
    return out


def _dict_copy(value):
    """``value`` with every dict (also inside lists) copied; other values shared."""
    if isinstance(value, dict):
        return {k: _dict_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value):
        return [_dict_copy(v) for v in value]
    return value
