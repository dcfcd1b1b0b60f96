"""The Pareto plot: measured experiments and the models' predicted trade-off for two objectives,
with the front drawn as a step line and a picked point ringed."""

from __future__ import annotations

import altair as alt
import pandas as pd

from alchemist.objectives.campaign import ON_FRONT

KINDS = ["Measured", "Measured, on the front", "Predicted front", "Picked"]
COLOURS = ["#9aa5b1", "#1f77b4", "#e4572e", "#000000"]


def pareto_plot(
    measured: pd.DataFrame, predicted: pd.DataFrame | None, x: str, y: str, picked: pd.DataFrame | None = None
) -> alt.LayerChart:
    """Scatter of objective `x` against objective `y` (columns of both tables)."""
    parts = [pd.DataFrame({"x": measured[x], "y": measured[y],
                           "Kind": ["Measured, on the front" if f else "Measured" for f in measured[ON_FRONT]]})]
    if predicted is not None and len(predicted):
        front = predicted[predicted[ON_FRONT]]
        parts.append(pd.DataFrame({"x": front[x], "y": front[y], "Kind": "Predicted front"}))
    points = pd.concat(parts, ignore_index=True).dropna()
    colour = alt.Color("Kind:N", title="Points", scale=alt.Scale(domain=KINDS, range=COLOURS))
    base = alt.Chart(points).encode(
        x=alt.X("x:Q", title=x, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=y, scale=alt.Scale(zero=False)),
        color=colour,
        tooltip=[alt.Tooltip("x:Q", title=x, format=".4g"), alt.Tooltip("y:Q", title=y, format=".4g"), "Kind:N"],
    )
    layers = [base.mark_circle(size=70, opacity=0.85)]
    on_front = points[points["Kind"] != "Measured"].sort_values("x")
    if len(on_front):
        layers.append(
            alt.Chart(on_front).mark_line(interpolate="step-after", strokeDash=[4, 3], opacity=0.6)
            .encode(x="x:Q", y="y:Q", color=colour, detail="Kind:N")
        )
    if picked is not None and len(picked):
        ring = pd.DataFrame({"x": picked[x], "y": picked[y], "Kind": "Picked"})
        layers.append(
            alt.Chart(ring).mark_point(size=320, strokeWidth=2.5, filled=False)
            .encode(x="x:Q", y="y:Q", color=colour)
        )
    return alt.layer(*layers).properties(height=420)
