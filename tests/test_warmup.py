"""`flipgraph warmup`: every kernel step runs, with its time, in this process or in several."""
import re

from click.testing import CliRunner

from flipgraph.cli import main
from flipgraph.warmup import NARROW, steps, warm_up


def test_warmup_runs_every_step_and_reports_times():
    seen = []
    done = warm_up(lambda what, seconds: seen.append((what, seconds)), jobs=1)
    assert [what for what, _ in done] == [what for what, _ in steps()]
    assert seen[0::2] == [(what, None) for what, _ in steps()] and all(s >= 0 for _, s in seen[1::2])
    out = CliRunner().invoke(main, ["warmup", "--jobs", "1"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert len(lines) == len(steps()) + 1
    assert all(re.fullmatch(r"compiling .+ \.\.\. \d+\.\d s", line) for line in lines[:-1])


def test_parallel_warmup_runs_every_step_once_in_other_processes():
    ended = []
    done = warm_up(lambda what, seconds: seconds is not None and ended.append(what), jobs=2,
                   layouts=NARROW[:1])
    assert [what for what, _ in done] == [what for what, _ in steps(NARROW[:1])]
    assert sorted(ended) == sorted(what for what, _ in steps(NARROW[:1]))
    out = CliRunner().invoke(main, ["warmup", "--jobs", "2"])
    assert out.exit_code == 0, out.output
    assert len(re.findall(r"^compiled .+: \d+\.\d s$", out.output, re.M)) == len(steps())


def test_warmup_refuses_zero_jobs():
    out = CliRunner().invoke(main, ["warmup", "--jobs", "0"])
    assert out.exit_code == 2 and "Traceback" not in out.output
