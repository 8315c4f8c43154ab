"""What a running search shows: the live table, plain lines off a terminal, Ctrl-C."""
import io as _io
import signal
import subprocess
import sys
import time
from pathlib import Path

from flipgraph.progress import ProgressView


def record(t, flips, best, ranks, pools, final=False):
    rec = {"time": t, "flips": sum(flips), "best_rank": best, "ranks": ranks,
           "best_ranks": [best] * len(ranks), "pool_sizes": pools, "worker_flips": flips}
    return dict(rec, final=True) if final else rec


def test_plain_lines_off_a_terminal_every_n_seconds_and_at_each_new_best():
    out = _io.StringIO()
    view = ProgressView("3x3x3 over z2", stream=out, live=False, every=10, time_limit=60, target_rank=23)
    view(record(0.5, [10, 10], 27, [27, 27], [1, 1]))            # first line
    view(record(1.0, [2_000_010, 10], 27, [26, 27], [2, 1]))     # nothing new, < 10 s
    view(record(2.0, [4_000_010, 1_000_010], 25, [25, 26], [1, 2]))   # new best
    view(record(13.0, [26_000_010, 23_000_010], 25, [25, 25], [4, 4]))  # 10 s later
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(line.startswith("3x3x3 over z2") for line in lines)
    assert "best 25" in lines[1] and "/ 60 s" in lines[0] and "target 23" in lines[0]
    assert "walker levels [25 25]" in lines[2]
    assert "\x1b" not in out.getvalue()


def test_live_table_is_redrawn_in_place_with_smoothed_rates():
    out = _io.StringIO()
    view = ProgressView("4x4x4 over z2", stream=out, live=True, window=5.0, pool_size=4)
    view(record(0.0, [0, 0], 64, [64, 64], [1, 1]))
    view(record(1.0, [3_000_000, 1_000_000], 60, [60, 61], [2, 4]))
    text = out.getvalue()
    assert text.count("\x1b[5F") == 1                  # the second table (5 rows) moved up over the first
    last = text.split("\x1b[5F")[1]
    assert "  walker  level  best  pool  M flips/s" in last
    assert "3.0" in last and "1.0" in last and "4.0" in last        # per worker and total, M/s
    assert "2/4" in last and "4/4" in last


def _default_sigint():
    """The child's Ctrl-C as from a terminal: a test run started as a background job (``cmd &``
    in a script) ignores SIGINT, and an ignored signal stays ignored across exec."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_keeps_the_best_and_exits_130(tmp_path):
    from flipgraph.walks.walker import warm_up

    warm_up(1, "z2")     # compiled here into numba's disk cache: the child loads it, no compile
    out = tmp_path / "run"                        # (a SIGINT mid-compile waits for the compile)
    cli = Path(__file__).resolve().parents[1] / "cli.py"
    proc = subprocess.Popen([sys.executable, str(cli), "search", "4x4x4", "--target-rank", "40",
                             "--time-limit", "120", "--out", str(out), "--no-save"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    deadline = time.time() + 90
    while time.time() < deadline and not (out / "best.json").exists():
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-500:]
    assert "(interrupted)" in stdout and (out / "best.json").exists()
