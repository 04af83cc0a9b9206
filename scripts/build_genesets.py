"""Build the bundled gene-set collections and gene-id maps from Debian's annotation databases.

Reads the SQLite files of Debian's ``r-bioc-org.hs.eg.db`` and ``r-bioc-go.db`` (install them
with ``scripts/install_annotation.sh``) with Python's ``sqlite3`` and the curated muscle facts in
``../shared/reference/``, and writes (all committed; the workflow never downloads):

- ``resources/genesets/go_bp.gmt.gz``, ``go_mf.gmt.gz``, ``go_cc.gmt.gz``: GO terms with the
  annotations propagated to all parent terms (``go_*_all`` tables, every evidence code except
  ND), genes as NCBI symbols, terms of genome-wide size ``--min-size``..``--max-size`` (the
  workflow filters again on the genes it tests);
- ``resources/genesets/muscle.gmt``: the curated muscle sets (membership rules in
  ``MUSCLE_RULES`` and docs/enrichment.md);
- ``resources/genesets/manifest.tsv``: file, collection, number of sets, source versions, sha256;
- ``resources/genes/human_genes.tsv.gz``: ensembl_id, entrez_id, symbol, chromosome, gene_type;
- ``resources/genes/human_gene_aliases.tsv.gz``: alias, symbol.

Usage: ``python scripts/build_genesets.py [--orgdb PATH] [--godb PATH] [--reference DIR]``.
Output is deterministic (sorted rows, gzip without a time stamp), so a rebuild from the same
packages gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import re
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORGDB = Path("/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite")
GODB = Path("/usr/lib/R/site-library/GO.db/extdata/GO.sqlite")
REFERENCE = ROOT.parent / "shared" / "reference"

ONTOLOGIES = {"go_bp": "BP", "go_mf": "MF", "go_cc": "CC"}

# Fibre-type isoform markers (muscle_biology.md names MYH7, TNNT1, MYL2 vs MYH1, MYH2, TNNT3,
# ACTN3 and the oxidative vs glycolytic programmes; the paralogous isoforms of the same
# sarcomeric and calcium-handling families follow Schiaffino & Reggiani, Physiol Rev 2011).
SLOW_FIBRE = [
    "MYH7", "MYL2", "MYL3", "TNNT1", "TNNI1", "TNNC1", "TPM3", "ATP2A2", "CASQ2", "MYOZ2",
    "MB", "LDHB",
]  # fmt: skip
FAST_FIBRE = [
    "MYH1", "MYH2", "MYL1", "MYL11", "TNNT3", "TNNI2", "TNNC2", "TPM1", "ATP2A1", "CASQ1",
    "ACTN3", "PVALB", "MYBPC2", "LDHA", "PFKM", "ALDOA", "GAPDH", "PGK1", "PGAM2", "ENO3",
    "PKM", "TPI1", "GPI", "PYGM",
]  # fmt: skip

# structural OXPHOS subunit families named in insulin_responsive_genes.csv
# (NDUF*/COX*/ATP5*/UQCR*/SDH*) plus the mitochondrial-encoded subunits (NCBI names)
OXPHOS_SYMBOL = re.compile(
    r"^(NDUF[ABCSV]\d+|NDUFAB1|SDH[ABCD]|UQCR\w*|CYC1|COX[4-8][A-CI]?\d*|COX[123]|ATP5\w+"
    r"|ND[1-6]|ND4L|CYTB|ATP6|ATP8)$"
)
HSP_NAME = re.compile(
    r"^(heat shock protein (family|\d+)|DnaJ heat shock protein family \(Hsp40\) member [AB])"
)

MUSCLE_RULES = {
    "CLAMP_RESPONSE_UP": "insulin_responsive_genes.csv rows with role clamp_response, direction up",
    "CLAMP_RESPONSE_DOWN": "insulin_responsive_genes.csv rows with role clamp_response, "
    "direction down",
    "HEAT_SHOCK_PROTEINS": "protein-coding genes whose NCBI name is a heat shock protein family "
    "member (Hsp70, Hsp90, Hsp60, Hsp10, Hsp110, small HSPs) or a type A/B DnaJ (Hsp40)",
    "OXPHOS": "protein-coding genes annotated to GO:0006119 oxidative phosphorylation whose symbol "
    "is a structural subunit family NDUF*/SDH*/UQCR*/CYC1/COX*/ATP5* or mitochondrial-encoded",
    "FIBRE_SLOW_OXIDATIVE": "slow (type I) isoforms of myosin chains, troponins, tropomyosin, "
    "SERCA, calsequestrin, plus MB and LDHB",
    "FIBRE_FAST_GLYCOLYTIC": "fast (type II) isoforms of myosin chains, troponins, tropomyosin, "
    "SERCA, calsequestrin, ACTN3, PVALB, LDHA, muscle glycolytic enzymes",
    "INSULIN_REGULATED_TFS": "clamp_response genes of insulin_responsive_genes.csv annotated to "
    "GO:0003700 DNA-binding transcription factor activity (propagated)",
}


def sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bytes_gz(path: Path, text: str) -> None:
    """Write ``text`` gzip-compressed with mtime 0, so rebuilds are byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode())
    path.write_bytes(buf.getvalue())


