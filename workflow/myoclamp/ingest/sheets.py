"""Sample sheet and clinical table: read, rename role columns, validate, cross-check.

Everything here is cheap (no count values are read), so the Snakefile runs it at parse time and a
bad sheet stops the run before any rule starts.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from myoclamp.errors import InputError, Problems, preview
from myoclamp.ingest import joins
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
    #: what the join of the two tables left unmatched (reported, not errors)
    notes: list[str] = field(default_factory=list)


def role_columns(config: dict) -> dict[str, str]:
    """Role -> the trial's own column name, for the roles the config fills."""
    cols = config.get("columns", {})
    return {role: cols[role] for role in ROLES if cols.get(role)}


def _rename(
    df: pd.DataFrame, path: str, roles: dict[str, str], required: tuple[str, ...]
) -> pd.DataFrame:
    """Rename the trial's role columns to canonical names; error on missing required ones."""
    problems = Problems()
    for role in required:
        name = roles.get(role)
        if name is None or name not in df.columns:
            problems.add(
                InputError(
                    path,
                    f"column {name!r} (role {role!r})",
                    f"required column missing; the file has {preview(df.columns, 12)}",
                    f"add the column, or set columns.{role} in the config to the column that "
                    "holds it",
                )
            )
    problems.raise_any()
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


@functools.cache
def _validator(schema: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(yaml.safe_load((SCHEMAS / schema).read_text()))


def _validate_rows(df: pd.DataFrame, schema: str, path: str) -> None:
    """Validate each row against a JSON schema, as ``snakemake.utils.validate`` does (missing
    cells left out), and report every broken rule once with its column and rows."""
    validator = _validator(schema)
    found: dict[tuple[str, str], list[int]] = {}
    for i, record in zip(df.index, df.to_dict("records"), strict=True):
        record = {k: v for k, v in record.items() if pd.notnull(v)}
        for error in validator.iter_errors(record):
            if error.validator == "required":
                cols = [c for c in error.validator_value if c not in record]
                for col in cols:
                    found.setdefault((col, "value is missing"), []).append(i)
                continue
            col = ".".join(str(p) for p in error.path) or "?"
            found.setdefault((col, _describe(error)), []).append(i)
    problems = Problems()
    for (col, problem), rows in found.items():
        more = f" ({len(rows)} rows: {row_numbers(rows)})" if len(rows) > 1 else ""
        problems.add(
            InputError(
                path,
                f"{table_row(rows[0])}, column {col!r}",
                problem + more,
                f"correct the value (rules for each column: workflow/schemas/{schema})",
            )
        )
    problems.raise_any()


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
            f"give each participant one {role}"
            + (
                "; if ids were numbered within each arm, make participant ids unique across "
                "the trial"
                if role == "arm"
                else ""
            ),
        )


def _check_sample_ids(df: pd.DataFrame, path: str, roles: dict[str, str]) -> None:
    problems = Problems()
    missing = df.index[df["sample"].isna()]
    if len(missing):
        problems.add(
            InputError(
                path,
                f"{table_row(missing[0])}, column {roles['sample']!r}",
                f"sample id is empty ({len(missing)} row(s): {row_numbers(missing)})",
                "give every biopsy a sample id",
            )
        )
    dup = df["sample"][df["sample"].duplicated(keep=False) & df["sample"].notna()]
    if len(dup):
        problems.add(
            InputError(
                path,
                f"{table_row(dup.index[1])}, column {roles['sample']!r}",
                f"duplicated sample id(s) {preview(dup.unique())}",
                "give every biopsy its own sample id",
            )
        )
    problems.raise_any()


def _check_clamp_column(df: pd.DataFrame, config: dict, path: str, roles: dict[str, str]) -> None:
    if config.get("columns", {}).get("clamp") and "clamp" not in df:
        raise InputError(
            path,
            f"column {roles['clamp']!r} (role 'clamp')",
            "the configured clamp-state column is missing",
            "add it, or set columns.clamp: null for a trial without insulin-stimulated biopsies",
        )


def _check_repeated_states(df: pd.DataFrame, path: str) -> None:
    state = [c for c in ("participant", "visit", "clamp") if c in df]
    twin = df[df.duplicated(state, keep=False) & df[state].notna().all(axis=1)]
    if len(twin):
        raise InputError(
            path,
            f"{table_row(twin.index[1])}",
            f"two biopsies with the same {'/'.join(state)}: samples {preview(twin['sample'])}",
            "remove the repeat, or list one of them under exclude: in the config with its reason",
        )


def read_samples(config: dict) -> pd.DataFrame:
    """Read and validate the sample sheet; return it indexed by sample, in canonical names.

    Every independent problem of the sheet is reported together (one InputErrors).
    """
    path = config["inputs"]["samples"]
    roles = role_columns(config)
    df = _rename(read_table(path), path, roles, REQUIRED_ROLES)
    problems = Problems()
    problems.run(_check_sample_ids, df, path, roles)
    problems.run(_validate_rows, df, "samples.schema.yaml", path)
    problems.run(_check_clamp_column, df, config, path, roles)
    problems.run(_check_within_participant, df, "arm", path, "the arm")
    if "sex" in df:
        problems.run(_check_within_participant, df, "sex", path, "sex")
    problems.run(_check_levels, df, config, path)
    problems.run(_check_repeated_states, df, path)
    problems.raise_any()
    return df.set_index("sample", drop=False).rename_axis(None)


