// A compile that runs away: 800 constant evaluations, each just under GCC's per-evaluation
// limits, minutes in all. The build's time limit stops it.
#include "ftok_key.hpp"
constexpr unsigned long spin(unsigned long seed) {
    unsigned long s = seed;
    for (unsigned long i = 0; i < 200000; ++i)
        for (unsigned long j = 0; j < 4; ++j) s += i ^ j;
    return s;
}
template <int N> struct Spin { static constexpr unsigned long value = spin(N) + Spin<N - 1>::value; };
template <> struct Spin<0> { static constexpr unsigned long value = 0; };
static_assert(Spin<800>::value != 1, "never decided in time");
key_t make_key(const std::string&, int) { return 0; }
