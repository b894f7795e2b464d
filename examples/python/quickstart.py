"""MINO from Python in one page: run the built-in agent over the bundled offline demo shop.

    pip install ./mino-py                 # once, from the repository root (needs Rust)
    python examples/python/quickstart.py  # Chromium must be installed (`chromium` on PATH)

It creates a project (what to extract), uploads ``examples/demo/sites.csv`` (one product page
per row; ``gt_`` columns hold the right answers; one row is deliberately unusable), runs a
test sample of 10 sites while printing live events, then the remaining sites, prints the
accuracy per field and writes every result to an Excel file.
"""

import argparse
from pathlib import Path

import mino

DEMO = Path(__file__).resolve().parent.parent / "demo" / "sites.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite:quickstart.db", help="where MINO keeps its data")
    parser.add_argument("--browser", default="chromium", help="chromium, cdp:ws://…, webdriver or webdriver:http://…")
    parser.add_argument("--out", default="quickstart-results.xlsx", help="the results (.xlsx, .csv, .json)")
    args = parser.parse_args()

    with mino.Platform(args.database, args.browser) as platform:
        project = platform.create_project(
            "Demo shop",
            instructions="Find the product's title, its price and its brand.",
            fields=[
                "title",
                {"name": "price", "type": "number", "description": "the product's price"},
                "brand",
            ],
        )
        batch = platform.upload_csv(project, DEMO)
        print(f"{batch.name}: {batch.total_rows} rows, {batch.valid_rows} runnable")
        if batch.report is not None:
            for row in batch.report.invalid_row_list:
                print(f"  line {row.line} is not runnable: {row.reason}")

        # A test run first: a sample of 10 sites, followed live.
        test = platform.execute(batch, mode="test", sample=10, concurrency=4)
        for event in test.events():
            if isinstance(event, mino.JobTransitionEvent) and event.to_status in ("completed", "failed"):
                print(f"  {event.to_status:<9} {event.site_url}")
            elif isinstance(event, mino.StatsEvent):
                print(f"  {event.progress:.0%} done, {event.throughput_per_min:.0f} sites/min")
        test.wait()
        print(f"test run {test.status}: {test.counts.completed} completed, {test.counts.failed} failed")

        # Then every site the sample did not cover.
        rest = platform.execute(batch, mode="production", scope="pending", concurrency=4).wait()
        print(f"production run {rest.status}: {rest.total} more sites")

        report = platform.metrics(batch)
        metrics = report.metrics
        print(f"{metrics.jobs_passed} of {metrics.jobs_evaluated} sites fully right")
        for column in metrics.columns:
            accuracy = "n/a" if column.accuracy is None else f"{column.accuracy:.0%}"
            print(f"  {column.field:<8} {accuracy:>5}  ({column.missing} missing, {column.wrong} wrong)")

        for job in platform.jobs(batch=batch, accuracy="fail"):
            print(f"  not right: {job.site_url}: {job.extraction}")

        summary = platform.export(project, args.out, batch=batch)
        print(f"wrote {summary.jobs} jobs to {args.out}")


if __name__ == "__main__":
    main()
