// Visible unit tests of 01-ftok: make_key() called in-process.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "ftok_key.hpp"
#include "ipclab/testing.hpp"

using ipclab::testing::expected_key;

class FtokKey : public ipclab::testing::IpcTest {};

// The key is the one ftok(3) defines: inode, device and the low 8 bits of the number.
TEST_F(FtokKey, MatchesTheKernelFormula) {
    EXPECT_EQ(make_key(path(), 33), expected_key(path(), 33))
        << "make_key must return what ftok(path, proj_id) returns";
}

// Two calls with the same file and number agree: that is how two programs meet.
TEST_F(FtokKey, SameFileAndNumberGiveTheSameKey) {
    EXPECT_EQ(make_key(path(), 7), make_key(path(), 7));
}

// Another number gives another key (the number is the top byte of the key).
TEST_F(FtokKey, AnotherNumberGivesAnotherKey) {
    EXPECT_NE(make_key(path(), 1), make_key(path(), 2));
}

// A symbolic link gives its target's key: ftok follows links (it uses stat, not lstat).
TEST_F(FtokKey, SymlinkGivesItsTargetsKey) {
    std::string link = path() + ".link";
    ASSERT_EQ(symlink(path().c_str(), link.c_str()), 0);
    key_t through_link = make_key(link, 5);
    unlink(link.c_str());
    EXPECT_EQ(through_link, make_key(path(), 5));
}

class FtokKeyErrors : public ipclab::testing::IpcTest {};

// A missing file is an error named after ftok, never the key 0xffffffff.
TEST_F(FtokKeyErrors, MissingFileThrowsSysErrorNamingFtok) {
    EXPECT_SYSERROR(make_key("/nonexistent/ipclab/file", 1), "ftok", ENOENT);
}
