"""ipclab's grader: locate → stage → build → run → check → score → report."""
