"""The warm-up command of ``make test``: a failure is printed and costs speed only, never the test run."""

from __future__ import annotations

from cluster_core import warmup


def test_a_failed_warm_up_is_printed_and_exits_zero(monkeypatch, capsys):
    def fail(background: bool = True) -> dict[str, object]:
        return {"started": True, "seconds": 1.25, "error": "OSError: disk full"}

    monkeypatch.setattr(warmup, "warm_up", fail)
    assert warmup.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("warm-up: 1.2 s; failed") and "OSError: disk full" in out


def test_a_successful_warm_up_prints_its_time(monkeypatch, capsys):
    monkeypatch.setattr(warmup, "warm_up", lambda background=True: {"started": True, "seconds": 3.0, "error": None})
    assert warmup.main() == 0
    assert capsys.readouterr().out == "warm-up: 3.0 s\n"
