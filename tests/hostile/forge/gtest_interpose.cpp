// Interposes GoogleTest functions: explicit specializations of the EXPECT_EQ/NE/LT/... helpers (CmpHelperEQ<int,int>, ...) that always succeed, overriding the tests' own instantiations at link time, plus a strong testing::Test::HasFailure.
#include <memory>
namespace testing {
// GoogleTest 1.12's AssertionResult, member for member.
class AssertionResult {
public:
    bool success_;
    std::unique_ptr<std::string> message_;
};
namespace internal {
#define FORGE_CMP(op)                                                                            \
    template <typename T1, typename T2>                                                          \
    AssertionResult CmpHelper##op(const char*, const char*, const T1&, const T2&);               \
    template <> AssertionResult CmpHelper##op<int, int>(const char*, const char*, const int&, const int&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<long, long>(const char*, const char*, const long&, const long&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<unsigned, unsigned>(const char*, const char*, const unsigned&, const unsigned&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<unsigned long, unsigned long>(const char*, const char*, const unsigned long&, const unsigned long&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<int, long>(const char*, const char*, const int&, const long&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<long, int>(const char*, const char*, const long&, const int&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<unsigned short, unsigned short>(const char*, const char*, const unsigned short&, const unsigned short&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<bool, bool>(const char*, const char*, const bool&, const bool&) { return {true, nullptr}; } \
    template <> AssertionResult CmpHelper##op<std::string, std::string>(const char*, const char*, const std::string&, const std::string&) { return {true, nullptr}; }
FORGE_CMP(EQ)
FORGE_CMP(NE)
FORGE_CMP(LT)
FORGE_CMP(LE)
FORGE_CMP(GT)
FORGE_CMP(GE)
#undef FORGE_CMP
}  // namespace internal
}  // namespace testing
