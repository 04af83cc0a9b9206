"""Derive the demo cohort's gene parameter table from the real GSE202295 basal biopsies.

Run once from the repository root; the outputs are committed:
    .venv/bin/python scripts/build_demo_params.py [--data ../shared/data/gse202295]
writes resources/demo_params/gene_params.tsv.gz, library.json and SOURCE.json (input sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from myoclamp.io import atomic_path
from myoclamp_tools.demo.generate import write_text_gz
from myoclamp_tools.demo.params import LIBRARY_JSON, PARAMS_DIR, PARAMS_TSV, estimate_params
from myoclamp_tools.demo.real import GSE202295, read_real_basal


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=GSE202295, help="GSE202295 directory")
    args = parser.parse_args()
    counts = read_real_basal(args.data)
    table, library = estimate_params(counts)
    text = table.to_csv(sep="\t", index=False, float_format="%.6g", lineterminator="\n")
    write_text_gz(text, PARAMS_TSV)
    with atomic_path(LIBRARY_JSON) as tmp:
        tmp.write_text(json.dumps(library, indent=2) + "\n")
    source = {
        "source": "GEO GSE202295 (Pillon et al., Sci Adv 2022), via trainome/seqwrappaper (MIT)",
        "samples": "basal (pre-exercise) biopsies, time == 'basal'",
        "n_samples": library["n_samples"],
        "files": {
            p.name: sha256(p) for p in (args.data / "counts.csv.gz", args.data / "samples.csv")
        },
        "script": "scripts/build_demo_params.py",
    }
    with atomic_path(PARAMS_DIR / "SOURCE.json") as tmp:
        tmp.write_text(json.dumps(source, indent=2) + "\n")
    print(f"{len(table)} genes, {library['n_samples']} basal samples -> {PARAMS_TSV}")


if __name__ == "__main__":
    main()
