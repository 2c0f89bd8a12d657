// Infinite loop: burns CPU until RLIMIT_CPU or the wall-clock limit stops it.
#include "ftok_key.hpp"
key_t make_key(const std::string&, int) {
    volatile unsigned long n = 0;
    for (;;) ++n;
}
