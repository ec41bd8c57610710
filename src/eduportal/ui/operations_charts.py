"""The Operations page's charts: the last hour, minute by minute, drawn with Altair.

Streamlit's own `st.line_chart` cannot fix the time axis to the whole hour, mark the alarm's
threshold or leave a gap for a minute with no traffic, so these are Altair charts shown with
`st.altair_chart` (Streamlit's theme). Times are placed on the reader's wall clock: each is
shifted by the reader's zone offset and drawn on a UTC scale, so 14:05 in the browser's zone
reads 14:05 whatever the server's zone. A minute with nothing to measure is a gap (null),
never a zero; points are drawn as well as lines, so a lone minute shows.

Each builder returns None when the hour holds nothing to draw: the page then says so in a
sentence instead of showing empty axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

import altair as alt

from eduportal.services.operations import Figures, History, StageTimes, Traffic
from eduportal.ui.operations_words import (
    ALARM_SHARE,
    FAILURE_WORDS,
    OPTIMIZED_WORDS,
    PERCENTILE_WORDS,
    QUEUE_WORDS,
    STAGE_TIME_WORDS,
)
from eduportal.ui.pipeline_words import stage_words

HEIGHT: Final = 300
"""A chart's whole height in pixels, axes and legend included (as Streamlit sizes it)."""
BAR_MS: Final = 48_000
"""A minute's bar: four fifths of the minute, so neighbours stay apart."""
LATENCY_COLORS: Final = ["#83c9ff", "#0068c9", "#ff2b2b"]
FAILURE_COLORS: Final = ["#ff8700", "#7d353b"]
QUEUE_COLORS: Final = ["#0068c9", "#29b09d", "#ff2b2b"]
OPTIMIZED_COLORS: Final = ["#29b09d", "#ff8700"]

Row = dict[str, Any]


def wall_ms(timestamp: float, zone: tzinfo) -> float:
    """The moment as the reader's clock shows it, in milliseconds on a UTC scale."""
    moment = datetime.fromtimestamp(timestamp, zone).replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def latency_chart(
    history: History, pick: Callable[[Figures], Traffic], zone: tzinfo
) -> alt.LayerChart | None:
    rows = []
    for minute in history.minutes:
        latency = pick(minute).latency
        values = (latency.p50, latency.p95, latency.p99)
        for words, seconds in zip(PERCENTILE_WORDS.values(), values, strict=True):
            rows.append(_row(minute, zone, words, _ms(seconds)))
    if not _any_value(rows):
        return None
    return _lines(
        rows,
        history,
        zone,
        "milliseconds",
        list(PERCENTILE_WORDS.values()),
        LATENCY_COLORS,
        value_format=",.0f",
    )


def failure_chart(history: History, zone: tzinfo) -> alt.LayerChart | None:
    rows = []
    for minute in history.minutes:
        for name, traffic in (("uploads", minute.uploads), ("downloads", minute.downloads)):
            share = traffic.failure_share
            rows.append(_row(minute, zone, FAILURE_WORDS[name], None if share is None else share))
    if not _any_value(rows):
        return None
    threshold = (
        alt.Chart(alt.InlineData(values=[{"alarm": ALARM_SHARE}]))
        .mark_rule(strokeDash=[4, 4], color="#ff2b2b", opacity=0.6)
        .encode(y="alarm:Q")
    )
    lines = _lines(
        rows,
        history,
        zone,
        "% failed",
        list(FAILURE_WORDS.values()),
        FAILURE_COLORS,
        value_format=".1%",
        percent=True,
    )
    return alt.LayerChart(layer=[lines, threshold])


def cache_chart(history: History, zone: tzinfo) -> alt.LayerChart | None:
    rows = [_row(m, zone, "Shown from memory", m.cache_hit_share) for m in history.minutes]
    if not _any_value(rows):
        return None
    return _lines(
        rows,
        history,
        zone,
        "% from memory",
        ["Shown from memory"],
        ["#29b09d"],
        value_format=".0%",
        percent=True,
        full_scale=True,
    )


def queue_chart(history: History, zone: tzinfo) -> alt.LayerChart | None:
    rows = []
    for minute in history.minutes:
        depth = minute.queue
        for state, words in QUEUE_WORDS.items():
            value = None if depth is None else getattr(depth, state)
            rows.append(_row(minute, zone, words, value))
    if not _any_value(rows):
        return None
    return _lines(
        rows,
        history,
        zone,
        "images",
        list(QUEUE_WORDS.values()),
        QUEUE_COLORS,
        value_format=",.0f",
        counts=True,
    )


