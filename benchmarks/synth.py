"""A synthetic ledger in the Bradford layout, built column-wise with numpy and pyarrow.

The service / expenditure labels and the suppliers are sampled (weighted by
how often they occur) from the real Bradford files, so the classification rules
match as they do on real data. Dates are random days of fiscal year 2018-19;
amounts have pence, about 1 in 5 of those over £1,000 are written with a
thousands comma (and so quoted), and about 1 in 100 are negative (credits).
Files are written in Windows-1252, as Bradford publishes them.

    python benchmarks/synth.py OUT_DIR --rows 10000000 --files 10
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BRADFORD = Path(os.environ.get("TOTALPLACE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "spend" / "bradford"
HEADER = ("Service Code,Service Label,Expenditure code,Expenditure category,Payment date,"
          "Transaction Number,Net Amount,Supplier Number,Supplier Name")
FY_START = np.datetime64("2018-04-01")


def real_bradford(folder: Path = BRADFORD) -> pa.Table:
    """All real Bradford rows as text columns (the files are Windows-1252)."""
    tables = []
    for path in sorted(folder.glob("*.csv")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        header = next(csv.reader(io.StringIO(text[: text.find("\n")])))
        names = [h.strip() for h in header]
        table = pacsv.read_csv(
            pa.BufferReader(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
        )
        tables.append(table.select(names[:9]).rename_columns(HEADER.split(",")))
    return pa.concat_tables(tables)


def _csv_field(arr: pa.Array) -> pa.Array:
    """Quote a text column where CSV needs it (commas, quotes, line breaks)."""
    arr = pc.fill_null(arr, "")
    needs = pc.match_substring_regex(arr, '[,"\\r\\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, arr)


def _amount_text(rng: np.random.Generator, n: int) -> pa.Array:
    """Amounts in pence as text: '1234.56', some '"1,234.56"', some negative."""
    pence = np.round(np.exp(rng.normal(7.6, 1.3, n)) * 100).astype(np.int64) + 50_000  # >= £500
    pence = np.minimum(pence, 99_999_999)  # under £1m, so one thousands comma is enough
    negative = rng.random(n) < 0.01
    pounds, frac = pence // 100, pence % 100
    pounds_s = pc.cast(pa.array(pounds), pa.string())
    frac_s = pc.utf8_lpad(pc.cast(pa.array(frac), pa.string()), 2, "0")
    comma = (pounds >= 1000) & (rng.random(n) < 0.2)
    with_comma = pc.binary_join_element_wise(
        '"', pc.cast(pa.array(pounds // 1000), pa.string()), ",",
        pc.utf8_lpad(pc.cast(pa.array(pounds % 1000), pa.string()), 3, "0"), ".", frac_s, '"', "")
    plain = pc.binary_join_element_wise(pounds_s, ".", frac_s, "")
    text = pc.if_else(pa.array(comma), with_comma, plain)
    minus = pc.binary_join_element_wise("-", plain, "")
    return pc.if_else(pa.array(negative & ~comma), minus, text)


def write_ledger(out_dir: Path, rows: int, files: int, seed: int = 2018) -> list[Path]:
    """Write `files` CSV files of about rows/files rows each; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    real = real_bradford()
    labels = pa.table([_csv_field(real.column(i).combine_chunks()) for i in range(4)],
                      names=HEADER.split(",")[:4])
    suppliers = pa.table([_csv_field(real.column(i).combine_chunks()) for i in (7, 8)],
                         names=HEADER.split(",")[7:9])
    rng = np.random.default_rng(seed)
    paths, per_file, txn = [], -(-rows // files), 7_000_000_000
    for index in range(files):
        n = min(per_file, rows - index * per_file)
        if n <= 0:
            break
        lab = labels.take(pa.array(rng.integers(0, labels.num_rows, n)))
        sup = suppliers.take(pa.array(rng.integers(0, suppliers.num_rows, n)))
        days = FY_START + rng.integers(0, 365, n).astype("timedelta64[D]")
        dates = pc.cast(pa.array(days), pa.string())
        txns = pc.cast(pa.array(np.arange(txn, txn + n, dtype=np.int64)), pa.string())
        txn += n
        lines = pc.binary_join_element_wise(
            *[lab.column(i) for i in range(4)], dates, txns, _amount_text(rng, n),
            sup.column(0), sup.column(1), ",")
        lines = pc.binary_join_element_wise(lines, "\n", "").combine_chunks()
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
        body = lines.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]
        path = out_dir / f"synthetic-{index + 1:02d}.csv"
        path.write_bytes((HEADER + "\n").encode("cp1252") + body.decode("utf-8").encode("cp1252"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    paths = write_ledger(args.out_dir, args.rows, args.files)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {args.rows:,} rows, {size / 2**20:,.0f} MiB "
          f"in {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
