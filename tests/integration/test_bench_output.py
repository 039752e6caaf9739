"""`make bench` prints its table and nothing else: the EMF and log lines that the code it measures
writes on stdout are kept out of it."""


def test_the_table_is_all_that_make_bench_prints(monkeypatch, capsys):
    from bench import __main__ as bench
    from contentflow.observability import emit

    def measured() -> list[tuple[str, str, str, bool]]:
        emit("JobRuns", kind="heartbeat", status="done")  # as a worker under measure prints it
        return [("a figure", "1 vs 2", "≤ 1", True)]

    monkeypatch.setattr(bench, "BENCHMARKS", (measured, measured))
    assert bench.main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["figure", "a", "a"]


def test_the_stats_writes_figure_prints_no_emf_line(aws, capsys):
    from bench.click_path import stats_writes_per_10k_clicks

    assert 0 < stats_writes_per_10k_clicks(clicks=300) <= 30
    assert '"_aws"' not in capsys.readouterr().out  # one RevenueEstimatedEur line per chunk otherwise
