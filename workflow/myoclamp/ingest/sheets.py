"""Sample sheet and clinical table: read, rename role columns, validate, cross-check.

Everything here is cheap (no count values are read), so the Snakefile runs it at parse time and a
bad sheet stops the run before any rule starts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pandas as pd
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from myoclamp.errors import InputError, preview
from myoclamp.ingest.tables import read_table, table_row

log = logging.getLogger(__name__)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
ROLES = ("sample", "participant", "arm", "visit", "clamp", "site", "sex", "bam")
REQUIRED_ROLES = ("sample", "participant", "arm", "visit")


@dataclass
class Sheets:
    """The validated sample sheet (index = sample) and clinical table, in canonical names."""

    samples: pd.DataFrame
    clinical: pd.DataFrame | None
    columns: dict[str, str]


def role_columns(config: dict) -> dict[str, str]:
    """Role -> the trial's own column name, for the roles the config fills."""
    cols = config.get("columns", {})
    return {role: cols[role] for role in ROLES if cols.get(role)}


def _rename(
    df: pd.DataFrame, path: str, roles: dict[str, str], required: tuple[str, ...]
) -> pd.DataFrame:
    """Rename the trial's role columns to canonical names; error on a missing required one."""
    for role in required:
        name = roles.get(role)
        if name is None or name not in df.columns:
            raise InputError(
                path,
                f"column {name!r} (role {role!r})",
                f"required column missing; the file has {preview(df.columns, 12)}",
                f"add the column, or set columns.{role} in the config to the column that holds it",
            )
    mapping = {orig: role for role, orig in roles.items() if orig in df.columns}
    clash = [role for orig, role in mapping.items() if role in df.columns and role != orig]
    if clash:
        raise InputError(
            path,
            f"column {clash[0]!r}",
            f"the name {clash[0]!r} is taken by another column than the one configured",
            f"rename that column, or set columns.{clash[0]} to it",
        )
    return df.rename(columns=mapping)


def _validate_rows(df: pd.DataFrame, schema: str, path: str) -> None:
    """Validate each row against a JSON schema (snakemake.utils.validate), naming row and column."""
    try:
        validate(df.copy(), str(SCHEMAS / schema), set_default=False)
    except WorkflowError as err:
        inner = err.__context__ if isinstance(err.__context__, jsonschema.ValidationError) else None
        match = re.search(r"row (\d+)", str(err))
        where = table_row(int(match.group(1))) if match else "a row"
        col = ".".join(str(p) for p in inner.path) if inner is not None and inner.path else "?"
        raise InputError(
            path,
            f"{where}, column {col!r}",
            _describe(inner) if inner is not None else str(err),
            f"correct the value (rules for each column: workflow/schemas/{schema})",
        ) from err


def _describe(error: jsonschema.ValidationError) -> str:
    """What is wrong with a cell, without echoing its value (it may be a clinical value)."""
    rule, limit = error.validator, error.validator_value
    texts = {
        "maximum": f"value above the allowed maximum of {limit}",
        "minimum": f"value below the allowed minimum of {limit}",
        "type": f"value is not of the required type {limit}",
        "pattern": f"value does not match the required pattern {limit}",
        "minLength": "value is empty",
        "enum": f"value is not one of {limit}",
    }
    return texts.get(str(rule), f"value breaks the schema rule {rule}: {limit}")


def _check_levels(samples: pd.DataFrame, config: dict, path: str) -> None:
    """Each level named in config exists in its column."""
    for role, levels in config["levels"].items():
        if role == "sex" or role not in samples:
            continue
        present = set(samples[role].dropna())
        for key, level in levels.items():
            if level not in present:
                raise InputError(
                    path,
                    f"column {config['columns'].get(role)!r} (role {role!r})",
                    f"the configured level levels.{role}.{key} = {level!r} does not occur; "
                    f"values present: {preview(sorted(present))}",
                    f"set levels.{role}.{key} to one of the values present, or correct the sheet",
                )


