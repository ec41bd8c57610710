# The Operations page, for teachers acting as operators: how the whole portal did over the
# last hour (the API, the pages and every worker together), minute by minute, and how it
# stands now: image save and load times, failures, the memory cache, optimization fallbacks,
# the processing queue, each pipeline stage, and the storage used against the quota. The
# figures are the processes' recorded metrics (services/operations.py); the words are in
# ui/operations_words.py, the charts in ui/operations_charts.py. Each part that cannot be read
# says so in its place, and the rest of the page stands.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show them.)

from __future__ import annotations

import altair as alt
import streamlit as st

from eduportal.domain.accounts import Role
from eduportal.domain.errors import EduportalError
from eduportal.ports import QueueDepth
from eduportal.services.operations import Figures, History, Overview
from eduportal.services.storage_gauge import StorageStatus
from eduportal.ui import operations_charts as charts
from eduportal.ui.operations_words import (
    NOTHING,
    PERCENTILE_NOTE,
    again_words,
    cache_words,
    latency_words,
    optimized_words,
    percent_words,
    processes_words,
    quota_warning,
    stage_tries_words,
    storage_headline,
    storage_share_words,
    traffic_words,
)
from eduportal.ui.pipeline_words import stage_words
from eduportal.ui.session import container, page
from eduportal.ui.wording import clock_time, plural, reader_zone, size_words


def figure(label: str, value: str, context: str, technical: str) -> None:
    """A headline figure with what it was made of below it, and its technical name on hover."""
    st.metric(
        label,
        value,
        delta=context,
        delta_color="off",
        delta_arrow="off",
        help=technical,
        border=True,
        width=165,
    )


def reference(error: EduportalError) -> str:
    return f"Reference: `{error.correlation_id}`"


def headline(overview: Overview) -> None:
    st.subheader("The last 5 minutes", anchor=False)
    recent = overview.history.recent if overview.history is not None else None
    with st.container(horizontal=True, gap="small"):
        if recent is not None:
            recent_figures(recent)
        queue = overview.queue
        figure(
            "In the queue",
            NOTHING if queue is None else f"{queue.waiting:,}",
            "now" if queue is None else f"{queue.in_flight:,} in progress",
            "Images waiting in the processing queue now, and being processed (the queue's "
            "depth: waiting, in_flight).",
        )
        figure(
            "Dead letters",
            NOTHING if queue is None else f"{queue.dead:,}",
            dead_words(queue),
            "Images that failed after their retries and wait in the dead-letter queue (dead): "
            "redrive them on the Image pipeline page once the cause is fixed.",
        )
        figure(
            "Storage used",
            storage_headline(overview.storage),
            storage_share_words(overview.storage),
            "Bytes in the image store, against EDUPORTAL_STORAGE_QUOTA_BYTES.",
        )
    if overview.queue_error is not None:
        st.warning(
            "The processing queue could not be read just now; try Refresh in a moment. "
            + reference(overview.queue_error)
        )


def dead_words(queue: QueueDepth | None) -> str:
    if queue is None:
        return "now"
    return "none to redrive" if not queue.dead else "to redrive"


def recent_figures(recent: Figures) -> None:
    figure(
        "Saving an image",
        latency_words(recent.uploads.latency.p95),
        "95 % were faster" if recent.uploads.attempts else "no saves",
        "p95 of image_upload_seconds: the time to store an image, retries included.",
    )
    figure(
        "Loading an image",
        latency_words(recent.downloads.latency.p95),
        "95 % were faster" if recent.downloads.attempts else "none from storage",
        "p95 of image_download_seconds: images read from storage (not from memory).",
    )
    figure(
        "Failed saves",
        percent_words(recent.uploads.failure_share),
        traffic_words(recent.uploads, "save", "saves"),
        "image_upload_failures_total / image_upload_seconds count. The alarm fires past 5 %.",
    )
    figure(
        "Failed loads",
        percent_words(recent.downloads.failure_share),
        traffic_words(recent.downloads, "load", "loads"),
        "image_download_failures_total / image_download_seconds count.",
    )
    figure(
        "From memory",
        percent_words(recent.cache_hit_share),
        cache_words(recent.cache_hits, recent.cache_misses),
        "The cache hit ratio: image_cache_hits_total / (hits + image_cache_misses_total).",
    )


def chart(
    title: str,
    drawn: alt.LayerChart | alt.Chart | None,
    *,
    empty: str,
    technical: str,
    alt_text: str,
    note: str | None = None,
) -> None:
    """A chart with its title and small print, or the sentence that says what will appear."""
    with st.container(border=True):
        st.markdown(f"**{title}**")
        if drawn is None:
            st.caption(empty)
        else:
            st.altair_chart(drawn, width="stretch", alt=alt_text)
            if note:
                st.caption(note)
        st.caption(f"Technical: {technical}")


