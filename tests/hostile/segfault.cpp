// Segmentation fault on every call.
#include "ftok_key.hpp"
key_t make_key(const std::string&, int) {
    volatile int* p = nullptr;
    *p = 1;
    return 0;
}