def row_numbers(index) -> str:
    """Human row numbers of data rows (header = row 1): 2, 5, 9 (and 3 more)."""
    return preview([int(i) + 2 for i in index], quote=False)


def _numeric_columns(df: pd.DataFrame, path: str, required: set[str]) -> pd.DataFrame:
    """Convert clinical variables to numbers; a non-numeric configured variable is an error."""
    out = df.copy()
    problems = Problems()
    for col in out.columns:
        if col in ("participant", "visit", "sex", "site"):
            continue
        num = pd.to_numeric(out[col], errors="coerce")
        bad = num.isna() & out[col].notna()
        if not bad.any():
            out[col] = num
        elif col in required:
            rows = out.index[bad]
            problems.add(
                InputError(
                    path,
                    f"{table_row(rows[0])}, column {col!r}",
                    f"not a number ({len(rows)} such cell(s) in this column: {row_numbers(rows)})",
                    "write numbers with a decimal point and no units; leave a cell empty when "
                    "missing",
                )
            )
    problems.raise_any()
    return out


def _check_clinical_duplicates(df: pd.DataFrame, path: str) -> None:
    dup = df[df.duplicated(["participant", "visit"], keep=False)]
    if len(dup):
        raise InputError(
            path,
            table_row(dup.index[1]),
            f"participant {dup['participant'].iloc[0]!r} has more than one row for visit "
            f"{dup['visit'].iloc[0]!r} ({len(dup)} rows repeat a participant and visit)",
            "keep one row per participant and visit",
        )


def _check_configured_variables(
    df: pd.DataFrame, samples: pd.DataFrame | None, wanted: set[str], path: str
) -> None:
    known = set(df.columns) | (set(samples.columns) if samples is not None else set())
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


def read_clinical(config: dict, samples: pd.DataFrame | None) -> pd.DataFrame | None:
    """Read and validate the clinical table, and check its join keys against the sample sheet
    (skipped when ``samples`` is None: the sheet itself failed)."""
    path = config["inputs"].get("clinical")
    if not path:
        return None
    roles = {r: c for r, c in role_columns(config).items() if r in ("participant", "visit", "sex")}
    df = _rename(read_table(path), path, roles, ("participant", "visit"))
    clin = config.get("clinical", {})
    wanted = set(clin.get("variables", [])) | set(clin.get("covariates", []))
    if clin.get("m_value"):
        wanted.add(clin["m_value"])
    problems = Problems()
    converted = problems.run(_numeric_columns, df, path, wanted)
    if converted is not None:  # a non-numeric cell is not also a schema error
        df = converted
        problems.run(_validate_rows, df, "clinical.schema.yaml", path)
    problems.run(_check_clinical_duplicates, df, path)
    if "sex" in df:
        problems.run(_check_within_participant, df, "sex", path, "sex")
    problems.run(_check_configured_variables, df, samples, wanted, path)
    if samples is not None:
        sheet = config["inputs"]["samples"]
        for key in ("participant", "visit"):
            problems.run(joins.check_labels, df, samples, key, roles[key], path, sheet)
    problems.raise_any()
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
    problems = Problems()
    unknown = sorted(set(excluded) - known)
    if unknown:
        problems.add(
            InputError(
                "config",
                f"exclude: {preview(unknown)}",
                "excluded sample(s) not in the sheet or counts",
                "correct the sample ids under exclude:",
            )
        )
    counts_path = config["inputs"]["counts"]
    extra = [s for s in counted if s not in samples.index and s not in excluded]
    if extra:
        problems.add(
            InputError(
                counts_path,
                f"sample column(s) {preview(extra)}",
                f"{len(extra)} counted sample(s) not in the sample sheet "
                f"{config['inputs']['samples']}",
                "add them to the sample sheet, or list them under exclude: in the config with a "
                "reason",
            )
        )
    counted_set = set(counted)
    absent = [s for s in samples.index if s not in counted_set and s not in excluded]
    if absent:
        problems.add(
            InputError(
                config["inputs"]["samples"],
                f"sample(s) {preview(absent)}",
                f"{len(absent)} sample(s) of the sheet have no column in the count table "
                f"{counts_path}",
                "correct the ids, or list them under exclude: in the config with a reason",
            )
        )
    problems.raise_any()
    return set(excluded)


def load_sheets(config: dict) -> Sheets:
    """Read and cross-check sample sheet and clinical table (no counts read).

    Problems of both tables are reported together; the join of the two is checked (labels,
    columns both hold) and what it leaves unmatched is in ``notes``.
    """
    problems = Problems()
    samples = problems.run(read_samples, config)
    clinical = problems.run(read_clinical, config, samples)
    if samples is not None:
        problems.run(
            check_sex_codes, config, samples.reset_index(drop=True), config["inputs"]["samples"]
        )
    if clinical is not None:
        problems.run(check_sex_codes, config, clinical, config["inputs"]["clinical"])
    notes: list[str] = []
    if samples is not None and clinical is not None:
        shared = joins.shared_columns(samples, clinical, role_columns(config))
        for err in joins.check_shared(
            samples, clinical, shared, config["inputs"]["samples"], config["inputs"]["clinical"]
        ):
            problems.add(err)
        notes = joins.join_notes(samples, clinical)
    problems.raise_any()
    for note in notes:
        log.warning("clinical join: %s", note)
    return Sheets(samples=samples, clinical=clinical, columns=role_columns(config), notes=notes)
