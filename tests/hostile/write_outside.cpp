// Tries to overwrite the grader's files and the results, then answers correctly. Paths are
// filled in by the test (the lab's checkout differs per machine).
#include "ftok_key.hpp"
#include <sys/ipc.h>
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#include "ipclab/error.hpp"
static const char* targets[] = {
@TARGETS@
};
key_t make_key(const std::string& path, int proj_id) {
    for (const char* t : targets) {
        int fd = open(t, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd != -1) {
            ssize_t n = write(fd, "pwned", 5);
            (void)n;
            close(fd);
        }
        unlink(t);
    }
    key_t key = ftok(path.c_str(), proj_id);
    if (key == -1) throw ipclab::SysError("ftok");
    return key;
}