def _check_within_participant(df: pd.DataFrame, role: str, path: str, what: str) -> None:
    n = df.dropna(subset=[role]).groupby("participant")[role].nunique()
    bad = n[n > 1].index.tolist()
    if bad:
        p = bad[0]
        vals = sorted(df.loc[df["participant"] == p, role].dropna().unique())
        raise InputError(
            path,
            f"participant {p!r}, column {role!r}",
            f"{what} varies within a participant ({', '.join(map(str, vals))}); "
            f"{len(bad)} participant(s) affected: {preview(bad)}",
            f"give each participant one {role}; if ids were numbered within each {role}, "
            "make participant ids unique across the trial",
        )


def read_samples(config: dict) -> pd.DataFrame:
    """Read and validate the sample sheet; return it indexed by sample, in canonical names."""
    path = config["inputs"]["samples"]
    roles = role_columns(config)
    df = _rename(read_table(path), path, roles, REQUIRED_ROLES)
    missing = df.index[df["sample"].isna()]
    if len(missing):
        raise InputError(
            path, table_row(missing[0]), "sample id is empty", "give every biopsy a sample id"
        )
    dup = df["sample"][df["sample"].duplicated(keep=False)]
    if len(dup):
        raise InputError(
            path,
            f"{table_row(dup.index[1])}, column {roles['sample']!r}",
            f"duplicated sample id(s) {preview(dup.unique())}",
            "give every biopsy its own sample id",
        )
    _validate_rows(df, "samples.schema.yaml", path)
    if config.get("columns", {}).get("clamp") and "clamp" not in df:
        raise InputError(
            path,
            f"column {roles['clamp']!r} (role 'clamp')",
            "the configured clamp-state column is missing",
            "add it, or set columns.clamp: null for a trial without insulin-stimulated biopsies",
        )
    _check_within_participant(df, "arm", path, "the arm")
    if "sex" in df:
        _check_within_participant(df, "sex", path, "sex")
    _check_levels(df, config, path)
    state = [c for c in ("participant", "visit", "clamp") if c in df]
    twin = df[df.duplicated(state, keep=False)]
    if len(twin):
        raise InputError(
            path,
            f"{table_row(twin.index[1])}",
            f"two biopsies with the same {'/'.join(state)}: samples {preview(twin['sample'])}",
            "remove the repeat, or list one of them under exclude: in the config with its reason",
        )
    return df.set_index("sample", drop=False).rename_axis(None)


def _numeric_columns(df: pd.DataFrame, path: str, required: set[str]) -> pd.DataFrame:
    """Convert clinical variables to numbers; a non-numeric configured variable is an error."""
    out = df.copy()
    for col in out.columns:
        if col in ("participant", "visit", "sex", "site"):
            continue
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() & out[col].notna()
        if not bad.any():
            out[col] = num
        elif col in required:
            i = bad.idxmax()
            raise InputError(
                path,
                f"{table_row(i)}, column {col!r}",
                f"not a number ({bad.sum()} such cell(s) in this column)",
                "write numbers with a decimal point and no units; leave a cell empty when missing",
            )
    return out


