"""The spike profile's shape: a school arriving at once.

`--spike-from` users for the first quarter of `--run-time`, `--users` (the peak) from the first
quarter to the third, arriving at `--spawn-rate` per second, then back to `--spike-from` for
the last quarter, to see whether the portal recovers. Loaded only for the spike profile (a
shape in the main locustfile would take over every profile).
"""

from __future__ import annotations

from locust import LoadTestShape


class SpikeShape(LoadTestShape):
    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        if options is None:
            return None
        total = options.run_time or 120
        elapsed: float = self.get_run_time()  # type: ignore[no-untyped-call]
        if elapsed >= total:
            return None
        base, peak, rate = options.spike_from, options.num_users or 100, options.spawn_rate
        in_spike = total * 0.25 <= elapsed < total * 0.75
        return (peak if in_spike else min(base, peak)), max(rate, 1.0)
