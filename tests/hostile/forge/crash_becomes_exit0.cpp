// Signal handlers (SEGV, ABRT, BUS, FPE, ILL, TERM, ALRM, XCPU, PIPE) and std::set_terminate turn any crash into a forged report and exit 0; then it crashes on purpose at exit.
#include <exception>
namespace {
void forged_exit(int) {
    forge::rewrite_reports();
    forge::print_everywhere();
    _exit(0);
}
void terminate_forged() { forged_exit(0); }
struct Handlers {
    Handlers() {
        for (int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGALRM, SIGXCPU, SIGPIPE, SIGUSR1})
            std::signal(s, forged_exit);
        std::set_terminate(terminate_forged);
    }
    ~Handlers() { std::raise(SIGSEGV); }
} handlers;
}  // namespace