def gmt_text(sets: dict[str, tuple[str, list[str]]]) -> str:
    """Format ``{name: (description, genes)}`` as GMT, sets and genes sorted."""
    lines = [
        "\t".join([name, desc, *sorted(set(genes))]) for name, (desc, genes) in sorted(sets.items())
    ]
    return "\n".join(lines) + "\n"


def metadata(con: sqlite3.Connection) -> dict[str, str]:
    """Return the ``metadata`` table of an AnnotationDbi SQLite file."""
    return dict(con.execute("SELECT name, value FROM metadata").fetchall())


def go_collections(
    org: sqlite3.Connection, godb: Path, min_size: int, max_size: int
) -> dict[str, dict[str, tuple[str, list[str]]]]:
    """Return ``{collection: {go_id: (term, symbols)}}`` from the propagated GO tables."""
    org.execute("ATTACH DATABASE ? AS go", (f"file:{godb}?mode=ro",))
    out: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for coll, ont in ONTOLOGIES.items():
        table = f"{coll}_all"
        rows = org.execute(
            f"SELECT a.go_id, t.term, i.symbol FROM {table} a "
            "JOIN gene_info i ON i._id = a._id JOIN go.go_term t ON t.go_id = a.go_id "
            "WHERE a.evidence != 'ND' AND t.ontology = ?",
            (ont,),
        ).fetchall()
        genes: dict[str, set[str]] = defaultdict(set)
        names: dict[str, str] = {}
        for go_id, term, symbol in rows:
            genes[go_id].add(symbol)
            names[go_id] = term
        out[coll] = {
            gid: (names[gid], sorted(g))
            for gid, g in genes.items()
            if min_size <= len(g) <= max_size
        }
    org.execute("DETACH DATABASE go")
    return out


def read_reference(reference: Path) -> list[dict[str, str]]:
    """Read insulin_responsive_genes.csv."""
    path = reference / "insulin_responsive_genes.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for col in ("gene", "role", "direction"):
        if rows and col not in rows[0]:
            sys.exit(f"{path}: column {col!r} missing; expected gene, role, direction, ...")
    return rows


def muscle_sets(org: sqlite3.Connection, reference: Path) -> dict[str, tuple[str, list[str]]]:
    """Return the curated muscle sets, each checked against the org.Hs.eg.db symbols."""
    ref = read_reference(reference)
    coding = {
        sym: name
        for sym, name in org.execute(
            "SELECT i.symbol, i.gene_name FROM gene_info i JOIN genetype t ON t._id = i._id "
            "WHERE t.gene_type = 'protein-coding'"
        )
    }
    clamp = [r for r in ref if r["role"] == "clamp_response"]
    up = [r["gene"] for r in clamp if r["direction"] == "up"]
    down = [r["gene"] for r in clamp if r["direction"] == "down"]
    regulators = {
        s
        for (s,) in org.execute(
            "SELECT DISTINCT i.symbol FROM go_mf_all a JOIN gene_info i ON i._id = a._id "
            "WHERE a.go_id = 'GO:0003700'"
        )
    }
    oxphos_go = {
        s
        for (s,) in org.execute(
            "SELECT DISTINCT i.symbol FROM go_bp_all a JOIN gene_info i ON i._id = a._id "
            "WHERE a.go_id = 'GO:0006119'"
        )
    }
    sets = {
        "CLAMP_RESPONSE_UP": up,
        "CLAMP_RESPONSE_DOWN": down,
        "HEAT_SHOCK_PROTEINS": [
            s for s, n in coding.items() if HSP_NAME.match(n) and "import" not in n
        ],
        "OXPHOS": [s for s in oxphos_go if s in coding and OXPHOS_SYMBOL.match(s)],
        "FIBRE_SLOW_OXIDATIVE": SLOW_FIBRE,
        "FIBRE_FAST_GLYCOLYTIC": FAST_FIBRE,
        "INSULIN_REGULATED_TFS": sorted({g for g in up + down if g in regulators}),
    }
    for name, genes in sets.items():
        unknown = sorted(g for g in genes if g not in coding)
        if unknown:
            sys.exit(f"muscle set {name}: {unknown} are not protein-coding symbols of org.Hs.eg.db")
    return {name: (MUSCLE_RULES[name], genes) for name, genes in sets.items()}


