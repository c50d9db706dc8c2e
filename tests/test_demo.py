"""The README's demo runs, checks its claim and writes its figure."""

from sklearn_convexnn.__main__ import main


def test_demo_certifies_and_writes_the_figure(tmp_path, capsys):
    output = tmp_path / "demo.png"
    assert main(["--output", str(output), "--seeds", "3", "--samples", "10"]) == 0
    assert output.stat().st_size > 10_000
    text = capsys.readouterr().out
    assert "global optimum" in text and "No MLPRegressor run went below" in text
