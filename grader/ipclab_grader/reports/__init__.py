"""A grade rendered: report.py (text, JSON ipclab-result/2, Gradescope, JUnit, and the table of
every format), markdown.py (GitHub job summary), classroom.py (GitHub Classroom), vpl.py
(Moodle VPL), prairielearn.py, autolab.py; result_file.py reads a saved JSON result back into
a Grade; platforms.py is what the platforms' drivers share (their words, the zero grade of a
submission that could not be graded, the one grade a driver runs).

May import: core, ipclab_harness and pipeline/ (the Grade it renders). Never course/,
student/ or commands/.
"""