def last_hour(overview: Overview, history: History) -> None:
    every = f"{overview.snapshot_seconds:g} s"
    zone = reader_zone()
    st.subheader("The last hour, minute by minute", anchor=False)
    left, right = st.columns(2)
    with left:
        chart(
            "How long saving an image takes",
            charts.latency_chart(history, lambda m: m.uploads, zone),
            empty=f"No image was saved in the last hour. Each illustration or thumbnail saved "
            f"appears here within {every}.",
            technical="image_upload_seconds, p50, p95 and p99 of each minute (retries included)",
            alt_text="Save times over the last hour: half, 95 % and 99 % of saves took at most",
            note=PERCENTILE_NOTE.format(many="saves"),
        )
    with right:
        chart(
            "How long loading an image from storage takes",
            charts.latency_chart(history, lambda m: m.downloads, zone),
            empty="No image was loaded from storage in the last hour: every image shown came "
            "from memory, or none was shown.",
            technical="image_download_seconds, p50, p95 and p99 of each minute (cache misses)",
            alt_text="Load times over the last hour",
            note=PERCENTILE_NOTE.format(many="loads"),
        )
    left, right = st.columns(2)
    with left:
        chart(
            "Saves and loads that failed",
            charts.failure_chart(history, zone),
            empty="No image was saved or loaded in the last hour, so none could fail.",
            technical="image_upload_failures_total / uploads, image_download_failures_total / "
            "downloads, per minute; the dashed line is the alarm's 5 %",
            alt_text="Share of failed saves and loads per minute",
            note="A gap is a minute with no save or load: nothing to count, not zero.",
        )
    with right:
        chart(
            "Images shown from memory",
            charts.cache_chart(history, zone),
            empty="No image was shown in the last hour.",
            technical="image_cache_hits_total / (hits + image_cache_misses_total), per minute",
            alt_text="Share of images shown from memory per minute",
        )
    left, right = st.columns(2)
    with left:
        chart(
            "The processing queue",
            charts.queue_chart(history, zone),
            empty=f"The queue's depth is recorded by the API every {every}; it appears here "
            "once the API has recorded it.",
            technical="the queue's depth (waiting, in_flight, dead) as the API read it",
            alt_text="Images waiting, being processed and in the dead letters over the last hour",
        )
    with right:
        chart(
            "How long each pipeline stage takes",
            charts.stages_chart(history.stages),
            empty="No image went through the processing pipeline in the last hour.",
            technical="pipeline_stage_seconds by stage over the hour, every try, p50 and p95",
            alt_text="Pipeline stage durations over the last hour",
            note=stage_tries_words({stage_words(t.stage): t.tries for t in history.stages}),
        )
    hour = history.hour
    chart(
        "Images optimized: WebP, or PNG when WebP failed",
        charts.optimized_chart(history, zone),
        empty="No image was optimized in the last hour.",
        technical="image_optimize_seconds count and image_optimize_fallbacks_total, per minute",
        alt_text="Images optimized per minute, WebP and PNG fallbacks",
        note=optimized_words(hour.optimized, hour.fallbacks),
    )


def storage(status: StorageStatus) -> None:
    st.subheader("Storage", anchor=False)
    reading = status.reading
    if reading is not None:
        if status.quota_bytes and status.share is not None:
            st.progress(
                min(status.share, 1.0),
                text=f"{size_words(reading.bytes)} of {size_words(status.quota_bytes)} used "
                f"({percent_words(status.share)})",
            )
        else:
            st.markdown(
                f"{size_words(reading.bytes)} used. No quota is set: set "
                "`EDUPORTAL_STORAGE_QUOTA_BYTES` to see the share used and be warned past 80 %."
            )
        st.caption(
            f"As of {clock_time(reading.measured_at)} · {plural(reading.objects, 'object')} · "
            + again_words(reading)
            + (" (being measured now)" if status.measuring else "")
        )
        if warning := quota_warning(status):
            st.warning(warning)
    elif status.measuring:
        st.info("Measuring the storage used: it appears here when done. Press Refresh.")
    if status.error is not None:
        before = " The figure above is from the last measurement." if reading else ""
        st.warning(
            f"The storage could not be measured just now; it is tried again in a minute.{before} "
            + reference(status.error)
        )


def history_part(overview: Overview) -> None:
    if not overview.history_kept:
        st.info(
            "The last hour's charts are not available here: this deployment sends its metrics "
            "to CloudWatch. See the CloudWatch dashboard (namespace `Eduportal`). The queue and "
            "the storage above are read live."
        )
        return
    if overview.history_error is not None:
        st.error(
            "The last hour's figures could not be read just now; try Refresh in a moment. "
            + reference(overview.history_error),
            icon="⚠️",
        )
        return
    history = overview.history
    assert history is not None
    if history.quiet:
        st.info(
            "Nothing recorded in the last hour yet. Every part of the portal records its "
            f"figures every {overview.snapshot_seconds:g} s; the charts fill in as the portal "
            "is used."
        )
        return
    last_hour(overview, history)


with page("Operations", Role.TEACHER) as teacher:
    operations = container().operations
    operations.authorize(teacher)
    overview = operations.overview()
    with st.container(horizontal=True, vertical_alignment="center"):
        who = (
            f" ({processes_words(overview.history.processes)})"
            if overview.history is not None and overview.history.processes
            else ""
        )
        st.caption(
            f"How the whole portal is doing{who}: figures as of {clock_time(overview.at)}, "
            "on your clock."
        )
        st.button("Refresh", key="refresh", icon=":material/refresh:")
    headline(overview)
    history_part(overview)
    storage(overview.storage)
