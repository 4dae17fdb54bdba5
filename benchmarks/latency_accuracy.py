"""How close the latency sampler's percentiles come to a loopback server's known delays.

The tests assert only what holds on any machine (every sample includes its delay); this
prints how far above the true nearest-rank P50/P95/P99 the measurement lands.
Usage: python benchmarks/latency_accuracy.py [REPEATS]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_readiness.probes import latency
from tests.loopback import cycling_delays, serving

DELAYS = [0.03 * n for n in range(1, 21)]
TRUE = {"p50": 0.30, "p95": 0.57, "p99": 0.60}


def main(repeats: int) -> None:
    for run in range(1, repeats + 1):
        with serving(cycling_delays(DELAYS)) as url:
            measured = latency.measure(
                url, {"/api": ["/api"]}, samples=20, concurrency=5, timeout=10
            )
        stats = latency.Stats.of("/api", measured["/api"])
        got = {"p50": stats.p50, "p95": stats.p95, "p99": stats.p99}
        parts = (
            f"{name} {got[name]:.3f} s (true {TRUE[name]:.2f}, +{got[name] / TRUE[name] - 1:.1%})"
            for name in TRUE
        )
        print(f"run {run}: " + ", ".join(parts))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
