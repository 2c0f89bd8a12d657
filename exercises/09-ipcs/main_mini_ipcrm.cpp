// mini_ipcrm -m SHMID | -M KEY: removes a segment and reports errors in util-linux ipcrm's
// words ("ipcrm: invalid id (123)"), exit status 1. Lab-provided.
#include <cerrno>
#include <climits>
#include <string>

#include "ipclab/program.hpp"
#include "mini_ipcs.hpp"

namespace {

// ipcrm's wording for a failed removal of ARG (an id or a key as typed).
[[noreturn]] void report(const ipclab::SysError& e, bool by_key, const std::string& arg) {
    const char* what = by_key ? "key" : "id";
    switch (e.error()) {
        case EACCES:
        case EPERM:
            throw ipclab::Failure(std::string("ipcrm: permission denied for ") + what + " (" + arg +
                                  ")");
        case EINVAL:
        case ENOENT:
            throw ipclab::Failure(std::string("ipcrm: invalid ") + what + " (" + arg + ")");
        case EIDRM:
            throw ipclab::Failure(std::string("ipcrm: already removed ") + what + " (" + arg + ")");
        default:
            throw e;
    }
}

}  // namespace

int main(int argc, char** argv) {
    return ipclab::run_program(
        argc, argv, "mini_ipcrm -m SHMID | -M KEY", [](const ipclab::Args& args) {
            args.expect(2);
            const std::string& option = args[0];
            const std::string& arg = args[1];
            if (option == "-m") {
                int shmid = static_cast<int>(args.integer(1, INT_MIN, INT_MAX, "SHMID"));
                try {
                    remove_id(shmid);
                } catch (const ipclab::SysError& e) {
                    report(e, false, arg);
                }
            } else if (option == "-M") {
                key_t key = parse_key(arg);
                if (key == 0)
                    throw ipclab::Failure("ipcrm: illegal key (" + arg + ")");  // IPC_PRIVATE
                try {
                    remove_key(key);
                } catch (const ipclab::SysError& e) {
                    report(e, true, arg);
                }
            } else {
                throw ipclab::UsageError("unknown option '" + option + "': use -m SHMID or -M KEY");
            }
        });
}
