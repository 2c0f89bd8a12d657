"""ipclab's grader. The folders show the architecture; an import goes only from a layer to the
ones below it (tests/test_architecture.py enforces it):

    core        paths.py, manifest.py, i18n.py (here, at the top): where the lab is, what each
                exercise is, the commands' words. Imports nothing of the grader's but core.
    pipeline/   one grade, step by step; the steps and their order are listed in
                pipeline/__init__.py, and pipeline/grade.py runs them.
    reports/    a grade rendered for people, tools and platforms, or read back from JSON.
    course/     a whole class and what leaves the repository: batch, gradebook, class report,
                similarity, merge of shards, bundles and platform packages, new exercises.
    student/    what the student's own commands decide (progress, hints seen, skeletons,
                clean, doctor); may use pipeline/ and reports/, not course/.
    commands/   the CLI: one module per `./ipclab` subcommand, argument parsing and printing;
                cli.py finds them. Nothing imports commands/ but cli.py.
"""
