// Hidden unit tests of 01-ftok.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "ftok_key.hpp"
#include "ipclab/testing.hpp"

using ipclab::testing::expected_key;
using ipclab::testing::hex_key;
using ipclab::testing::msg;

namespace {

// make_key(path, 5) must give ftok's key although `path` may not be read.
void expect_key_of_unreadable(const std::string& path) {
    key_t want = expected_key(path, 5);
    try {
        key_t got = make_key(path, 5);
        EXPECT_EQ(got, want) << msg("unreadable_wrong_key")
                                    .with("path", path)
                                    .with("got", hex_key(got))
                                    .with("want", hex_key(want));
    } catch (const std::exception& e) {
        ADD_FAILURE() << msg("unreadable_no_key")
                             .with("path", path)
                             .with("what", e.what())
                             .with("want", hex_key(want));
    }
}

}  // namespace

class FtokKeyHidden : public ipclab::testing::IpcTest {};

// The boundary numbers of the spec's PROJ_ID range give the kernel's keys.
TEST_F(FtokKeyHidden, BoundaryNumbers) {
    for (int proj : {1, 255}) {
        key_t got = make_key(path(), proj), want = expected_key(path(), proj);
        EXPECT_EQ(got, want) << msg("wrong_key")
                                    .with("proj", proj)
                                    .with("got", hex_key(got))
                                    .with("want", hex_key(want));
    }
}

// Two different files give two different keys with the same number.
TEST_F(FtokKeyHidden, DifferentFilesDifferentKeys) {
    std::string other = path() + ".other";
    int fd = open(other.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_NE(fd, -1);
    close(fd);
    key_t a = make_key(path(), 3), b = make_key(other, 3);
    unlink(other.c_str());
    EXPECT_NE(a, b) << msg("files_same_key").with("key", hex_key(a));
}

// ftok only stats: a file with mode 0000 has a key, also inside a directory that may be searched
// but not listed (0111). The test runs as an unprivileged user, so 0000 really denies reading.
TEST_F(FtokKeyHidden, UnreadableFileHasAKey) {
    const std::string locked = path() + ".locked";
    const std::string dir = path() + ".dir";
    const std::string inside = dir + "/inside";
    int fd = open(locked.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_NE(fd, -1);
    close(fd);
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    fd = open(inside.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_NE(fd, -1);
    close(fd);
    chmod(locked.c_str(), 0000);
    chmod(inside.c_str(), 0000);
    chmod(dir.c_str(), 0111);
    expect_key_of_unreadable(locked);
    expect_key_of_unreadable(inside);
    chmod(dir.c_str(), 0700);
    unlink(inside.c_str());
    rmdir(dir.c_str());
    unlink(locked.c_str());
}
