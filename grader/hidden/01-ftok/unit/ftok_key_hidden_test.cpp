// Hidden unit tests of 01-ftok.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "ftok_key.hpp"
#include "ipclab/testing.hpp"

using ipclab::testing::expected_key;
using ipclab::testing::hex_key;
using ipclab::testing::msg;

class FtokKeyHidden : public ipclab::testing::IpcTest {};

// The boundary numbers of the spec's PROJ_ID range give the kernel's keys.
TEST_F(FtokKeyHidden, BoundaryNumbers) {
    for (int proj : {1, 255}) {
        key_t got = make_key(path(), proj), want = expected_key(path(), proj);
        EXPECT_EQ(got, want) << msg("wrong_key").with("proj", proj).with("got", hex_key(got)).with("want", hex_key(want));
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
