"""Altair charts of what alchemist/ computes: landscapes, parity and convergence.

The numbers come from the library; this module only decides how they look.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def _cell_edges(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each grid value's cell: halfway to its neighbours, so uneven (discrete) axes tile too."""
    levels = np.unique(values.to_numpy(dtype=float))
    if len(levels) == 1:
        lows, highs = levels - 0.5, levels + 0.5
    else:
        mids = (levels[1:] + levels[:-1]) / 2
        lows = np.concatenate([[levels[0] - (mids[0] - levels[0])], mids])
        highs = np.concatenate([mids, [levels[-1] + (levels[-1] - mids[-1])]])
    index = np.searchsorted(levels, values.to_numpy(dtype=float))
    return pd.Series(lows[index], index=values.index), pd.Series(highs[index], index=values.index)


def landscape(
    grid: pd.DataFrame,
    x: str,
    y: str,
    quantity: str,
    x_label: str,
    y_label: str,
    points: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """A heatmap of one quantity over two variables; `points` (x, y, Kind) are drawn on top."""
    x_lo, x_hi = _cell_edges(grid[x])
    y_lo, y_hi = _cell_edges(grid[y])
    cells = pd.DataFrame({"x": grid[x], "y": grid[y], "x_lo": x_lo, "x_hi": x_hi, "y_lo": y_lo, "y_hi": y_hi,
                          "value": grid[quantity]})
    x_scale = alt.Scale(domain=[float(x_lo.min()), float(x_hi.max())], nice=False, zero=False)
    y_scale = alt.Scale(domain=[float(y_lo.min()), float(y_hi.max())], nice=False, zero=False)
    heat = (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("x_lo:Q", title=x_label, scale=x_scale),
            x2="x_hi:Q",
            y=alt.Y("y_lo:Q", title=y_label, scale=y_scale),
            y2="y_hi:Q",
            color=alt.Color("value:Q", title=quantity, scale=alt.Scale(scheme="viridis")),
            tooltip=[
                alt.Tooltip("x:Q", title=x_label, format=".4g"),
                alt.Tooltip("y:Q", title=y_label, format=".4g"),
                alt.Tooltip("value:Q", title=quantity, format=".4g"),
            ],
        )
    )
    layers = [heat]
    if "Feasible" in grid and not grid["Feasible"].all():
        # The region the constraints exclude, hatched grey over the map (issue 11).
        blocked = cells[~grid["Feasible"].to_numpy()]
        layers.append(
            alt.Chart(blocked).mark_rect(color="#d0d0d0", opacity=0.85)
            .encode(x=alt.X("x_lo:Q", scale=x_scale), x2="x_hi:Q", y=alt.Y("y_lo:Q", scale=y_scale), y2="y_hi:Q",
                    tooltip=[alt.Tooltip("x:Q", title=x_label, format=".4g"), alt.Tooltip("y:Q", title=y_label, format=".4g")])
        )
    if points is not None and len(points):
        marks = pd.DataFrame({"x": points[x].astype(float), "y": points[y].astype(float), "Kind": points["Kind"]})
        layers.append(
            alt.Chart(marks)
            .mark_point(filled=True, size=80, stroke="black", strokeWidth=0.8)
            .encode(
                x=alt.X("x:Q", scale=x_scale),
                y=alt.Y("y:Q", scale=y_scale),
                shape=alt.Shape("Kind:N", title="Points", scale=alt.Scale(domain=["Measured", "Suggested"], range=["circle", "diamond"])),
                fill=alt.Fill("Kind:N", title="Points", scale=alt.Scale(domain=["Measured", "Suggested"], range=["white", "#e4572e"])),
            )
        )
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=440)


def parity(table: pd.DataFrame, target_label: str) -> alt.LayerChart:
    """Observed against cross-validated prediction, with 95 % intervals and the line y = x."""
    low = float(min(table["Observed"].min(), table["Lower 95%"].min()))
    high = float(max(table["Observed"].max(), table["Upper 95%"].max()))
    data = table.rename(columns={"Lower 95%": "Lower", "Upper 95%": "Upper"})
    scale = alt.Scale(domain=[low, high], nice=True, zero=False)
    base = alt.Chart(data)
    bars = base.mark_rule(color="#9aa5b1").encode(
        x=alt.X("Observed:Q", title=f"Observed {target_label}", scale=scale),
        y=alt.Y("Lower:Q", title=f"Predicted {target_label} (left out of the fit)", scale=scale),
        y2="Upper:Q",
    )
    dots = base.mark_circle(size=60, color="#1f77b4").encode(
        x=alt.X("Observed:Q", scale=scale),
        y=alt.Y("Predicted:Q", scale=scale),
        tooltip=[alt.Tooltip(c, format=".4g") for c in ("Observed", "Predicted", "Lower", "Upper")],
    )
    line = alt.Chart(pd.DataFrame({"a": [low, high]})).mark_line(color="#e4572e", strokeDash=[4, 4]).encode(
        x=alt.X("a:Q", scale=scale), y=alt.Y("a:Q", scale=scale)
    )
    return alt.layer(bars, dots, line).properties(width=440, height=440)


def convergence(table: pd.DataFrame, target_label: str) -> alt.Chart:
    """Each result and the best so far, against experiment number."""
    base = alt.Chart(table).encode(x=alt.X("Experiment:Q", title="Experiment number", axis=alt.Axis(tickMinStep=1)))
    results = base.mark_circle(size=45, color="#9aa5b1").encode(
        y=alt.Y("Result:Q", title=target_label), tooltip=["Experiment", alt.Tooltip("Result:Q", format=".4g")]
    )
    best = base.mark_line(color="#e4572e", interpolate="step-after", strokeWidth=2.5).encode(y="Best so far:Q")
    return alt.layer(results, best).properties(height=320)


def sensitivity_bars(frame: pd.DataFrame, labels: dict[str, str]) -> alt.LayerChart:
    """Total Sobol index per variable as bars with low-high whiskers, the first-order index as a dot."""
    data = frame.assign(label=frame["name"].map(labels).fillna(frame["name"]))
    order = list(data.sort_values("total", ascending=False)["label"])
    # Every variable keeps its label: Vega-Lite would otherwise drop labels it thinks overlap.
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelOverlap=False, labelLimit=220))
    base = alt.Chart(data)
    bars = base.mark_bar(color="#1f77b4", opacity=0.8).encode(
        x=alt.X("total:Q", title="Share of the variation of the prediction", scale=alt.Scale(domain=[0, 1])),
        y=y,
        tooltip=[alt.Tooltip("label:N", title="Variable")]
        + [alt.Tooltip(c, format=".2f") for c in ("total", "first_order", "low", "high")],
    )
    whiskers = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q", y=y)
    dots = base.mark_point(color="#e4572e", filled=True, size=60).encode(x="first_order:Q", y=y)
    return alt.layer(bars, whiskers, dots).properties(height=max(150, 44 * len(data)))


def stopping_history(table: pd.DataFrame) -> alt.Chart:
    """The chance of a worthwhile improvement and the expected improvement left, round by round."""
    long = table.melt(id_vars=["Experiments"], value_vars=["Chance of beating the best by the margin",
                                                           "Expected improvement left (share of margin)"])
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("Experiments:Q", title="Experiments so far", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("variable:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["Experiments", "variable", alt.Tooltip("value:Q", format=".3g")],
        )
        .properties(height=240)
    )
