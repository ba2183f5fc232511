"""--jobs: the same outputs whatever the parallelism; a worker that dies costs only its file; the progress bar."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from conftest import ROOT, SAMPLES

import perfxl.target.pipeline
from bench.generate import generate
from perfxl.io.parallel import Workers, guided
from perfxl.target.pipeline import run

SHEETS = ("项目汇总", "绩效指标", "预算明细", "校验结果", "处理清单")


@pytest.fixture(scope="module")
def batch_input(tmp_path_factory):
    """20 synthetic projects, the seven samples, one duplicate (X01, so two projects fail) and a bad file."""
    folder = tmp_path_factory.mktemp("in")
    generate(folder, 20, seed=7)
    for sample in (SAMPLES).glob("*.xlsx"):
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / "copy_of_00003.xlsx").write_bytes((folder / "project_00003.xlsx").read_bytes())
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    return folder


def _sheets(path):
    book = openpyxl.load_workbook(path)
    return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)] for name in SHEETS}


def _forms(folder):
    forms = {}
    for path in sorted((folder / "目标表").glob("*.docx")):
        with zipfile.ZipFile(path) as package:
            forms[path.name] = {name: package.read(name) for name in package.namelist()}
    return forms


def test_jobs_one_and_default_give_the_same_outputs(batch_input, tmp_path, config):
    serial = run(batch_input, tmp_path / "serial", config, jobs=1)
    parallel = run(batch_input, tmp_path / "parallel", config, jobs=2)
    assert len(parallel.projects) == 28 and len(parallel.passed()) == 26
    assert serial.findings == parallel.findings
    assert _sheets(tmp_path / "serial" / "绩效目标汇总.xlsx") == _sheets(tmp_path / "parallel" / "绩效目标汇总.xlsx")
    serial_forms, parallel_forms = _forms(tmp_path / "serial"), _forms(tmp_path / "parallel")
    assert len(serial_forms) == 26
    assert serial_forms == parallel_forms


@pytest.mark.skipif(os.environ.get("PERFXL_START_METHOD") == "spawn",
                    reason="a monkeypatch does not reach a spawned worker; test_map_survives_a_dying_worker runs there")
def test_a_worker_that_dies_costs_only_its_own_file(batch_input, tmp_path, config, monkeypatch):
    real = perfxl.target.pipeline.read_project

    def dying(path, file, config):
        if file == "project_00005.xlsx":
            os._exit(3)  # the process dies, as on a crash in a native library
        return real(path, file, config)

    monkeypatch.setattr(perfxl.target.pipeline, "read_project", dying)
    batch = run(batch_input, tmp_path / "out", config, jobs=2)
    ledger = {entry.file: entry for entry in batch.ledger}
    assert ledger["project_00005.xlsx"].status == "失败"
    assert "异常退出" in ledger["project_00005.xlsx"].message
    assert len(ledger) == 29  # every file, the dead one included
    assert sum(1 for entry in batch.ledger if entry.status == "已处理") == 27


def _perfxl_run(batch_input, output, stderr):
    command = [sys.executable, "-m", "perfxl", "run", str(batch_input), str(output)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminal (openpty, termios): POSIX only")
def test_progress_bar_on_a_terminal_and_not_in_a_pipe(batch_input, tmp_path):
    import fcntl
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(leader, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    process = _perfxl_run(batch_input, tmp_path / "tty", follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other side is closed, the run is over
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    process.wait(timeout=120)
    assert "读取与校验" in shown.decode("utf-8", "replace")
    piped = _perfxl_run(batch_input, tmp_path / "pipe", subprocess.PIPE)
    _, errors = piped.communicate(timeout=120)
    assert "读取与校验" not in errors.decode()


def _mark(path):
    """A work item: records which process did it (module level, so that a worker can run it)."""
    with path.open("a") as record:
        record.write(f"{os.getpid()}\n")
    if path.name == "boom":
        raise ValueError("boom")


def test_guided_chunks_keep_every_item_in_order_and_shrink():
    items = list(range(1000))
    chunks = guided(items, jobs=2)
    assert [i for chunk in chunks for i in chunk] == items
    sizes = [len(chunk) for chunk in chunks]
    assert sizes[0] == 250 and sizes == sorted(sizes, reverse=True)
    assert max(sizes[-3:]) <= 8, "small chunks at the end, for whoever is free"


def test_alongside_does_every_item_once_while_the_task_runs_here(tmp_path):
    items = [tmp_path / f"item{i}" for i in range(60)]
    with Workers(2) as workers:
        result = workers.alongside(_mark, items, lambda: os.getpid())
    assert result == os.getpid(), "the task runs in this process"
    doers = [item.read_text().split() for item in items]
    assert all(len(doer) == 1 for doer in doers), "each item exactly once"
    assert {doer[0] for doer in doers} - {str(os.getpid())}, "some items went to a worker"


def test_alongside_without_background_does_everything_here(tmp_path):
    items = [tmp_path / f"item{i}" for i in range(10)]
    with Workers(2) as workers:
        workers.alongside(_mark, items, lambda: None, background=False)
    assert {item.read_text() for item in items} == {f"{os.getpid()}\n"}


def test_an_item_that_fails_on_a_worker_raises_here(tmp_path):
    items = [tmp_path / "boom", *(tmp_path / f"item{i}" for i in range(5))]
    with Workers(2) as workers, pytest.raises(ValueError, match="boom"):
        workers.alongside(_mark, items, lambda: None)


def _die_on_three(item):
    """A work item (module level, so that a spawned worker can import it): item 3 kills its process."""
    if item == 3:
        os._exit(3)  # the process dies, as on a crash in a native library
    return item * 10


def test_map_survives_a_dying_worker_and_keeps_the_order():
    items = list(range(12))
    with Workers(2) as workers:
        results = list(workers.map(_die_on_three, items, on_crash=lambda item: f"dead {item}"))
    assert results == [0, 10, 20, "dead 3", *(item * 10 for item in items[4:])]
