"""Reading the plan Dataset: labels, flags, variable selection and a typed error.

Everything a figure or a table shows about a variable comes from the variable's own
attributes (``long_name``, ``units``, CF ``flag_values`` / ``flag_meanings``), so the
reports never hard-code what the planner computed.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xarray as xr

CELL_DIM = "cell"
SYSTEM_DIM = "system"
TIME_DIM = "time"
COMBINED_SYSTEM = "combined"


class ReportDataError(ValueError):
    """The plan Dataset lacks something a report needs, or has it in the wrong shape."""


def label(da: xr.DataArray, name: str | None = None) -> str:
    """Axis/colour-bar label ``"long_name [units]"``.

    Falls back to the variable name when ``long_name`` is missing, and leaves out the
    brackets when ``units`` is missing; dimensionless ``"1"`` is shown as ``[1]`` as CF
    writes it, except on flag (categorical) variables.
    """
    long_name = str(da.attrs.get("long_name") or name or da.name or "value")
    units = da.attrs.get("units")
    if is_flag(da) and units in ("1", 1):
        return long_name  # a category has no unit worth showing
    return f"{long_name} [{units}]" if units not in (None, "") else long_name


def units_of(da: xr.DataArray) -> str:
    """The ``units`` attribute, or ``""``."""
    return str(da.attrs.get("units") or "")


def flag_meanings(da: xr.DataArray) -> dict[int, str] | None:
    """CF flags as ``{value: meaning}``, or ``None`` for a non-categorical variable.

    ``flag_meanings`` is a blank-separated string (CF 1.11, section 3.5); the number of
    meanings must equal the number of ``flag_values``.
    """
    if "flag_values" not in da.attrs or "flag_meanings" not in da.attrs:
        return None
    values = np.atleast_1d(np.asarray(da.attrs["flag_values"])).tolist()
    meanings = da.attrs["flag_meanings"]
    if isinstance(meanings, str):
        meanings = meanings.split()
    meanings = [str(m) for m in meanings]
    if len(values) != len(meanings):
        raise ReportDataError(
            f"variable {da.name!r}: {len(values)} flag_values but {len(meanings)} "
            f"flag_meanings ({' '.join(meanings)!r}); CF needs one meaning per value"
        )
    return {int(v): m for v, m in zip(values, meanings, strict=True)}


def is_flag(da: xr.DataArray) -> bool:
    """True for a CF categorical (flag) variable."""
    return "flag_values" in da.attrs and "flag_meanings" in da.attrs


def require(ds: xr.Dataset, names: Iterable[str], purpose: str) -> None:
    """Raise :class:`ReportDataError` naming every missing variable and the purpose."""
    missing = [n for n in names if n not in ds.variables]
    if missing:
        raise ReportDataError(
            f"{purpose} needs the variable(s) {missing} in the plan Dataset; found "
            f"{sorted(map(str, ds.data_vars))}"
        )


def cell_ids(ds: xr.Dataset) -> list[str]:
    """H3 cell ids as hexadecimal strings, whether the coordinate holds str or uint64."""
    if CELL_DIM not in ds.dims:
        raise ReportDataError(
            f"the plan Dataset has no {CELL_DIM!r} dimension (dims: {dict(ds.sizes)})"
        )
    values = np.asarray(ds[CELL_DIM].values)
    if values.dtype.kind in "ui":
        return [format(int(v), "x") for v in values]
    return list(map(str, values.tolist()))  # str of each, at C speed


def per_cell_variables(ds: xr.Dataset, *, with_system: bool = True) -> list[str]:
    """Names of data variables over ``cell`` (and optionally ``(system, cell)``), no time."""
    out = []
    for name, da in ds.data_vars.items():
        dims = set(da.dims)
        if CELL_DIM not in dims or TIME_DIM in dims:
            continue
        if dims == {CELL_DIM} or (with_system and dims == {CELL_DIM, SYSTEM_DIM}):
            out.append(str(name))
    return out


def systems(ds: xr.Dataset) -> list[str]:
    """System names in the Dataset's order (empty without a ``system`` dimension)."""
    if SYSTEM_DIM not in ds.coords:
        return []
    return [str(s) for s in ds[SYSTEM_DIM].values]


def default_system(ds: xr.Dataset) -> str:
    """``"combined"`` when present, else the first system."""
    names = systems(ds)
    if not names:
        raise ReportDataError("the plan Dataset has no 'system' coordinate")
    return COMBINED_SYSTEM if COMBINED_SYSTEM in names else names[0]


def cell_values(
    ds: xr.Dataset, variable: str | xr.DataArray, system: str | None = None
) -> xr.DataArray:
    """The variable reduced to the ``cell`` dimension (selecting ``system`` if needed).

    Parameters
    ----------
    ds : xarray.Dataset
        The plan Dataset.
    variable : str or xarray.DataArray
        A variable name in ``ds`` or an array over ``cell`` (optionally ``system``).
    system : str, optional
        The system to show for ``(system, cell)`` variables; default ``"combined"``
        when present, else the first system. Ignored for per-cell variables.
    """
    if isinstance(variable, str):
        if variable not in ds.data_vars:
            raise ReportDataError(
                f"variable {variable!r} is not in the plan Dataset; per-cell variables: "
                f"{per_cell_variables(ds)}"
            )
        da = ds[variable]
    else:
        da = variable
    if SYSTEM_DIM in da.dims:
        names = [str(s) for s in da[SYSTEM_DIM].values]
        chosen = system if system is not None else default_system(ds)
        if chosen not in names:
            raise ReportDataError(
                f"system {chosen!r} is not in {da.name!r}; expected one of {names}"
            )
        da = da.sel({SYSTEM_DIM: chosen})
    if da.dims != (CELL_DIM,):
        raise ReportDataError(
            f"variable {da.name!r} has dims {da.dims}; a map needs ('cell',) or ('system', 'cell')"
        )
    return da


def as_text(values) -> np.ndarray:
    """An array of Python ``str`` (bytes decoded as UTF-8, None/NaN as ``""``)."""
    flat = np.asarray(values, dtype=object).ravel()
    if set(map(type, flat)) <= {str}:  # text already (the usual case): a copy
        return flat.copy()
    out = []
    for v in flat:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
        elif isinstance(v, bytes):
            out.append(v.decode("utf-8", "replace"))
        else:
            out.append(str(v))
    return np.asarray(out, dtype=object)


def categories(da: xr.DataArray) -> np.ndarray:
    """Meaning per cell of a flag variable (``""`` where the code is not a flag value)."""
    table = flag_meanings(da)
    if table is None:
        raise ReportDataError(f"variable {da.name!r} has no flag_values/flag_meanings")
    codes = np.asarray(da.values)
    out = np.full(codes.shape, "", dtype=object)
    for value, meaning in table.items():
        out[codes == value] = meaning
    return out
