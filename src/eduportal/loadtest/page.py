"""The report's `index.html`: the verdict, the thresholds, every operation's figures, the
server's, the charts and links to Locust's own report and CSV files.

Plain HTML with a little CSS, no script, readable offline and printable. Everything that came
from a run (names, hosts, notes) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from eduportal.loadtest.thresholds import format_value

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 1040px;
       padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.sub { color: #555; margin-top: 0; }
.verdict { display: inline-block; padding: .3rem .8rem; border-radius: .3rem;
           font-weight: 600; color: #fff; }
.pass { background: #2e7d32; } .fail { background: #c62828; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: 14px; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e4e4e4; }
th { background: #f5f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.outcome-pass { color: #2e7d32; font-weight: 600; }
td.outcome-FAIL { color: #c62828; font-weight: 600; }
td.outcome-not { color: #8a6d00; }
img { max-width: 100%; border: 1px solid #e4e4e4; margin: .4rem 0 1rem; }
.note { color: #555; font-size: 13px; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { color: #555; } dd { margin: 0; }
"""


def render(summary: Mapping[str, Any], charts: Mapping[str, str], files: Sequence[str]) -> str:
    run, profile = summary["run"], summary["profile"]
    verdict = summary["verdict"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Load test {_e(profile['name'])}: {_e(verdict)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Load test: {_e(profile['name'])} profile</h1>",
        f'<p class="sub">{_e(run["host"])} · started {_e(run["started_at_utc"])} UTC · '
        f"{_e(run['duration'])}"
        + (" · <strong>interrupted</strong>" if run.get("interrupted") else "")
        + "</p>",
        f'<p><span class="verdict {_e(verdict)}">{_e(verdict.upper())}</span> '
        f"{_e(_verdict_sentence(summary))}</p>",
        "<h2>Thresholds</h2>",
        _thresholds(summary["thresholds"]),
        f'<p class="note">{_e(summary["not_measured"].capitalize())}.</p>',
        "<h2>Operations</h2>",
        _operations(summary["operations"]),
        _overall(summary["overall"]),
        '<p class="note">Times in milliseconds, with Locust\'s resolution (1 ms under 100 ms, '
        "10 ms to 1 s, 100 ms above). STORAGE entries come from the API's Server-Timing "
        "header: the object store's share of the requests above.</p>",
        "<h2>Server and cache</h2>",
        _server(summary["server"], summary["cdn_cache"], summary["capacity"]),
        *(_scaling(summary["scaling"]) if "scaling" in summary else []),
        "<h2>Charts</h2>",
        *(_chart(title, charts[key]) for key, title in _CHART_TITLES if key in charts),
        "<h2>Run</h2>",
        _run(run, profile, summary["machine"]),
        "<h2>Files</h2>",
        "<ul>" + "".join(f'<li><a href="{_e(f)}">{_e(f)}</a></li>' for f in files) + "</ul>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _verdict_sentence(summary: Mapping[str, Any]) -> str:
    outcomes = [row["pass"] for row in summary["thresholds"]]
    if summary["overall"]["requests"] == 0:
        return "No request was made: there is nothing to judge."
    if False in outcomes:
        return f"{outcomes.count(False)} of {len(outcomes)} thresholds failed."
    unmeasured = outcomes.count(None)
    return "Every measured threshold passed" + (
        f"; {unmeasured} not measured." if unmeasured else "."
    )


_CHART_TITLES = (
    ("latency", "Latency percentiles"),
    ("throughput", "Requests per second"),
    ("errors", "Errors"),
    ("server_cpu", "Server CPU and memory"),
)


def _thresholds(rows: Iterable[Mapping[str, Any]]) -> str:
    body = [
        "<tr>"
        f"<td>{_e(row['name'])}</td><td>{_e(row['description'])}</td>"
        f'<td class="num">{_e(format_value(row["statistic"], row["value"]))}</td>'
        f'<td class="outcome-{_e(row["outcome"].split()[0])}">{_e(row["outcome"])}</td>'
        "</tr>"
        for row in rows
    ]
    head = '<tr><th>threshold</th><th>check</th><th class="num">measured</th><th>outcome</th></tr>'
    return _table(head, body, "No threshold was set.")


def _operations(rows: Iterable[Mapping[str, Any]]) -> str:
    numbers = ("count", "failures", "error_rate", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "rps")
    head = (
        "<tr><th>type</th><th>operation</th>"
        + "".join(
            f'<th class="num">{_e(n.replace("_ms", "").replace("_", " "))}</th>' for n in numbers
        )
        + "</tr>"
    )
    body = [
        f"<tr><td>{_e(row['type'])}</td><td>{_e(row['name'])}</td>"
        + "".join(f'<td class="num">{_e(_number(n, row[n]))}</td>' for n in numbers)
        + "</tr>"
        for row in rows
    ]
    return _table(head, body, "No request was made.")


def _overall(overall: Mapping[str, Any]) -> str:
    return (
        f"<p><strong>All HTTP requests:</strong> {overall['requests']:,} requests, "
        f"{overall['failures']:,} failed ({_e(_number('error_rate', overall['error_rate']))}), "
        f"{_e(_number('rps', overall['rps']))} per second.</p>"
    )


def _server(server: Mapping[str, Any], cdn: Mapping[str, Any], capacity: Mapping[str, Any]) -> str:
    items = [
        ("server CPU during the run", _unit(server.get("cpu_seconds"), "s")),
        ("cores busy on average", _unit(server.get("cores_busy"), "")),
        ("peak resident memory", _unit(server.get("peak_rss_mib"), "MiB")),
        ("server's image cache (memory)", _image_cache(server.get("image_cache") or {})),
        (
            "CDN hit ratio (X-Cache)",
            f"{cdn['hit_ratio']:.1%} ({cdn['hits']} hits, {cdn['misses']} misses)"
            if cdn.get("hit_ratio") is not None
            else str(cdn.get("note", "not available")),
        ),
        ("creates per second", _unit(capacity.get("creates_per_second"), "")),
        ("creates per CPU-second of the server", _unit(capacity.get("creates_per_cpu_second"), "")),
    ]
    if server.get("note"):
        items.append(("server metrics", str(server["note"])))
    return _definitions(items)


def _image_cache(cache: Mapping[str, Any]) -> str:
    hits, misses, ratio = cache.get("hits"), cache.get("misses"), cache.get("hit_ratio")
    if hits is None or misses is None:
        return "not available"
    text = f"{hits:.0f} hits, {misses:.0f} misses"
    return text + (f", hit ratio {ratio:.1%}" if ratio is not None else "")


def _run(run: Mapping[str, Any], profile: Mapping[str, Any], machine: Mapping[str, Any]) -> str:
    think = profile["think_time_seconds"]
    items = [
        ("host", str(run["host"])),
        ("portal", str(run["portal"])),
        (
            "users",
            str(profile["users"])
            + (f" (from {profile['spike_from']})" if profile.get("spike_from") is not None else ""),
        ),
        ("spawn rate", f"{profile['spawn_rate']:g} users/s"),
        ("run time", str(profile["run_time"])),
        ("user classes", ", ".join(profile["user_classes"])),
        ("think time", f"{think[0]:g}-{think[1]:g} s"),
        ("machine", f"{machine['cores']} cores, Python {machine['python']}, {machine['platform']}"),
    ]
    return _definitions(items)


def _definitions(items: Iterable[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def _scaling(scaling: Mapping[str, Any]) -> list[str]:
    """The success rates within each stretch the group spent changing size, its checks, and
    the watch's chart."""
    head = (
        "<tr><th>window</th><th>size</th><th>operation</th><th>requests</th>"
        "<th>succeeded</th><th>outcome</th></tr>"
    )
    body = [
        f"<tr><td>{_e(w['kind'])}{'' if w['completed'] else ' (unfinished)'}</td>"
        f"<td>{_e(w['from_desired'])} → {_e(w['to_desired'])}</td><td>{_e(w['operation'])}</td>"
        f"<td>{_e(w['requests'])}</td>"
        f"<td>{_e(_percent(w['success_rate']))}</td>"
        f'<td class="{_e(w["outcome"].replace(" ", "-"))}">{_e(w["outcome"])}</td></tr>'
        for w in scaling["windows"]
    ]
    return [
        f"<h2>Scaling: {_e(scaling['group'])}</h2>",
        _table(head, body, "The group did not change size while the load ran."),
        '<p class="note">Uploads are creates with an illustration, downloads images; each '
        "must succeed above 95 % within every window (requirement 10.5).</p>",
        "<ul>" + "".join(f"<li>{_e(check)}</li>" for check in scaling["checks"]) + "</ul>",
        _chart("The group during the run", "scaling/timeline.png"),
    ]


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _chart(title: str, file: str) -> str:
    return f'<h3>{_e(title)}</h3><img src="{_e(file)}" alt="{_e(title)} chart">'


def _table(head: str, body: Sequence[str], empty: str) -> str:
    if not body:
        return f"<p>{_e(empty)}</p>"
    return f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


def _number(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "error_rate":
        return f"{value * 100:.2f} %"
    if name in ("p50_ms", "p95_ms", "p99_ms") and value == 0:
        return "<1"  # Locust rounds to whole milliseconds below 100 ms
    if isinstance(value, float):
        return f"{value:,.2f}" if name in ("rps", "mean_ms") else f"{value:,.0f}"
    return f"{value:,}"


def _unit(value: Any, unit: str) -> str:
    return "not available" if value is None else f"{value:g} {unit}".strip()


def _e(value: object) -> str:
    return escape(str(value), quote=True)
