// Rewrites (or creates) GoogleTest's report — the --gtest_output file, every *.json in /work, /tmp and the cwd — from an atexit handler, after main returned, then _exit(0).
namespace {
void forge_at_exit() {
    forge::rewrite_reports();
    _exit(0);
}
const int registered = std::atexit(forge_at_exit);
}  // namespace
