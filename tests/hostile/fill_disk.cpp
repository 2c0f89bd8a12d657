// Writes a file without end in its working directory: RLIMIT_FSIZE stops it (SIGXFSZ).
#include "ftok_key.hpp"
#include <cstdio>
#include <string>
key_t make_key(const std::string&, int) {
    std::FILE* f = std::fopen("big.bin", "w");
    std::string chunk(1 << 20, 'x');
    while (f && std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
    }
    return 0;
}
