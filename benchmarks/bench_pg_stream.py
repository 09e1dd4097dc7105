"""PostgreSQL: shuffled streaming versus 2017's ``ORDER BY RANDOM() LIMIT n`` per batch.

Starts a throwaway local server (see ``sasnets.stores._pgtemp``), writes
``--curves`` synthetic curves of ``--points`` points into tag ``train`` with
``PostgresStore.write`` (binary COPY), then measures curves per second of

* ours: one full shuffled pass of ``store.iter_batches("train", batch_size,
  shuffle=True, seed=0)`` (blocks of ids in random order through one
  server-side cursor, mixed in a bounded buffer);
* the baseline: ``SELECT … FROM train_data ORDER BY RANDOM() LIMIT batch_size``
  once per batch, as 2017's ``sql_dat_gen`` drew them, decoded the same way
  (``--baseline-batches`` batches are timed: each costs a full-table scan, so
  its rate does not depend on how many are timed).

and prints the throughput ratio for each ``--batch-size``.

    python benchmarks/bench_pg_stream.py                       # 100k curves
    python benchmarks/bench_pg_stream.py --curves 10000        # quick
"""
import argparse
import time

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", type=int, default=100_000)
    ap.add_argument("--points", type=int, default=128)
    ap.add_argument("--batch-size", type=int, nargs="+", default=[32, 128, 512])
    ap.add_argument("--baseline-batches", type=int, default=20)
    args = ap.parse_args(argv)

    from sasnets.data import CurveBatch
    from sasnets.stores import open_store
    from sasnets.stores._pgtemp import TemporaryPostgres

    with TemporaryPostgres() as server:
        url = server.url
        rng = np.random.default_rng(0)
        q = np.logspace(-3, -0.5, args.points)
        t = time.perf_counter()
        with open_store(url, "a") as store:
            for start in range(0, args.curves, 5000):
                k = min(5000, args.curves - start)
                iq = rng.random((k, args.points)) * 10.0 ** rng.uniform(-2, 3, (k, 1))
                models = np.array([f"model{m:02d}" for m in range(50)], dtype=object)[np.arange(start, start + k) % 50]
                store.write("train", CurveBatch.from_matrix(models, q, iq, dq=q * 0.05, diq=iq * 0.03,
                                                            seeds=np.arange(start, start + k),
                                                            indices=np.arange(start, start + k),
                                                            params=[{"scale": 1.0}] * k))
            store._execute("ANALYZE train_data", fetch=False)
        print(f"wrote {args.curves} curves x {args.points} points in {time.perf_counter() - t:.1f} s")

        with open_store(url) as store:
            cols, table = store._select("train", with_params=False)
            from psycopg2 import sql

            for bs in args.batch_size:
                t = time.perf_counter()
                seen = 0
                for batch in store.iter_batches("train", bs, shuffle=True, seed=0):
                    seen += len(batch)
                ours = seen / (time.perf_counter() - t)
                assert seen == args.curves
                # sort first, format only the drawn rows (as 2017's plain "SELECT iq, diq, model … ORDER BY
                # RANDOM() LIMIT n" does), then decode them exactly as the stream does
                query = sql.SQL("SELECT {} FROM (SELECT * FROM {} ORDER BY random() LIMIT %s) t").format(cols, table)
                t = time.perf_counter()
                drawn = 0
                for _ in range(args.baseline_batches):
                    with store._conn.cursor() as cur:
                        cur.execute(query, (bs,))
                        drawn += len(store._rows_to_batch(cur.fetchall(), False, "train"))
                    store._conn.commit()
                baseline = drawn / (time.perf_counter() - t)
                print(f"batch {bs:4d}: streaming {ours:9.0f} curves/s, ORDER BY RANDOM() {baseline:8.0f} curves/s, "
                      f"ratio {ours / baseline:6.1f}x  (requirement >= 20x)")


if __name__ == "__main__":
    main()
