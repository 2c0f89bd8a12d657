// Visible unit tests of 09-ipcs: list_segments() against segments the test made, format_row()
// against ipcs's format, parse_key() and the removals.
#include <pwd.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <string>
#include <vector>

#include "ipclab/testing.hpp"
#include "mini_ipcs.hpp"

using ipclab::testing::segment_of;

namespace {

const ShmRow* find(const std::vector<ShmRow>& rows, int shmid) {
    for (const ShmRow& r : rows) {
        if (r.shmid == shmid) return &r;
    }
    return nullptr;
}

std::string my_name() {
    const passwd* pw = getpwuid(getuid());
    return pw ? pw->pw_name : std::to_string(getuid());
}

}  // namespace

class MiniIpcs : public ipclab::testing::IpcTest {};

// Every segment appears once, with its key, id, owner, mode, size and nattch.
TEST_F(MiniIpcs, ListsEverySegmentWithItsFields) {
    int a = make_segment(key(1), 100, 0640);
    int b = make_segment(key(2), 4096, 0600);
    std::vector<ShmRow> rows = list_segments();
    ASSERT_EQ(rows.size(), 2u) << "list_segments found " << rows.size()
                               << " segments and there are 2: ask SHM_INFO for the highest index "
                                  "and SHM_STAT every index 0..highest (do not run ipcs)";
    const ShmRow* ra = find(rows, a);
    ASSERT_NE(ra, nullptr) << "segment " << a << " missing: SHM_STAT returns the shmid, use it";
    EXPECT_EQ(static_cast<unsigned>(ra->key), static_cast<unsigned>(key(1))) << "wrong key (shm_perm.__key)";
    EXPECT_EQ(ra->uid, getuid()) << "wrong owner (shm_perm.uid)";
    EXPECT_EQ(ra->mode & 0777, 0640u) << "wrong mode (shm_perm.mode)";
    EXPECT_EQ(ra->bytes, 100u) << "wrong size (shm_segsz)";
    EXPECT_EQ(ra->nattch, 0u) << "wrong nattch (shm_nattch)";
    ASSERT_NE(find(rows, b), nullptr);
    EXPECT_EQ(find(rows, b)->bytes, 4096u);
}

// An id is not an index: once the kernel's cyclic index allocation wraps (at 64 slots when few
// are in use), a new segment's id is index + 32768 * sequence.
TEST_F(MiniIpcs, FindsASegmentWhoseIdIsNotItsIndex) {
    int reused = -1;
    for (int i = 0; i < 200 && reused < 32768; ++i) {
        reused = shmget(IPC_PRIVATE, 16, IPC_CREAT | 0600);
        ASSERT_NE(reused, -1) << "test set-up: shmget: " << std::strerror(errno);
        if (reused < 32768) shmctl(reused, IPC_RMID, nullptr);
    }
    track(reused);
    ASSERT_GE(reused, 32768) << "test set-up: ids did not wrap";
    std::vector<ShmRow> rows = list_segments();
    EXPECT_NE(find(rows, reused), nullptr)
        << "segment " << reused << " (index " << reused % 32768 << ") is missing: SHM_STAT takes an "
        << "INDEX 0..highest (from SHM_INFO) and returns the id; IPC_STAT over ids 0..N misses "
           "every id that is not its index";
}

// With no segment the list is empty.
TEST_F(MiniIpcs, EmptyWhenThereAreNoSegments) {
    EXPECT_TRUE(list_segments().empty()) << "there are no segments, but list_segments returned some";
}

// A segment removed while attached shows key 0, the SHM_DEST bit and its attachment.
TEST_F(MiniIpcs, AttachedAndRemovedIsDest) {
    int id = make_segment(key(1), 64, 0600);
    void* p = shmat(id, nullptr, SHM_RDONLY);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    shmctl(id, IPC_RMID, nullptr);
    std::vector<ShmRow> rows = list_segments();
    const ShmRow* r = find(rows, id);
    EXPECT_NE(r, nullptr) << "a segment marked for removal but still attached must be listed";
    if (r != nullptr) {
        EXPECT_EQ(r->key, 0) << "a segment marked for removal has key 0 (IPC_PRIVATE)";
        EXPECT_TRUE(r->mode & SHM_DEST) << "keep shm_perm.mode whole: its SHM_DEST bit is the «dest» status";
        EXPECT_EQ(r->nattch, 1u);
    }
    shmdt(p);
}

