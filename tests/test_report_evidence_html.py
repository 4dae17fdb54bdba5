"""Evidence rendered by kind: commands, HTTP exchanges, SQL rows, and anything else."""

from __future__ import annotations

from pytest_readiness.model import Evidence
from pytest_readiness.report.evidence_html import render_evidence


def test_a_command_shows_its_exit_code_duration_and_the_tail_of_its_output() -> None:
    output = "\n".join(f"line {n}" for n in range(100))
    html = render_evidence(
        [
            Evidence(
                "command",
                "npm run build exited 2",
                output,
                {"command": "npm run build", "returncode": 2, "duration_s": 12.25},
            )
        ]
    )
    assert "<code>npm run build</code>" in html
    assert '<span class="exit exit-bad">exit code 2</span>, 12.2 s' in html
    shown = html[html.index("<pre") : html.index("</pre>")]
    assert "line 99" in shown and "line 60" in shown
    assert "line 59\n" not in shown, "only the last 40 lines are shown"


def test_http_exchanges_are_rows_of_method_url_status_and_latency() -> None:
    html = render_evidence(
        [
            Evidence(
                "http",
                "GET /health: 200",
                data={
                    "method": "GET",
                    "url": "https://x/health",
                    "status": 200,
                    "elapsed_ms": 41.6,
                },
            ),
            Evidence(
                "http",
                "GET /api: failed",
                data={"method": "GET", "url": "https://x/api", "status": None, "error": "refused"},
            ),
        ]
    )
    assert html.count("<table") == 1, "consecutive exchanges share one table"
    assert '<td>GET</td><td>https://x/health</td><td class="exit-ok">200</td><td>42 ms</td>' in html
    assert '<td>https://x/api</td><td class="exit-bad">refused</td><td>-</td>' in html


def test_sql_shows_the_query_and_at_most_five_rows_as_a_table() -> None:
    rows = [[f"t{n}", n] for n in range(7)]
    html = render_evidence(
        [
            Evidence(
                "sql",
                "7 tables without RLS",
                data={
                    "query": "SELECT relname, n FROM t",
                    "columns": ["relname", "n"],
                    "rows": rows,
                },
            )
        ]
    )
    assert '<pre class="evidence-detail">SELECT relname, n FROM t</pre>' in html
    assert '<th scope="col">relname</th><th scope="col">n</th>' in html
    assert "<tr><td>t4</td><td>4</td></tr>" in html
    assert "t5" not in html


def test_evidence_from_a_target_is_escaped() -> None:
    html = render_evidence([Evidence("note", "<b>bold</b>", "<script>alert(1)</script>")])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<b>" not in html


def test_a_latency_histogram_is_redrawn_from_its_numbers_never_from_a_stored_svg() -> None:
    entry = Evidence(
        "histogram",
        "latency histogram of 6 samples",
        data={
            "counts": [1, 3, 2],
            "edges": [0.1, 0.2, 0.3, 0.4],
            "svg": "<svg onload=\"alert('stored')\"></svg>",
        },
    )
    html = render_evidence([entry])
    assert "alert('stored')" not in html
    assert html.count("<rect ") == 3
    assert 'aria-label="latency 100 ms to 400 ms"' in html
