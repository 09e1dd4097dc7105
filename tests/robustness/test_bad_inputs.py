"""A corpus of bad measured files, each with the message a user sees.

(The CLI side, one stderr line per bad file while the rest are classified, is
tested in tests/cli/test_predict.py.)

Every case is either read with a warning that says what was done, or refused
with one sentence that names the file and says what is wrong.
"""
import warnings

import pytest

from sasnets.errors import DataError
from sasnets.stores.measured import MeasuredFileWarning, load_curve

GOOD_ROWS = "".join(f"{0.01 * k} {100.0 / k}\n" for k in range(1, 11))

#: name -> (bytes, substring of the error message)
REFUSED = {
    "empty.txt": (b"", "is empty"),
    "blank.txt": (b"\n\n   \n", "is empty"),
    "binary.dat": (bytes(range(256)) * 4, "binary"),
    "nan.txt": (b"0.01 nan\n0.02 nan\n0.03 5\n", "not-a-number"),
    "inf.txt": (b"0.01 inf\n0.02 inf\n0.03 5\n", "not-a-number or infinite"),
    "negative.txt": (b"0.01 -1\n0.02 -2\n0.03 -3\n0.04 5\n", "zero or negative"),
    "zero.txt": (b"0.01 0\n0.02 0\n0.03 0\n", "zero or negative"),
    "one_point.txt": (b"0.01 10\n", "only 1 usable point"),
    "one_column.txt": (b"0.01\n0.02\n0.03\n", "no rows of numbers"),
    "ragged_columns.txt": (b"0.01 10 1\n0.02 5\n0.03 2 1 1 1 1 1\n0.04 1 1 1 1\n", "different numbers of columns"),
    "words.txt": (b"hello world\nthis is not data\n", "no rows of numbers"),
    "truncated.xml": (b'<?xml version="1.0"?><SASroot version="1.1"><SASentry><SASdata><Idata><Q>0.1', "truncated"),
    "fake.h5": (b"this is a text file with an HDF5 name", "not an HDF5 file"),
}

#: name -> (bytes, substring of the warning)
READ_WITH_WARNING = {
    "unsorted.txt": (b"0.02 5\n0.01 10\n0.03 2\n0.04 1\n", "sorted"),
    "duplicate_q.txt": (b"0.01 10\n0.01 11\n0.02 5\n0.03 2\n", "repeat a q value"),
    "few_bad_rows.txt": (GOOD_ROWS.encode() + b"0.2 -1\n", "dropped 1 of 11"),
    "nm_without_header.txt": ("".join(f"{0.05 * k} {1.0 / k}\n" for k in range(1, 60)).encode(), "--q-units nm"),
    "nm_with_header.txt": (b"# Q (1/nm) I (1/cm)\n" + GOOD_ROWS.encode(), "1/nm"),
}


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_one_sentence_naming_the_file(tmp_path, name):
    content, expected = REFUSED[name]
    path = _write(tmp_path, name, content)
    with pytest.raises(DataError) as info:
        load_curve(path)
    message = str(info.value)
    assert path in message and expected in message
    assert "\n" not in message and message.rstrip().endswith(".")


@pytest.mark.parametrize("name", sorted(READ_WITH_WARNING))
def test_read_with_a_warning_that_says_what_was_done(tmp_path, name):
    content, expected = READ_WITH_WARNING[name]
    path = _write(tmp_path, name, content)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = load_curve(path)
    messages = [str(w.message) for w in caught if issubclass(w.category, MeasuredFileWarning)]
    assert any(expected in m and path in m for m in messages), messages
    assert len(curve) >= 3


def test_non_utf8_text_is_read(tmp_path):
    path = _write(tmp_path, "latin1.txt", "# échantillon Å\n".encode("latin-1") + GOOD_ROWS.encode())
    assert len(load_curve(path)) == 10


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_curve(str(tmp_path / "nowhere.dat"))

