// Visible unit tests of 01-ftok: make_key() called in-process.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "ftok_key.hpp"
#include "ipclab/testing.hpp"

using ipclab::testing::expected_key;
using ipclab::testing::hex_key;
using ipclab::testing::msg;

class FtokKey : public ipclab::testing::IpcTest {};

// The key is the one ftok(3) defines: inode, device and the low 8 bits of the number.
TEST_F(FtokKey, MatchesTheKernelFormula) {
    key_t got = make_key(path(), 33), want = expected_key(path(), 33);
    EXPECT_EQ(got, want)
        << msg("wrong_key").with("proj", 33).with("got", hex_key(got)).with("want", hex_key(want));
}

// Two calls with the same file and number agree: that is how two programs meet.
TEST_F(FtokKey, SameFileAndNumberGiveTheSameKey) {
    key_t first = make_key(path(), 7), second = make_key(path(), 7);
    EXPECT_EQ(first, second) << msg("same_input_other_key")
                                    .with("first", hex_key(first))
                                    .with("second", hex_key(second));
}

// Another number gives another key (the number is the top byte of the key).
TEST_F(FtokKey, AnotherNumberGivesAnotherKey) {
    key_t one = make_key(path(), 1), two = make_key(path(), 2);
    EXPECT_NE(one, two) << msg("same_key_for_numbers").with("key", hex_key(one));
}

// A symbolic link gives its target's key: ftok follows links (it uses stat, not lstat).
TEST_F(FtokKey, SymlinkGivesItsTargetsKey) {
    std::string link = path() + ".link";
    ASSERT_EQ(symlink(path().c_str(), link.c_str()), 0);
    key_t through_link = make_key(link, 5);
    unlink(link.c_str());
    key_t target = make_key(path(), 5);
    EXPECT_EQ(through_link, target)
        << msg("symlink_key").with("target", hex_key(target)).with("link", hex_key(through_link));
}

class FtokKeyErrors : public ipclab::testing::IpcTest {};

// A missing file is an error named after ftok, never the key 0xffffffff.
TEST_F(FtokKeyErrors, MissingFileThrowsSysErrorNamingFtok) {
    EXPECT_SYSERROR(make_key("/nonexistent/ipclab/file", 1), "ftok", ENOENT);
}
