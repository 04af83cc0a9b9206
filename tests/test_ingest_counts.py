"""Count-table readers, each on a fixture in its real format."""

import numpy as np
import pytest
from cohort import cohort_tables, gzip_text

from myoclamp.errors import InputError
from myoclamp.ingest.counts import header_columns, read_counts, sample_from_bam


def test_plain_matrix_gzipped_csv(cohort):
    cfg, _ = cohort("matrix")
    table = read_counts(cfg["inputs"]["counts"], "matrix")
    truth = cohort_tables()["counts"]
    assert table.counts.shape == truth.shape
    assert table.counts.dtypes.unique().tolist() == [np.dtype("int32")]
    assert (table.counts.to_numpy() == truth.to_numpy()).all()
    assert list(table.counts.index[:3]) == ["RNR1", "RNR2", "COX1"]


def test_plain_matrix_tsv(tmp_path):
    path = tmp_path / "counts.tsv"
    path.write_text("gene\tS1\tS2\nA\t1\t2\nB\t0\t5\n")
    table = read_counts(path, "matrix")
    assert table.counts.loc["B", "S2"] == 5
    assert header_columns(path, "matrix") == ["S1", "S2"]


def test_featurecounts_maps_bam_paths_to_samples(cohort):
    cfg, _ = cohort("featurecounts")
    table = read_counts(cfg["inputs"]["counts"], "featurecounts")
    truth = cohort_tables()["counts"]
    assert list(table.counts.columns) == list(truth.columns)
    assert table.genes.loc[table.counts.index[0], "chromosome"] == "chrM"
    assert (table.counts.to_numpy() == truth.to_numpy()).all()


def test_featurecounts_maps_through_the_sheet(cohort):
    cfg, _ = cohort("featurecounts")
    cols = header_columns(cfg["inputs"]["counts"], "featurecounts")
    mapping = {c: f"X{i}" for i, c in enumerate(cols)}
    table = read_counts(cfg["inputs"]["counts"], "featurecounts", bam_to_sample=mapping)
    assert list(table.counts.columns) == [f"X{i}" for i in range(len(cols))]


@pytest.mark.parametrize(
    ("path", "sample"),
    [
        ("/a/b/S1.sorted.bam", "S1"),
        ("S2.bam", "S2"),
        ("x/S3Aligned.sortedByCoord.out.bam", "S3"),
        ("S4.markdup.sorted.bam", "S4"),
        ("S5", "S5"),
    ],
)
def test_sample_from_bam(path, sample):
    assert sample_from_bam(path) == sample


def test_nfcore_rounds_estimated_counts_and_keeps_names(cohort):
    cfg, _ = cohort("nfcore")
    table = read_counts(cfg["inputs"]["counts"], "nfcore")
    truth = cohort_tables()["counts"]
    assert (table.counts.to_numpy() == truth.to_numpy()).all()  # x + 0.37 rounds back to x
    assert table.notes["non_integer_entries"] == int((truth.to_numpy() > 0).sum())
    assert table.genes["symbol"].iloc[0] == "RNR1"


def test_nfcore_rsem_table_drops_transcript_column(tmp_path):
    path = tmp_path / "rsem.merged.gene_counts.tsv"
    path.write_text("gene_id\ttranscript_id(s)\tS1\tS2\nENSG00000000003.15\tT1,T2\t10.00\t3.50\n")
    table = read_counts(path, "nfcore")
    assert list(table.counts.columns) == ["S1", "S2"]
    assert table.counts.iloc[0].tolist() == [10, 4]


BAD_MATRICES = {
    "negative": ("gene,S1,S2\nA,1,-2\n", "negative", "raw counts"),
    "non-numeric": ("gene,S1,S2\nA,1,two\n", "non-numeric", "numbers"),
    "non-integer": ("gene,S1,S2\nA,1,2.5\n", "non-integer", "round_counts"),
    "empty cell": ("gene,S1,S2\nA,1,\n", "empty count", "write 0"),
    "duplicated sample": ("gene,S1,S1\nA,1,2\n", "duplicated sample", "unique"),
}


@pytest.mark.parametrize("case", BAD_MATRICES)
def test_bad_counts_name_file_place_and_fix(tmp_path, case):
    text, problem, fix = BAD_MATRICES[case]
    path = gzip_text(tmp_path / "counts.csv.gz", text)
    with pytest.raises(InputError) as err:
        read_counts(path, "matrix")
    msg = str(err.value)
    assert str(path) in msg and problem in msg and fix in msg
    if case in ("negative", "non-numeric", "non-integer", "empty cell"):
        assert "gene 'A'" in msg and "S2" in msg


def test_non_integer_counts_can_be_rounded_on_request(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("gene,S1\nA,2.6\n")
    assert read_counts(path, "matrix", round_counts=True).counts.iloc[0, 0] == 3


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("counts.csv", "", "empty"),
        ("counts.csv", "\n\n", "empty"),
        ("counts.csv", "gene\tS1\nA\t1\n", "tab-separated"),
        ("counts.tsv", "gene;S1\nA;1\n", "semicolon-separated"),
        ("counts.xlsx", "x", "unknown table type"),
    ],
)
def test_empty_and_wrong_delimiter(tmp_path, name, text, problem):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as err:
        read_counts(path, "matrix")
    assert "fix:" in str(err.value) and str(path) in str(err.value)


def test_featurecounts_header_is_checked(tmp_path):
    path = tmp_path / "fc.txt"
    path.write_text("# Program:featureCounts\nGeneid\tChr\tS1\nA\tchr1\t1\n")
    with pytest.raises(InputError, match="Geneid Chr Start End Strand Length"):
        read_counts(path, "featurecounts")