// The row has ipcs's exact format: hexadecimal key, octal perms, fixed-width columns.
TEST_F(MiniIpcs, FormatRowIsIpcsFormat) {
    char want[256];
    std::snprintf(want, sizeof want, "0x00001234 5          %-10s 640        100        1          %-6s %-6s",
                  my_name().c_str(), " ", " ");
    EXPECT_EQ(format_row(ShmRow{0x1234, 5, getuid(), 0640, 100, 1}), want)
        << "format the row as ipcs: \"0x%08x %-10d %-10s %-10o %-10zu %-10lu %-6s %-6s\" (key in "
           "hexadecimal 0x%08x, not decimal; perms in octal)";
    std::snprintf(want, sizeof want, "0x00000000 32768      %-10s 600        4096       2          dest   %-6s",
                  my_name().c_str(), " ");
    EXPECT_EQ(format_row(ShmRow{0, 32768, getuid(), 0600 | SHM_DEST, 4096, 2}), want)
        << "a segment whose mode has SHM_DEST (01000) shows the status «dest»";
    std::snprintf(want, sizeof want, "0x7fffabcd 3          4242       400        1          0          %-6s locked",
                  " ");
    EXPECT_EQ(format_row(ShmRow{0x7fffabcd, 3, 4242, 0400 | SHM_LOCKED, 1, 0}), want)
        << "an unknown uid (getpwuid gives nullptr) is shown in decimal; SHM_LOCKED (02000) shows «locked»";
}

class MiniIpcrm : public ipclab::testing::IpcTest {};

// Keys are read as ipcrm reads them: base 0 (hexadecimal 0x..., octal 0..., decimal).
TEST_F(MiniIpcrm, ParseKeyUsesBase0) {
    EXPECT_EQ(parse_key("0x1234abcd"), 0x1234abcd)
        << "\"0x1234abcd\" is hexadecimal: use strtoul/strtoull with base 0, not 10";
    EXPECT_EQ(parse_key("4660"), 4660) << "\"4660\" is decimal";
    EXPECT_EQ(parse_key("011064"), 4660) << "\"011064\" is octal (base 0, as ipcrm)";
    EXPECT_EQ(static_cast<unsigned>(parse_key("0xffffffff")), 0xffffffffu);
}

// Text that is not a whole 32-bit number is a usage error.
TEST_F(MiniIpcrm, ParseKeyRejectsJunk) {
    for (const char* text : {"zz", "", "12abc", "0x", "-1", "0x100000000", " 12"}) {
        EXPECT_THROW(parse_key(text), ipclab::UsageError)
            << "parse_key(\"" << text << "\") must throw ipclab::UsageError(\"failed to parse argument: ...\")";
    }
}

// remove_id and remove_key remove the segment.
TEST_F(MiniIpcrm, RemovesByIdAndByKey) {
    int a = make_segment(key(1), 16, 0600);
    int b = make_segment(key(2), 16, 0600);
    ::remove_id(a);
    EXPECT_EQ(segment_of(key(1)), -1) << "remove_id did not remove the segment: shmctl(id, IPC_RMID, nullptr)";
    ::remove_key(key(2));
    EXPECT_EQ(segment_of(key(2)), -1) << "remove_key did not remove the segment of that key";
    (void)b;
}

// A missing id is shmctl EINVAL; a missing key is shmget ENOENT.
TEST_F(MiniIpcrm, MissingIdOrKeyIsAnError) {
    EXPECT_SYSERROR(::remove_id(123), "shmctl", EINVAL);
    EXPECT_SYSERROR(::remove_key(0x1234abcd), "shmget", ENOENT);
}
