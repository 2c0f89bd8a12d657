"""One grade of one submission, step by step. This is the one list of the steps; every other
docstring that speaks of a step points here:

    1. locate     locate.py      find the exercise folders in what was handed in
    2. stage      stage.py       copy only the files students edit, each beside the lab's own
    3. build      builder/       build each exercise on its own, sandboxed, cached by content
    4. integrity  integrity.py   what a compiled student file reaches for that no solution needs
                                 (read in the build's sandbox, kept with the build)
    5. run        run.py         the unit tests and the process checks, each in a sandbox
    6. score      score.py       raw results into graded checks with the manifest's points

grade.py runs them in that order for a whole submission. What the steps share: discover.py
(which unit suites and process checks exist, and which are hidden: what students are shown)
and unit_messages.py (a failed unit test's details in the student's language). Turning a
grade into a report is not a step of the pipeline: reports/ does it.

May import: core (paths, manifest, i18n) and ipclab_harness. Never reports/, course/,
student/ or commands/.
"""
