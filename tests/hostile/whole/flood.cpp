// Appended to a correct file: every program that links it writes 64 MB on stdout and stderr
// before main, then works. The output limit cuts it; the rest of the submission must not notice.
#include <cstdio>
#include <string>
namespace {
const int hostile_start = [] {
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 32; ++i) {
        fwrite(chunk.data(), 1, chunk.size(), stdout);
        fwrite(chunk.data(), 1, chunk.size(), stderr);
    }
    fflush(stdout);
    return 0;
}();
}
