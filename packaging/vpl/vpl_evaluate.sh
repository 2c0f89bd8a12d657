#!/bin/bash
# ipclab for Moodle VPL: the activity's evaluate script (`./ipclab vpl EXERCISE -o DIR` writes
# it with ipclab.tar.gz; both are the activity's execution files). VPL runs it in the jail's
# working folder, where the student's files are, flat. It unpacks the lab and leaves
# vpl_execution, which VPL then runs: that grades the files and prints the feedback as VPL
# comments and, last, the line "Grade :=>>N" on the activity's VPL_GRADEMIN..VPL_GRADEMAX.
# Whatever goes wrong, vpl_execution exists and says why, with the minimum grade.
. ./vpl_environment.sh 2>/dev/null || true
LAB="$PWD/.ipclab"

fail() {   # vpl_execution that prints one reason and the minimum grade
  {
    echo '#!/bin/bash'
    echo "echo '<|--'"
    printf 'echo %q\n' "-ipclab: $1"
    echo "echo '--|>'"
    echo "echo 'Grade :=>>${VPL_GRADEMIN:-0}'"
  } > vpl_execution
  chmod +x vpl_execution
  exit 0
}

rm -rf "$LAB"
mkdir -p "$LAB" || fail "cannot create $LAB"
tar -xzf ipclab.tar.gz -C "$PWD/.ipclab" --strip-components=1 2>/dev/null \
  || fail "ipclab.tar.gz is missing or damaged: add it again to the activity's execution files"
[ -x /usr/bin/python3 ] \
  || fail "the jail has no /usr/bin/python3: its administrator runs scripts/install-deps.sh on the jail server"
{
  echo '#!/bin/bash'
  # VPL's variables (VPL_LANG, VPL_GRADEMIN, VPL_GRADEMAX, VPL_MAXTIME...) for the grader.
  [ -f vpl_environment.sh ] && cat vpl_environment.sh
  echo
  printf 'exec /usr/bin/python3 %q\n' "$LAB/packaging/vpl/vpl_grade.py"
} > vpl_execution
chmod +x vpl_execution
