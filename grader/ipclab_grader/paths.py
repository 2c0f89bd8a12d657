"""Where the lab's own files are, wherever ipclab is run from."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
HIDDEN = ROOT / "grader" / "hidden"
LAB_INCLUDE = ROOT / "lab" / "include"
PYTHON = "/usr/bin/python3"