def optimized_chart(history: History, zone: tzinfo) -> alt.Chart | None:
    """Per minute, images stored as WebP and, stacked on them, as PNG after a fallback.

    Each bar is a range on both axes (the minute across, its count up), stacked by hand: a
    bar given a time range alone is drawn lying down, as a thin line."""
    rows = []
    for minute in history.minutes:
        low = 0
        webp = max(minute.optimized - minute.fallbacks, 0)
        for name, count in (("webp", webp), ("png", minute.fallbacks)):
            if count:  # a bar of nothing would still draw a line at 0
                row = _row(minute, zone, OPTIMIZED_WORDS[name], count)
                rows.append({**row, "low": low, "high": low + count})
                low += count
    if not rows:
        return None
    top = max(row["high"] for row in rows)
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .transform_calculate(end=f"datum.time + {BAR_MS}")
        .encode(
            x=_time_x(history, zone),
            x2="end:T",
            y=alt.Y(
                "high:Q",
                title="images",
                scale=alt.Scale(domain=[0, top], nice=True),
                axis=alt.Axis(tickMinStep=1, format=",.0f"),
            ),
            y2="low:Q",
            color=_color(list(OPTIMIZED_WORDS.values()), OPTIMIZED_COLORS),
            tooltip=_tooltip(",.0f"),
        )
        .properties(height=HEIGHT)
    )
    return chart


def stages_chart(stages: Sequence[StageTimes]) -> alt.Chart | None:
    """Each stage's durations over the hour, as bars side by side."""
    if not stages:
        return None
    rows = [
        {
            "stage": stage_words(times.stage),
            "series": words,
            "value": _ms(seconds),
            "tries": times.tries,
        }
        for times in stages
        for words, seconds in zip(STAGE_TIME_WORDS.values(), (times.p50, times.p95), strict=True)
    ]
    order = [stage_words(times.stage) for times in stages]
    chart: alt.Chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", title=None, sort=order),
            yOffset=alt.YOffset("series:N", sort=list(STAGE_TIME_WORDS.values())),
            x=alt.X("value:Q", title="milliseconds"),
            color=_color(list(STAGE_TIME_WORDS.values()), ["#83c9ff", "#0068c9"]),
            tooltip=[
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("series:N", title="Figure"),
                alt.Tooltip("value:Q", title="Milliseconds", format=",.0f"),
                alt.Tooltip("tries:Q", title="Tries in the hour"),
            ],
        )
        .properties(height=60 + 44 * len(stages))
    )
    return chart


# --- shared parts ------------------------------------------------------------------------------


def _row(minute: Figures, zone: tzinfo, series: str, value: float | None) -> Row:
    at = datetime.fromtimestamp(minute.start, zone)
    return {
        "time": wall_ms(minute.start, zone),
        "minute": f"{at:%H:%M}",
        "series": series,
        "value": value,
    }


def _wall(timestamp: float, zone: tzinfo) -> alt.DateTime:
    moment = datetime.fromtimestamp(timestamp, zone)
    return alt.DateTime(
        year=moment.year,
        month=moment.month,
        date=moment.day,
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        utc=True,
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _any_value(rows: Sequence[Row]) -> bool:
    return any(row["value"] is not None for row in rows)


def _time_x(history: History, zone: tzinfo) -> alt.X:
    return alt.X(
        "time:T",
        title="time (your clock)",
        # A domain of numbers leaves a layered chart blank in Streamlit's renderer; one of
        # DateTimes holds.
        scale=alt.Scale(type="utc", domain=[_wall(history.start, zone), _wall(history.end, zone)]),
        # The labels spelled out: Streamlit's renderer ignores an axis `format` on a utc
        # scale and falls back to Vega's "07 AM" style.
        axis=alt.Axis(labelExpr="utcFormat(datum.value, '%H:%M')", tickCount=6),
    )


def _color(names: list[str], colors: list[str]) -> alt.Color:
    return alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=names, range=colors),
        legend=alt.Legend(orient="bottom", direction="horizontal", labelLimit=220),
    )


def _tooltip(value_format: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("minute:N", title="Minute"),
        alt.Tooltip("series:N", title="Figure"),
        alt.Tooltip("value:Q", title="Value", format=value_format),
    ]


def _lines(
    rows: list[Row],
    history: History,
    zone: tzinfo,
    title: str,
    names: list[str],
    colors: list[str],
    *,
    value_format: str,
    percent: bool = False,
    full_scale: bool = False,
    counts: bool = False,
) -> alt.LayerChart:
    """Lines with points over the hour. `full_scale`: shares from 0 to 100 %; `counts`: whole
    numbers from 0 to at least 1, so an hour of zeros still has an axis."""
    axis = alt.Axis(format=".0%" if percent else ",.0f", tickMinStep=0.01 if percent else 1)
    scale = alt.Scale(zero=True, nice=True)
    if full_scale:
        scale = alt.Scale(domain=[0, 1])
    elif counts:
        top = max((row["value"] for row in rows if row["value"] is not None), default=0)
        scale = alt.Scale(domain=[0, max(top, 1)], nice=True)
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=_time_x(history, zone),
        y=alt.Y("value:Q", title=title, axis=axis, scale=scale),
        color=_color(names, colors),
        tooltip=_tooltip(value_format),
    )
    return alt.LayerChart(
        layer=[base.mark_line(), base.mark_point(filled=True, size=28)],
        height=HEIGHT,
    )
