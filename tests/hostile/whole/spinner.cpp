// Appended to a correct file: every program that links it starts 40 children that burn CPU for
// ever, under the process limit, and spins itself. The CPU and wall limits stop them; the rest
// of the submission (and of the class) must be graded as if it were not there.
#include <unistd.h>
namespace {
const int hostile_start = [] {
    for (int i = 0; i < 40 && fork() > 0; ++i) {
    }
    for (volatile unsigned long n = 0;; ++n) {
    }
    return 0;
}();
}
