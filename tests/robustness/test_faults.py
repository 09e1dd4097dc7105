"""Faults a facility meets: killed processes, a database that goes away, a full
disk, two writers at once.  Each ends in one clear line and loses nothing that
was already written; a rerun completes the work exactly."""
import json
import os
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sasnets.stores import open_store

pytestmark = pytest.mark.slow

SASNETS = [sys.executable, "-m", "sasnets"]


def _wait_until(predicate, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def _kill(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _pg_counts(url):
    try:
        with open_store(url) as s:
            return s.counts().get("train", {})
    except Exception:
        return {}


def _assert_exact(url_or_path, models, count):
    with open_store(url_or_path) as s:
        assert s.counts()["train"] == dict.fromkeys(models, count)
        batch = s.read("train", with_params=False)
    assert len(set(zip(batch.models.astype(str), batch.indices.tolist()))) == len(batch)
    assert len(set(batch.seeds.tolist())) == len(batch)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_generate_killed_while_writing_to_postgresql_resumes_exactly(pg_url):
    models = ["sphere", "cylinder", "lamellar"]
    cmd = [*SASNETS, "generate", *models, "--count", "300", "--nq", "30", "--seed", "3", "--workers", "1",
           "-q", "-o", pg_url]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = _wait_until(lambda: sum(_pg_counts(pg_url).values()) > 0, proc)
        assert started and proc.poll() is None, "the run finished before it could be killed; make it longer"
    finally:
        _kill(proc)
    assert 0 < sum(_pg_counts(pg_url).values()) < 900  # readable, partial
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    _assert_exact(pg_url, models, 300)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_two_generate_processes_on_one_postgresql_store_both_finish(pg_url):
    procs = [subprocess.Popen([*SASNETS, "generate", *models, "--count", "60", "--nq", "30", "--seed", "9",
                               "--workers", "1", "-q", "-o", pg_url], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
             for models in (["sphere", "cylinder"], ["cylinder", "lamellar"])]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    _assert_exact(pg_url, ["sphere", "cylinder", "lamellar"], 60)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgresql_stopped_during_convert_then_rerun_completes(tmp_path, small_batch):
    from sasnets.stores._pgtemp import TemporaryPostgres
    from sasnets.data import CurveBatch

    source = str(tmp_path / "big.h5")
    with open_store(source, "a") as s:
        rng = np.random.default_rng(0)
        q = np.logspace(-3, -0.5, 100)
        for k in range(20):
            n = 500
            models = np.array(["sphere", "cylinder"])[rng.integers(0, 2, n)]
            s.write("train", CurveBatch.from_matrix(models, q, rng.random((n, 100)) + 0.1, seeds=np.arange(n) + k * n,
                                                    indices=np.arange(n) + k * n))
    server = TemporaryPostgres()
    url = server.start()
    data_dir = os.path.join(server.base, "data")
    pg_ctl = os.path.join(server.bindir, "pg_ctl")
    try:
        cmd = [*SASNETS, "convert", source, url, "--chunk-size", "200"]
        proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert _wait_until(lambda: sum(_pg_counts(url).values()) > 0, proc), "convert finished too fast"
        server._run(pg_ctl, "-D", data_dir, "-m", "immediate", "-w", "stop")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode != 0
        lines = [line for line in err.splitlines() if line.startswith("Error:")]
        assert len(lines) == 1 and "PostgreSQL" in lines[0] and "Traceback" not in err
        server._run(pg_ctl, "-D", data_dir, "-o", f"-k {server.base} -p {server.port} -c listen_addresses=127.0.0.1",
                    "-l", os.path.join(server.base, "server.log"), "-w", "start")
        rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        with open_store(source) as s:
            expected = s.counts()["train"]
        with open_store(url) as s:
            assert s.counts()["train"] == expected
            assert s.size("train") == 10000
    finally:
        server.stop()


def _limit_file_size(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_disk_full_during_generate_is_one_line_and_keeps_what_was_written(tmp_path):
    out = tmp_path / "data.h5"
    first = subprocess.run([*SASNETS, "generate", "sphere", "--count", "20", "--nq", "50", "--workers", "1", "-q",
                            "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    size = out.stat().st_size
    full = subprocess.run([*SASNETS, "generate", "sphere", "cylinder", "lamellar", "--count", "4000", "--nq", "50",
                           "--workers", "1", "-q", "-o", str(out)], capture_output=True, text=True, timeout=600,
                          preexec_fn=_limit_file_size(size + 200_000))
    assert full.returncode != 0
    errors = [line for line in full.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error:") and "data.h5" in errors[0], full.stderr
    with open_store(str(out)) as s:  # still readable, the first run's curves intact
        counts = s.counts()["train"]
        assert counts["sphere"] >= 20
        s.read("train")


def test_read_only_output_is_one_line(tmp_path):
    out = tmp_path / "data.h5"
    subprocess.run([*SASNETS, "generate", "sphere", "--count", "5", "--nq", "20", "--workers", "1", "-q",
                    "-o", str(out)], check=True, timeout=300)
    out.chmod(0o444)
    before = out.read_bytes()
    try:
        proc = subprocess.run([*SASNETS, "generate", "sphere", "--count", "10", "--nq", "20", "--workers", "1", "-q",
                               "-o", str(out)], capture_output=True, text=True, timeout=300)
    finally:
        out.chmod(0o644)
    if os.geteuid() == 0:  # root may write read-only files: the run simply succeeds
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and "data.h5" in proc.stderr
    assert out.read_bytes() == before


def test_train_killed_mid_epoch_resumes_from_the_last_checkpoint(tmp_path):
    store = str(tmp_path / "toy.h5")
    from sasnets.data.toy import toy_curves

    with open_store(store, "a") as s:
        s.write("train", toy_curves(n_per_model=300, seed=0))
    run = tmp_path / "run"
    cmd = [*SASNETS, "train", store, "-o", str(run), "--arch", "mlp", "--epochs", "30", "--batch-size", "16",
           "--seed", "1", "--threads", "1", "--no-tensorboard", "-q"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = run / "checkpoint" / "latest"
    try:
        assert _wait_until(latest.exists, proc, timeout=300), "no checkpoint written"
        time.sleep(1.5)  # now somewhere inside a later epoch
        assert proc.poll() is None, "training finished before it could be killed; make it longer"
    finally:
        _kill(proc)
    folder = run / "checkpoint" / (run / "checkpoint" / "latest").read_text().strip()
    before = json.loads((folder / "state.json").read_text())["history"]
    assert before and not (run / "classifier.json").exists()  # killed after a checkpoint, before the end
    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    history = json.loads((run / "history.json").read_text())
    assert history[:len(before)] == before  # continued from the checkpoint, not from scratch
    assert [h["epoch"] for h in history] == list(range(1, len(history) + 1)) and len(history) > len(before)
    assert (run / "classifier.json").exists() and (run / "network.keras").exists()
