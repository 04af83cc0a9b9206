"""Gene keys, symbols and flags."""

import pandas as pd
import pytest

from myoclamp.errors import InputError
from myoclamp.ingest.genes import annotate, id_type, is_mito, load_gene_map, strip_version


def test_id_type_recognises_ensembl_and_symbols():
    assert id_type(pd.Index(["ENSG00000141510.17", "ENSG00000000003"])) == "ensembl"
    assert id_type(pd.Index(["TP53", "TSPAN6", "ENSG00000000003"])) == "symbol"
    assert id_type(pd.Index(["TP53"]), "ensembl") == "ensembl"


def test_strip_version_keeps_par_y_apart():
    ids = pd.Index(["ENSG00000141510.17", "ENSG00000002586.20", "ENSG00000002586.20_PAR_Y", "TP53"])
    assert list(strip_version(ids)) == [
        "ENSG00000141510",
        "ENSG00000002586",
        "ENSG00000002586_PAR_Y",
        "TP53",
    ]


def test_mito_by_ncbi_names_mt_prefix_and_chromosome():
    sym = pd.Series(["COX1", "MT-CO1", "ND4L", "RNR2", "COX4I1", "NDUFA4", "X"])
    chrom = pd.Series(["", "", "", "", "", "", "chrM"])
    assert is_mito(sym, chrom).tolist() == [True, True, True, True, False, False, True]


def test_flags_in_var():
    keys = pd.Index(
        ["RNR2", "MT-RNR1", "COX3", "RPL13A", "RPS4Y1", "RPLP0", "MRPL12", "RPL13AP5", "TTN"]
    )
    var, _ = annotate(keys, pd.DataFrame(index=keys), "symbol", None)
    assert var["mito_rrna"].tolist() == [True, True] + [False] * 7
    assert var["mito"].tolist() == [True, True, True] + [False] * 6
    assert var["ribo"].tolist() == [False] * 3 + [True, True, True, False, False, False]


def test_ensembl_keys_get_symbols_from_the_bundled_map():
    gene_map = load_gene_map()
    assert gene_map is not None, "resources/genes/human_genes.tsv.gz is missing"
    keys = pd.Index(["ENSG00000198804.2", "ENSG00000155657.29", "ENSG00000210082.2"])
    var, report = annotate(keys, pd.DataFrame(index=keys), "ensembl", gene_map)
    assert var["symbol"].tolist() == ["COX1", "TTN", "RNR2"]
    assert var["mito"].tolist() == [True, False, True]
    assert var["mito_rrna"].tolist() == [False, False, True]
    assert report["versions_stripped"] == 3


def test_both_ids_kept_when_both_given_and_duplicated_symbols_reported():
    keys = pd.Index(["ENSG00000000003.1", "ENSG00000000005.2", "ENSG00000000419.3"])
    genes = pd.DataFrame({"symbol": ["A", "A", "B"]}, index=keys)
    var, report = annotate(keys, genes, "ensembl", None)
    assert list(var.index) == ["ENSG00000000003", "ENSG00000000005", "ENSG00000000419"]
    assert var["symbol"].tolist() == ["A", "A", "B"]
    assert report["duplicated_symbols"] == ["A"]


def test_duplicated_gene_is_an_error_that_names_it(tmp_path):
    keys = pd.Index(["TTN", "NEB", "TTN"])
    with pytest.raises(
        InputError, match=r"(?s)duplicated gene symbol.*'TTN'.*duplicate_genes: sum"
    ):
        annotate(keys, pd.DataFrame(index=keys), "symbol", None, tmp_path / "c.csv")


def test_duplicates_after_version_stripping_are_named():
    keys = pd.Index(["ENSG00000000003.1", "ENSG00000000003.2"])
    with pytest.raises(InputError, match="after removing Ensembl version"):
        annotate(keys, pd.DataFrame(index=keys), "ensembl", None)
