"""Merge the curves of tag ``train`` of SRC into DST with their indices offset by OFFSET.

    python scripts/merge_offset.py SRC DST OFFSET

``sasnets convert`` skips curves DST already holds by (tag, model, index); the
any-size curves of scripts/pretrain.sh are other curves of the same models and
indices (another seed and other options), so they are merged under indices
OFFSET + index, with SRC's provenance records (each marked with the offset).
Rerunning skips what was merged.
"""
import sys

import numpy as np

from sasnets.stores import open_store


def main(src: str, dst: str, offset: int) -> int:
    with open_store(src) as s:
        batch = s.read("train", with_params=True)
        records = [{**r, "index_offset": int(offset)} for r in s.provenance("train")]
    batch.indices = np.asarray(batch.indices, np.int64) + int(offset)
    with open_store(dst, "a") as d:
        have = {m: set(int(i) for i in d.existing_indices("train", m)) for m in set(batch.models.astype(str))}
        keep = np.array([int(i) not in have[str(m)] for m, i in zip(batch.models, batch.indices)], bool)
        if keep.any():
            d.write("train", batch.take(keep))
        have_records = d.provenance("train")
        for record in records:
            if record not in have_records:
                d.add_provenance("train", record)
    print(f"{int(keep.sum())} curves merged into {dst}, {int((~keep).sum())} already there")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
