// Hidden unit tests of 01-ftok.
#include <fcntl.h>
#include <unistd.h>

#include "ftok_key.hpp"
#include "ipclab/testing.hpp"

using ipclab::testing::expected_key;

class FtokKeyHidden : public ipclab::testing::IpcTest {};

// The boundary numbers of the spec's PROJ_ID range give the kernel's keys.
TEST_F(FtokKeyHidden, BoundaryNumbers) {
    EXPECT_EQ(make_key(path(), 1), expected_key(path(), 1));
    EXPECT_EQ(make_key(path(), 255), expected_key(path(), 255));
}

// Two different files give two different keys with the same number.
TEST_F(FtokKeyHidden, DifferentFilesDifferentKeys) {
    std::string other = path() + ".other";
    int fd = open(other.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_NE(fd, -1);
    close(fd);
    key_t a = make_key(path(), 3), b = make_key(other, 3);
    unlink(other.c_str());
    EXPECT_NE(a, b) << "two files gave the same key: is the path passed to ftok?";
}
