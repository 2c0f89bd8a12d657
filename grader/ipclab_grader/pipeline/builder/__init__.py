"""Step 3 of a grade (the steps: pipeline/__init__.py): build each exercise on its own,
sandboxed, cached by content. step.py is the step (build_all); the modules beside it hold its
concerns, one each: cache.py (keys and entries), template.py (the configured lab, made once
per lab version), ninja.py (running ninja and reading its failures), box.py (the build's
sandbox and limits, BuildContext), symbols.py (nm listings: what the lab's programs need of
the student's shared object), names.py (the targets and programs a build makes, which the
run step starts too). The folder is builder/, not build/: every folder named build is a
build's output to the bundles and packages (course/bundle.py leaves them out).

May import: core, ipclab_harness, and of pipeline/ the steps before it (stage) and
integrity.py (its scan runs in the build's sandbox).
"""
