"""The installed `zerodte` console script: help on every subcommand, clear errors without tracebacks."""
import os, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent / "zerodte"


def run(*args, cwd=None):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_console_script_help():
    r = run("--help")
    assert r.returncode == 0
    for cmd in ["data", "synth", "report", "demo"]:
        assert cmd in r.stdout


@pytest.mark.parametrize("sub", [["data", "import"], ["data", "show"], ["data", "alpaca"], ["synth"], ["report"], ["demo"]])
def test_every_subcommand_has_help(sub):
    r = run(*sub, "--help")
    assert r.returncode == 0 and "usage: zerodte" in r.stdout


def test_usage_error_is_one_clear_line_without_traceback():
    r = run("data", "import")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "required" in r.stderr
