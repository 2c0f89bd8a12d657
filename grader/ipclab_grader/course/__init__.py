"""A whole course: grading a class (batch.py), its class files (classfiles.py writes them:
gradebook.py, classreport.py, similarity.py), joining the shards of a class graded on several
machines (merge.py), what leaves the instructor's repository (bundle.py: the student bundle
and the autograder's files; gradescope_pkg.py, platform_pkg.py: the platforms' packages),
unpacking a student's archive (safe_extract.py), and a new exercise for its author
(scaffold.py, `./ipclab new`).

May import: core, ipclab_harness, pipeline/ and reports/. Never student/ or commands/.
"""
