"""Time the startup validation on the demo (default) or on a demo-format cohort folder.

.venv/bin/python scripts/time_validation.py                       # the bundled demo
.venv/bin/python scripts/time_validation.py --cohort DIR          # e.g. a resampled cohort
.venv/bin/python scripts/time_validation.py --resample 1000 --cohort /tmp/r1000
"""

from __future__ import annotations

import argparse
from pathlib import Path

from myoclamp_tools.bench.resample import resample_folder
from myoclamp_tools.bench.validation import ROOT, cohort_config, time_validation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cohort", type=Path, help="folder with counts.tsv.gz, samples.tsv, clinical.tsv"
    )
    parser.add_argument(
        "--resample",
        type=int,
        help="first write a cohort of N samples resampled from the demo into --cohort",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.resample:
        if args.cohort is None:
            parser.error("--resample needs --cohort")
        resample_folder(ROOT / "resources" / "demo", args.cohort, args.resample, seed=args.seed)
    config = cohort_config(args.cohort)
    table = time_validation(config, args.repeats)
    print(f"inputs: {config['inputs']['counts']}")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"peak traced memory of the content check: {table.attrs['content_peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
