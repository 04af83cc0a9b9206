"""The calibration CLIs' row printer: one header, then one TSV line per row."""

from myoclamp_tools.tsvout import RowPrinter


def test_header_once_then_rows(capsys):
    show = RowPrinter()
    show({"seed": 1, "rate": 0.123456})
    show({"seed": 2, "rate": 0.5})
    assert capsys.readouterr().out.splitlines() == ["seed\trate", "1\t0.1235", "2\t0.5"]
