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

using ipclab::testing::errno_name;
using ipclab::testing::hex_key;
using ipclab::testing::msg;
using ipclab::testing::octal;
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

// Creates and removes private segments until an id is no longer its index (the kernel's cyclic
// index allocation wraps at 64 slots when few are in use): from then on every new segment's id
// is index + 32768 * sequence. Returns the last id seen.
int wrap_ids() {
    int id = -1;
    for (int i = 0; i < 200 && id < 32768; ++i) {
        id = shmget(IPC_PRIVATE, 16, IPC_CREAT | 0600);
        if (id == -1) return -1;
        shmctl(id, IPC_RMID, nullptr);
    }
    return id;
}

}  // namespace

class MiniIpcs : public ipclab::testing::IpcTest {};

// Every segment appears once, with its key, id, owner, mode, size and nattch.
TEST_F(MiniIpcs, ListsEverySegmentWithItsFields) {
    int a = make_segment(key(1), 100, 0640);
    int b = make_segment(key(2), 4096, 0600);
    std::vector<ShmRow> rows = list_segments();
    ASSERT_EQ(rows.size(), 2u) << msg("wrong_count").with("want", 2).with("got", rows.size());
    const ShmRow* ra = find(rows, a);
    ASSERT_NE(ra, nullptr) << msg("segment_missing").with("shmid", a);
    EXPECT_EQ(static_cast<unsigned>(ra->key), static_cast<unsigned>(key(1)))
        << msg("wrong_key")
               .with("shmid", a)
               .with("want", hex_key(key(1)))
               .with("got", hex_key(ra->key));
    EXPECT_EQ(ra->uid, getuid())
        << msg("wrong_uid").with("shmid", a).with("want", getuid()).with("got", ra->uid);
    EXPECT_EQ(ra->mode & 0777, 0640u) << msg("wrong_mode")
                                             .with("shmid", a)
                                             .with("want", octal(0640))
                                             .with("got", octal(ra->mode));
    EXPECT_EQ(ra->bytes, 100u)
        << msg("wrong_bytes").with("shmid", a).with("want", 100).with("got", ra->bytes);
    EXPECT_EQ(ra->nattch, 0u)
        << msg("wrong_nattch").with("shmid", a).with("want", 0).with("got", ra->nattch);
    ASSERT_NE(find(rows, b), nullptr) << msg("segment_missing").with("shmid", b);
    EXPECT_EQ(find(rows, b)->bytes, 4096u)
        << msg("wrong_bytes").with("shmid", b).with("want", 4096).with("got", find(rows, b)->bytes);
}

// An id is not an index: once the kernel's cyclic index allocation wraps (at 64 slots when few
// are in use), a new segment's id is index + 32768 * sequence.
TEST_F(MiniIpcs, FindsASegmentWhoseIdIsNotItsIndex) {
    int reused = -1;
    for (int i = 0; i < 200 && reused < 32768; ++i) {
        reused = shmget(IPC_PRIVATE, 16, IPC_CREAT | 0600);
        int err = errno;
        ASSERT_NE(reused, -1)
            << msg("setup_failed").with("call", "shmget").with("error", errno_name(err));
        if (reused < 32768) shmctl(reused, IPC_RMID, nullptr);
    }
    track(reused);
    ASSERT_GE(reused, 32768) << msg("ids_did_not_wrap").with("got", reused);
    std::vector<ShmRow> rows = list_segments();
    EXPECT_NE(find(rows, reused), nullptr)
        << msg("reused_id_missing").with("shmid", reused).with("index", reused % 32768);
}

// With no segment the list is empty.
TEST_F(MiniIpcs, EmptyWhenThereAreNoSegments) {
    EXPECT_TRUE(list_segments().empty()) << msg("not_empty");
}

// A segment removed while attached shows key 0, the SHM_DEST bit and its attachment.
TEST_F(MiniIpcs, AttachedAndRemovedIsDest) {
    int id = make_segment(key(1), 64, 0600);
    void* p = shmat(id, nullptr, SHM_RDONLY);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    shmctl(id, IPC_RMID, nullptr);
    std::vector<ShmRow> rows = list_segments();
    const ShmRow* r = find(rows, id);
    EXPECT_NE(r, nullptr) << msg("dest_missing").with("shmid", id);
    if (r != nullptr) {
        EXPECT_EQ(r->key, 0) << msg("dest_key_not_zero").with("got", hex_key(r->key));
        EXPECT_TRUE(r->mode & SHM_DEST) << msg("dest_bit_dropped").with("got", octal(r->mode));
        EXPECT_EQ(r->nattch, 1u)
            << msg("wrong_nattch").with("shmid", id).with("want", 1).with("got", r->nattch);
    }
    shmdt(p);
}

