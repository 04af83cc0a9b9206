"""Power of the gene-set tests on the demo truth: insulin's curated sets, the planted treatment
genes' sets (treatment switch on), OXPHOS vs M-value. See ``myoclamp_tools.setpower``.

    .venv/bin/python scripts/set_power.py                      # 1,000 permutations, all parts
    .venv/bin/python scripts/set_power.py --parts insulin,m_value --set-permutations 200
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from myoclamp.enrichment.genesets import collection_paths, load_collections
from myoclamp_tools.demo import generate
from myoclamp_tools.setpower import (
    CURATED_INSULIN,
    SHOW,
    contrast_sets,
    demo_files,
    demo_with_clinical,
    m_value_genes,
    m_value_sets,
    m_value_summary,
    planted_genes,
    planted_share,
    treatment_summary,
    with_planted_set,
)

ROOT = Path(__file__).resolve().parents[1]
INSULIN_GROUPS = (
    "insulin_placebo",
    "insulin_anakinra",
    "insulin_baseline",
    "insulin_week13",
    "treatment_x_insulin",
)


def show(title: str, table: pd.DataFrame) -> None:
    print(f"\n## {title}")
    print(table.to_csv(sep="\t", index=False, float_format="%.3g"), end="")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="insulin,insulin_groups,treatment,m_value")
    ap.add_argument("--set-permutations", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20070510, help="demo seed (bundled: 20070510)")
    ap.add_argument("--camera-variance", default="limma", choices=["limma", "competitive"])
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    parts = args.parts.split(",")
    sets = load_collections(collection_paths(["muscle", "go_bp"], [], ROOT / "resources"))
    cfg = {"set_permutations": args.set_permutations, "camera_variance": args.camera_variance}
    bundled = demo_with_clinical(demo_files(ROOT / "resources" / "demo"))
    if "insulin" in parts:
        table, meta = contrast_sets(bundled, "insulin", "insulin", sets, cfg)
        show(
            "insulin (bundled demo): curated insulin sets",
            table[table["set"].isin(CURATED_INSULIN)][SHOW],
        )
        print(
            f"muscle enriched {meta['collections']['muscle']['enriched']}/"
            f"{meta['collections']['muscle']['sets']}, GO BP enriched "
            f"{meta['collections']['go_bp']['enriched']}/{meta['collections']['go_bp']['sets']}"
        )
    if "insulin_groups" in parts:
        rows = []
        for contrast in INSULIN_GROUPS:
            table, meta = contrast_sets(bundled, "insulin_groups", contrast, sets, cfg)
            for _, r in table[table["set"].isin(CURATED_INSULIN)].iterrows():
                rows.append(
                    {
                        "contrast": contrast,
                        **r[SHOW].to_dict(),
                        "scheme": meta["permutation_scheme"],
                        "exact": meta["permutation_exact"],
                    }
                )
        show("insulin_groups contrasts (bundled demo): curated insulin sets", pd.DataFrame(rows))
    if "treatment" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            paths = generate(Path(tmp) / "treated", seed=args.seed, treatment_effect=True)
            treated = demo_with_clinical(demo_files(Path(tmp) / "treated"))
            planted = planted_genes(paths["truth_genes"])
        with_planted = with_planted_set(sets, planted)
        summary = []
        for label, adata in (("switch on", treated), ("switch off (bundled)", bundled)):
            table, meta = contrast_sets(adata, "treatment", "treatment", with_planted, cfg)
            genes = set(adata.var["symbol"].astype(str))
            table = planted_share(table, with_planted, set(planted), genes)
            if label == "switch on":
                show(
                    f"treatment ({label}): the planted genes as one set",
                    table[table["collection"] == "planted"][SHOW],
                )
                top = table[(table["collection"] == "go_bp") & table["enriched"]]
                show(
                    f"treatment ({label}): enriched GO BP sets (first 15 by camera p)",
                    top[[*SHOW, "planted", "planted_share"]].head(15),
                )
            summary.append(
                {"treatment": label, "planted_genes": len(planted), **treatment_summary(table)}
            )
        show("treatment: GO BP sets of the planted genes", pd.DataFrame(summary))
    if "m_value" in parts:
        table, meta = m_value_sets(bundled, sets, cfg)
        show(
            f"expression vs M-value (bundled demo, {meta['samples']} participants): muscle sets",
            table[table["collection"] == "muscle"][SHOW],
        )
        planted = m_value_genes(ROOT / "resources" / "demo" / "truth" / "genes.tsv")
        table = planted_share(table, sets, set(planted), set(bundled.var["symbol"].astype(str)))
        show(
            f"expression vs M-value: GO BP sets ({len(planted)} genes planted to correlate; "
            f"{meta['permutation_description']}, exact {meta['permutation_exact']})",
            pd.DataFrame([m_value_summary(table)]),
        )


if __name__ == "__main__":
    main()
