"""Per-sample QC metrics on hand-made counts with known answers."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from myoclamp.qc.metrics import infer_sex, sample_metrics, sex_agreement, top_shares
from myoclamp.qc.settings import QCSettings

GENES = [
    "TTN",
    "COX1",
    "RNR2",
    "MT-RNR1",
    "XIST",
    "RPS4Y1",
    "DDX3Y",
    "MYH7",
    "MYH1",
    "FOS",
    "EGR1",
    "GAPDH",
]
MITO = {"COX1", "RNR2", "MT-RNR1"}
RRNA = {"RNR2", "MT-RNR1"}


def make(counts: list[list[int]], sex: list[str | None] | None = None) -> ad.AnnData:
    """A contract-shaped AnnData of the given counts (samples x GENES)."""
    var = pd.DataFrame(
        {
            "gene_id": "",
            "symbol": GENES,
            "mito": [g in MITO for g in GENES],
            "mito_rrna": [g in RRNA for g in GENES],
            "ribo": False,
        },
        index=GENES,
    )
    obs = pd.DataFrame(index=[f"S{i}" for i in range(len(counts))])
    obs["participant"] = [f"P{i}" for i in range(len(counts))]
    if sex is not None:
        obs["sex"] = sex
    a = ad.AnnData(X=np.array(counts, dtype=np.int64), obs=obs, var=var)
    a.uns["levels"] = {"sex": {"female": "F", "male": "M"}}
    return a


# columns: TTN COX1 RNR2 MT-RNR1 XIST RPS4Y1 DDX3Y MYH7 MYH1 FOS EGR1 GAPDH
FEMALE = [200, 50, 400, 100, 40, 0, 0, 60, 20, 10, 10, 110]  # lib 1000, rRNA 500
MALE = [300, 100, 150, 50, 0, 60, 40, 20, 100, 0, 0, 180]  # lib 1000, rRNA 200


def test_library_detected_and_mito_shares():
    m = sample_metrics(make([FEMALE, MALE], ["F", "M"]))
    assert m["library_size"].tolist() == [1000, 1000]
    assert m["detected_genes"].tolist() == [10, 9]
    assert m["mito_rrna_share"].tolist() == pytest.approx([0.5, 0.2])
    # mito mRNA share is of the mRNA-like library (all but mitochondrial rRNA)
    assert m["mito_mrna_share"].tolist() == pytest.approx([50 / 500, 100 / 800])


def test_top_gene_share_is_within_mrna_like_library():
    m = sample_metrics(make([FEMALE, MALE]))
    # RNR2 has the most reads in the female sample but is not mRNA-like
    assert m["top_gene"].tolist() == ["TTN", "TTN"]
    assert m["top_gene_share"].tolist() == pytest.approx([200 / 500, 300 / 800])
    top10_f = sorted([c for g, c in zip(GENES, FEMALE, strict=True) if g not in RRNA])[-10:]
    assert m["top10_share"].iloc[0] == pytest.approx(sum(top10_f) / 500)


def test_top_shares_counts_the_n_largest():
    x = np.array([[5.0, 1, 3, 1], [0, 0, 0, 4]])
    assert top_shares(x, 2).tolist() == pytest.approx([8 / 10, 1.0])


def test_sex_inferred_and_agreement_with_records():
    m = sample_metrics(make([FEMALE, MALE, MALE], ["F", "M", "F"]))
    assert m["sex_score"].iloc[0] > 2 > -2 > m["sex_score"].iloc[1]
    assert m["sex_inferred"].tolist() == ["F", "M", "M"]
    assert m["sex_agrees"].tolist() == [True, True, False]


def test_sex_uses_the_configured_codes():
    a = make([FEMALE, MALE], ["female", "male"])
    a.uns["levels"] = {"sex": {"female": "female", "male": "male"}}
    m = sample_metrics(a)
    assert m["sex_inferred"].tolist() == ["female", "male"]
    assert m["sex_agrees"].tolist() == [True, True]


def test_sex_unknown_when_ambiguous_or_unrecorded():
    ambiguous = list(MALE)
    ambiguous[4], ambiguous[5], ambiguous[6] = 10, 10, 0  # XIST ~ Y
    m = sample_metrics(make([ambiguous, MALE], [None, "M"]))
    assert pd.isna(m["sex_inferred"].iloc[0])
    assert pd.isna(m["sex_agrees"].iloc[0])
    m = sample_metrics(make([MALE]))  # no sex column at all
    assert pd.isna(m["sex_agrees"].iloc[0]) and m["sex_inferred"].iloc[0] == "M"


def test_infer_sex_thresholds():
    out = infer_sex(np.array([3.0, -3.0, 1.0, np.nan]), 2.0, {"female": "F", "male": "M"})
    assert out.iloc[0] == "F" and out.iloc[1] == "M"
    assert pd.isna(out.iloc[2]) and pd.isna(out.iloc[3])
    agree = sex_agreement(out, pd.Series(["F", "F", "M", "M"]))
    assert agree.iloc[0] and not agree.iloc[1]
    assert pd.isna(agree.iloc[2])


def test_fibre_and_ieg_scores():
    m = sample_metrics(make([FEMALE, MALE]))
    # log2 CPM on the mRNA-like library: slow minus fast
    f_cpm = np.array(FEMALE, float) / 500 * 1e6
    expect = np.log2(f_cpm[7] + 1) - np.log2(f_cpm[8] + 1)
    assert m["fibre_type_score"].iloc[0] == pytest.approx(expect)
    assert m["fibre_type_score"].iloc[0] > 0 > m["fibre_type_score"].iloc[1]
    # IEGs present at 10 reads in the female sample, 0 in the male one
    assert m["ieg_score"].iloc[1] == 0
    assert m["ieg_score"].iloc[0] == pytest.approx(np.log2(10 / 500 * 1e6 + 1))


def test_missing_gene_list_gives_na():
    s = QCSettings.from_config(ieg_genes=("NOT_A_GENE",))
    m = sample_metrics(make([FEMALE]), s)
    assert m["ieg_score"].isna().all()
    assert m["fibre_type_score"].notna().all()


def test_missing_mito_flag_is_a_clear_error():
    a = make([FEMALE])
    del a.var["mito_rrna"]
    with pytest.raises(KeyError, match="mito_rrna.*ingest"):
        sample_metrics(a)


def test_settings_reject_unknown_keys():
    with pytest.raises(ValueError, match="config: key qc.*n_top"):
        QCSettings.from_config({"qc": {"n_top": 3}})
    s = QCSettings.from_config({"qc": {"slow_genes": ["MYH7"]}, "seed": 3})
    assert s.slow_genes == ("MYH7",) and s.seed == 3