def read_clinical(config: dict, samples: pd.DataFrame) -> pd.DataFrame | None:
    """Read and validate the clinical table against the sample sheet."""
    path = config["inputs"].get("clinical")
    if not path:
        return None
    roles = {r: c for r, c in role_columns(config).items() if r in ("participant", "visit", "sex")}
    df = _rename(read_table(path), path, roles, ("participant", "visit"))
    clin = config.get("clinical", {})
    wanted = set(clin.get("variables", [])) | set(clin.get("covariates", []))
    if clin.get("m_value"):
        wanted.add(clin["m_value"])
    df = _numeric_columns(df, path, wanted)
    _validate_rows(df, "clinical.schema.yaml", path)
    dup = df[df.duplicated(["participant", "visit"], keep=False)]
    if len(dup):
        raise InputError(
            path,
            table_row(dup.index[1]),
            f"participant {dup['participant'].iloc[0]!r} has more than one row for visit "
            f"{dup['visit'].iloc[0]!r}",
            "keep one row per participant and visit",
        )
    unknown = sorted(set(df["participant"]) - set(samples["participant"]))
    if unknown:
        i = df.index[df["participant"].isin(unknown)][0]
        raise InputError(
            path,
            f"{table_row(i)}, column {roles['participant']!r}",
            f"participant(s) not in the sample sheet: {preview(unknown)}",
            "check the pseudonyms match the sample sheet's, or remove those rows",
        )
    if "sex" in df:
        _check_within_participant(df, "sex", path, "sex")
    known = set(samples.columns) | set(df.columns)
    absent = sorted(v for v in wanted if v not in known and v not in ROLES)
    if absent:
        raise InputError(
            path,
            f"column(s) {preview(absent)}",
            "named in the config's clinical section but found in neither the clinical table nor "
            "the sample sheet",
            "add the column(s), or remove them from clinical.variables / clinical.covariates / "
            "clinical.m_value",
        )
    missing = {c: int(df[c].isna().sum()) for c in sorted(wanted & set(df.columns))}
    log.info(
        "clinical table: %d rows, %d participants; missing values per variable: %s",
        len(df),
        df["participant"].nunique(),
        missing,
    )
    return df


def check_sex_codes(config: dict, table: pd.DataFrame, path: str) -> None:
    """Sex values must be the configured codes (levels.sex) or missing."""
    if "sex" not in table:
        return
    codes = config["levels"].get("sex", {"female": "F", "male": "M"})
    bad = table["sex"].dropna()[~table["sex"].dropna().isin(codes.values())]
    if len(bad):
        raise InputError(
            path,
            f"{table_row(bad.index[0])}, column 'sex'",
            f"sex {bad.iloc[0]!r} is neither of the configured codes {sorted(codes.values())}",
            "use the configured codes, or set levels.sex.female / levels.sex.male to your codes",
        )


def check_exclusions(config: dict, samples: pd.DataFrame, counted: list[str]) -> set[str]:
    """Exclusions name known samples; every counted sample is in the sheet and the reverse."""
    excluded = {e["sample"]: e["reason"] for e in config.get("exclude", [])}
    known = set(samples.index) | set(counted)
    unknown = sorted(set(excluded) - known)
    if unknown:
        raise InputError(
            "config",
            f"exclude: {preview(unknown)}",
            "excluded sample(s) not in the sheet or counts",
            "correct the sample ids under exclude:",
        )
    counts_path = config["inputs"]["counts"]
    extra = [s for s in counted if s not in samples.index and s not in excluded]
    if extra:
        raise InputError(
            counts_path,
            f"sample column(s) {preview(extra)}",
            f"{len(extra)} counted sample(s) not in the sample sheet {config['inputs']['samples']}",
            "add them to the sample sheet, or list them under exclude: in the config with a reason",
        )
    absent = [s for s in samples.index if s not in set(counted) and s not in excluded]
    if absent:
        raise InputError(
            config["inputs"]["samples"],
            f"sample(s) {preview(absent)}",
            f"{len(absent)} sample(s) of the sheet have no column in the count table {counts_path}",
            "correct the ids, or list them under exclude: in the config with a reason",
        )
    return set(excluded)


def load_sheets(config: dict) -> Sheets:
    """Read and cross-check sample sheet and clinical table (no counts read)."""
    samples = read_samples(config)
    clinical = read_clinical(config, samples)
    check_sex_codes(config, samples.reset_index(drop=True), config["inputs"]["samples"])
    if clinical is not None:
        check_sex_codes(config, clinical, config["inputs"]["clinical"])
    return Sheets(samples=samples, clinical=clinical, columns=role_columns(config))
