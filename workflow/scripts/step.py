"""Entry point of every rule: run the package function registered under the rule's name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (workflow/ holds myoclamp)

from myoclamp.steps import run_rule

run_rule(snakemake)  # noqa: F821