def gene_tables(org: sqlite3.Connection) -> tuple[str, str]:
    """Return the TSV texts of the gene-id map and the alias map."""
    chrom: dict[int, list[str]] = defaultdict(list)
    for _id, c in org.execute("SELECT _id, chromosome FROM chromosomes"):
        chrom[_id].append(c)
    ens: dict[int, list[str]] = defaultdict(list)
    for _id, e in org.execute("SELECT _id, ensembl_id FROM ensembl"):
        ens[_id].append(e)
    rows = []
    for _id, entrez, symbol, gtype in org.execute(
        "SELECT g._id, g.gene_id, i.symbol, t.gene_type FROM genes g "
        "JOIN gene_info i ON i._id = g._id LEFT JOIN genetype t ON t._id = g._id"
    ):
        c = "|".join(sorted(set(chrom.get(_id, []))))
        for e in sorted(set(ens.get(_id, []))) or [""]:
            rows.append((e, int(entrez), symbol, c, gtype or ""))
    rows.sort(key=lambda r: (r[0] == "", r[0], r[1]))
    genes = "ensembl_id\tentrez_id\tsymbol\tchromosome\tgene_type\n" + "".join(
        f"{e}\t{n}\t{s}\t{c}\t{t}\n" for e, n, s, c, t in rows
    )
    aliases = sorted(
        set(
            org.execute(
                "SELECT a.alias_symbol, i.symbol FROM alias a JOIN gene_info i ON i._id = a._id "
                "WHERE a.alias_symbol != i.symbol"
            ).fetchall()
        )
    )
    alias_text = "alias\tsymbol\n" + "".join(f"{a}\t{s}\n" for a, s in aliases)
    return genes, alias_text


def main(argv: list[str] | None = None) -> None:
    """Build every bundled file and print the manifest."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orgdb", type=Path, default=ORGDB)
    ap.add_argument("--godb", type=Path, default=GODB)
    ap.add_argument("--reference", type=Path, default=REFERENCE)
    ap.add_argument("--out", type=Path, default=ROOT / "resources")
    ap.add_argument("--min-size", type=int, default=10)
    ap.add_argument("--max-size", type=int, default=1000)
    args = ap.parse_args(argv)
    for p in (args.orgdb, args.godb):
        if not p.exists():
            sys.exit(f"{p} not found: run scripts/install_annotation.sh first")

    org = sqlite3.connect(f"file:{args.orgdb}?mode=ro", uri=True)
    meta = metadata(org)
    with sqlite3.connect(f"file:{args.godb}?mode=ro", uri=True) as g:
        go_meta = metadata(g)
    version = (
        f"org.Hs.eg.db 3.16.0 (Entrez Gene {meta['EGSOURCEDATE']}, GO annotations "
        f"{meta['GOSOURCEDATE']}); GO.db 3.16.0 (ontology {go_meta['GOSOURCEDATE']})"
    )
    gs_dir = args.out / "genesets"
    manifest = []
    for coll, sets in go_collections(org, args.godb, args.min_size, args.max_size).items():
        path = gs_dir / f"{coll}.gmt.gz"
        write_bytes_gz(path, gmt_text(sets))
        manifest.append((path, coll, len(sets), version))
    muscle = muscle_sets(org, args.reference)
    path = gs_dir / "muscle.gmt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(gmt_text(muscle))
    ref_sha = sha256(args.reference / "insulin_responsive_genes.csv")[:12]
    manifest.append((path, "muscle", len(muscle), f"{version}; reference csv sha256 {ref_sha}"))

    genes, aliases = gene_tables(org)
    write_bytes_gz(args.out / "genes" / "human_genes.tsv.gz", genes)
    write_bytes_gz(args.out / "genes" / "human_gene_aliases.tsv.gz", aliases)
    for name in ("human_genes.tsv.gz", "human_gene_aliases.tsv.gz"):
        manifest.append((args.out / "genes" / name, "gene map", 0, version))

    lines = ["file\tcollection\tn_sets\tversion\tsha256"]
    for p, coll, n, ver in manifest:
        lines.append(f"{p.relative_to(args.out.parent)}\t{coll}\t{n}\t{ver}\t{sha256(p)}")
    (gs_dir / "manifest.tsv").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
