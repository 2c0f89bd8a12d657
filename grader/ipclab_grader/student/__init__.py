"""What the student's own commands decide (list, check, hint, watch, reset, clean, doctor):
common.py (finding an exercise by what a student types, one-line errors, the check screen),
progress.py (each exercise's status and last check), state.py (.ipclab/, what they remember),
pristine.py (the skeletons as shipped), cleaner.py (which IPC objects `clean` may remove),
diagnose.py (what `doctor` looks at).

May import: core, ipclab_harness, pipeline/ (a student's check is a grade) and reports/.
Never course/ or commands/.
"""
