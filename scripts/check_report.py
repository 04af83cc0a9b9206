"""Check the report's first screen against the run's tables: scripts/check_report.py RUN_DIR."""

import sys

from myoclamp_tools.report_check import main

if __name__ == "__main__":
    sys.exit(main())
