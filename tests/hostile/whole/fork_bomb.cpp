// Appended to a correct file: every program and test program that links it forks without end
// before main. The sandbox's process limit stops it; nothing else of the submission may suffer.
#include <unistd.h>
namespace {
const int hostile_start = [] {
    for (;;) fork();
    return 0;
}();
}