// The row has ipcs's exact format: hexadecimal key, octal perms, fixed-width columns.
TEST_F(MiniIpcs, FormatRowIsIpcsFormat) {
    char want[256];
    // The owner as ipcs prints it: %-10.10s, a name longer than 10 characters cut at 10.
    std::snprintf(want, sizeof want,
                  "0x00001234 5          %-10.10s 640        100        1          %-6s %-6s",
                  my_name().c_str(), " ", " ");
    std::string got = format_row(ShmRow{0x1234, 5, getuid(), 0640, 100, 1});
    EXPECT_EQ(got, want) << msg("row_format").with("want", want).with("got", got);
    std::snprintf(want, sizeof want,
                  "0x00000000 32768      %-10.10s 600        4096       2          dest   %-6s",
                  my_name().c_str(), " ");
    got = format_row(ShmRow{0, 32768, getuid(), 0600 | SHM_DEST, 4096, 2});
    EXPECT_EQ(got, want) << msg("row_dest").with("want", want).with("got", got);
    std::snprintf(want, sizeof want,
                  "0x7fffabcd 3          4242       400        1          0          %-6s locked",
                  " ");
    got = format_row(ShmRow{0x7fffabcd, 3, 4242, 0400 | SHM_LOCKED, 1, 0});
    EXPECT_EQ(got, want) << msg("row_unknown_uid_locked").with("want", want).with("got", got);
}

class MiniIpcrm : public ipclab::testing::IpcTest {};

// Keys are read as ipcrm reads them: base 0 (hexadecimal 0x..., octal 0..., decimal).
TEST_F(MiniIpcrm, ParseKeyUsesBase0) {
    key_t got = parse_key("0x1234abcd");
    EXPECT_EQ(got, 0x1234abcd) << msg("parse_key_hex").with("got", hex_key(got));
    got = parse_key("4660");
    EXPECT_EQ(got, 4660) << msg("parse_key_decimal").with("got", got);
    got = parse_key("011064");
    EXPECT_EQ(got, 4660) << msg("parse_key_octal").with("got", got);
    EXPECT_EQ(static_cast<unsigned>(parse_key("0xffffffff")), 0xffffffffu);
}

// Text that is not a whole 32-bit number is a usage error.
TEST_F(MiniIpcrm, ParseKeyRejectsJunk) {
    for (const char* text : {"zz", "", "12abc", "0x", "-1", "0x100000000", " 12"}) {
        EXPECT_THROW(parse_key(text), ipclab::UsageError)
            << msg("parse_key_accepts_junk").with("text", text);
    }
}

// Hexadecimal, octal or decimal, nothing else: not binary, although glibc >= 2.38's strtoul
// reads "0b101" in base 0.
TEST_F(MiniIpcrm, ParseKeyRefusesBinary) {
    for (const char* text : {"0b101", "0B11"}) {
        EXPECT_THROW(parse_key(text), ipclab::UsageError)
            << msg("parse_key_accepts_binary").with("text", text);
    }
}

// remove_id and remove_key remove the segment, where ids are not indexes.
TEST_F(MiniIpcrm, RemovesByIdAndByKey) {
    int err = 0;
    int last = wrap_ids();
    err = errno;
    ASSERT_NE(last, -1)
        << msg("setup_failed").with("call", "shmget").with("error", errno_name(err));
    ASSERT_GE(last, 32768) << msg("ids_did_not_wrap").with("got", last);
    int a = make_segment(key(1), 16, 0600);
    int b = make_segment(key(2), 16, 0600);
    ::remove_id(a);
    EXPECT_EQ(segment_of(key(1)), -1) << msg("remove_id_kept").with("shmid", a);
    ::remove_key(key(2));
    EXPECT_EQ(segment_of(key(2)), -1) << msg("remove_key_kept").with("key", hex_key(key(2)));
    (void)b;
}

// An index is not an id: where they differ, remove_id(index) and remove_id(id + 32768) (the same
// index, another sequence: a stale id) name no segment (shmctl EINVAL) and remove nothing. A
// remove_id that looks its argument up as an index (SHM_STAT) would remove the segment there.
TEST_F(MiniIpcrm, AnIndexIsNotAnId) {
    int last = wrap_ids();
    int err = errno;
    ASSERT_NE(last, -1)
        << msg("setup_failed").with("call", "shmget").with("error", errno_name(err));
    ASSERT_GE(last, 32768) << msg("ids_did_not_wrap").with("got", last);
    int a = make_segment(key(1), 16, 0600);
    ASSERT_GE(a, 32768) << msg("ids_did_not_wrap").with("got", a);
    for (int wrong : {a % 32768, a + 32768}) {
        EXPECT_SYSERROR(::remove_id(wrong), "shmctl", EINVAL);
        EXPECT_EQ(segment_of(key(1)), a)
            << msg("remove_by_index").with("shmid", a).with("wrong", wrong);
        if (segment_of(key(1)) != a) break;
    }
}

// A missing id is shmctl EINVAL; a missing key is shmget ENOENT.
TEST_F(MiniIpcrm, MissingIdOrKeyIsAnError) {
    EXPECT_SYSERROR(::remove_id(123), "shmctl", EINVAL);
    EXPECT_SYSERROR(::remove_key(0x1234abcd), "shmget", ENOENT);
}
