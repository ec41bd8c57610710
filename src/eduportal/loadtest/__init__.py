"""`eduportal loadtest`: the portal loaded like the specification's classrooms, reported like
an SRE would want it (issue 9).

Locust itself runs in a child process (`python -m locust`): it patches the standard library
for gevent on import, which must never happen to this process or to the portal. Nothing in
this package imports locust; only `charts` imports matplotlib, and only when a report is
drawn. The users Locust runs live in `load-testing/` at the repository's root and share this
package's `operations` (the names of what they measure).

Parts: `profiles` (what each profile runs), `operations` (entry names), `locust_stats` (reading
Locust's CSV files), `summary` and `thresholds` (the report's figures and verdicts, pure),
`server_metrics` (the server's CPU and memory from its `/metrics`), `charts`, `page` (the
report's index.html), `local_portal` (the embedded portal a run starts when given no host),
`locust_process` (the child process and its progress).
"""


class LoadTestError(Exception):
    """The run cannot go on or be reported: the message is the sentence to show."""
