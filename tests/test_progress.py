"""One progress protocol: library calls report Progress events, the CLI draws them."""
import io
import sys

from sasnets.progress import Progress, notifier


def test_notifier_builds_events_and_is_a_no_op_without_a_callback():
    events = []
    notify = notifier(events.append)
    notify("convert", 3, 10, "train", tag="train")
    assert events == [Progress("convert", 3, 10, "train", {"tag": "train"})]
    assert not events[0].finished and Progress("x", 10, 10).finished and not Progress("x", 5).finished
    notifier(None)("anything", 1, 2)  # nothing to call, nothing raised


def test_convert_reports_each_tag_to_its_end(tmp_path, small_batch):
    from sasnets import convert_store, open_store

    src = str(tmp_path / "a.h5")
    with open_store(src, "a") as s:
        s.write("train", small_batch)
        s.write("test", small_batch.take([0, 1, 2]))
    events = []
    convert_store(src, str(tmp_path / "b.h5"), chunk_size=5, progress=events.append)
    assert {e.stage for e in events} == {"convert"}
    ends = [(e.message, e.done) for e in events if e.finished]
    assert sorted(ends) == [("test", 3), ("train", 12)]
    train = [e.done for e in events if e.message == "train"]
    assert train == sorted(train) and train[0] == 0


def test_bars_restart_when_a_stage_starts_over_and_close_cleanly(monkeypatch):
    from sasnets.cli._progress import ProgressBars

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bars = ProgressBars(units={"convert": "curve"}, leave=True, tty_only=False)
    for tag, n in (("train", 4), ("test", 2)):
        for done in range(n + 1):
            bars(Progress("convert", done, n, tag))
    assert not bars._bars  # each tag's bar ended at its total
    bars(Progress("evaluate", 1, 10))
    bars.close()
    out = err.getvalue()
    assert "train" in out and "test" in out and "4/4" in out and "2/2" in out and "curve" in out
    assert out.count("4/4") == 1  # a finished bar is drawn to its end once, not twice
    ProgressBars(quiet=True)(Progress("x", 1, 2))  # quiet draws nothing
