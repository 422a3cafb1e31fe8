"""The benchmark's baseline engine: a checkout of an older commit, or a clear reason when there is none."""

from __future__ import annotations

import subprocess

import pytest

from benchmarks import _filing_day


def test_the_filing_day_checkout_is_that_commits_engine_and_is_removed_after():
    known = subprocess.run(["git", "-C", str(_filing_day.ROOT), "cat-file", "-e", f"{_filing_day.FILING_DAY}^{{commit}}"],
                           capture_output=True)
    if known.returncode != 0:
        pytest.skip(f"this clone does not have {_filing_day.FILING_DAY} (shallow?)")
    with _filing_day.checkout() as (folder, why):
        assert why == "" and folder is not None
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short=7", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        assert head == _filing_day.FILING_DAY
        assert (folder / "cluster_core" / "walkforward.py").exists()
    assert not folder.exists()
    listed = subprocess.run(["git", "-C", str(_filing_day.ROOT), "worktree", "list"], capture_output=True, text=True)
    assert str(folder) not in listed.stdout


def test_a_commit_git_does_not_have_gives_a_reason_instead_of_a_folder():
    with _filing_day.checkout("0" * 40) as (folder, why):
        assert folder is None
        assert why.startswith(f"no checkout of {'0' * 40}:") and len(why) > len("no checkout of : ") + 40
