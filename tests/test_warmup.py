"""`flipgraph warmup`: every kernel step runs, with its time."""
import re

from click.testing import CliRunner

from flipgraph.cli import main
from flipgraph.warmup import STEPS, warm_up


def test_warmup_runs_every_step_and_reports_times():
    seen = []
    done = warm_up(lambda what, seconds: seen.append((what, seconds)))
    assert [what for what, _ in done] == [what for what, _ in STEPS]
    assert seen[0::2] == [(what, None) for what, _ in STEPS] and all(s >= 0 for _, s in seen[1::2])
    out = CliRunner().invoke(main, ["warmup"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert len(lines) == len(STEPS) + 1
    assert all(re.fullmatch(r"compiling .+ \.\.\. \d+\.\d s", line) for line in lines[:-1])
