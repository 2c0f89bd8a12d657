// Exits with status 0 from a static constructor with std::quick_exit.
namespace {
struct ExitEarly {
    ExitEarly() { std::quick_exit(0); }
} exit_early;
}  // namespace
