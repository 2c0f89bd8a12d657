// Hidden unit tests of 09-ipcs (grading only): holes in the index table, big sizes, keys above
// 0x7fffffff, removal of an attached segment.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <string>
#include <vector>

#include "ipclab/testing.hpp"
#include "mini_ipcs.hpp"

using ipclab::testing::msg;
using ipclab::testing::segment_of;

namespace {

// Ids as a list to read: "3, 5, 7".
std::string join(const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
    return out;
}

}  // namespace

class MiniIpcsHidden : public ipclab::testing::IpcTest {};

// Removed segments leave holes in the index table; the ones after a hole are still listed.
TEST_F(MiniIpcsHidden, ListsPastHoles) {
    std::vector<int> ids;
    for (int proj = 1; proj <= 6; ++proj) ids.push_back(make_segment(key(proj), 16 * proj, 0600));
    shmctl(ids[1], IPC_RMID, nullptr);
    shmctl(ids[3], IPC_RMID, nullptr);
    std::vector<ShmRow> rows = list_segments();
    std::vector<int> got;
    for (const ShmRow& r : rows) got.push_back(r.shmid);
    std::vector<int> want{ids[0], ids[2], ids[4], ids[5]};
    EXPECT_EQ(got, want) << msg("holes").with("want", join(want)).with("got", join(got));
}

// A segment the caller may not read (mode 0000: SHM_STAT fails with EACCES even for its owner)
// is listed, as ipcs lists it from /proc/sysvipc/shm: SHM_STAT_ANY needs no read permission.
TEST_F(MiniIpcsHidden, ListsSegmentsItMayNotRead) {
    int readable = make_segment(key(1), 16, 0600);
    int unreadable = make_segment(key(2), 32, 0000);
    int group_only = make_segment(key(3), 64, 0040);
    std::vector<int> got;
    for (const ShmRow& r : list_segments()) got.push_back(r.shmid);
    for (int id : {unreadable, group_only}) {
        bool found = false;
        for (int g : got) found = found || g == id;
        EXPECT_TRUE(found) << msg("unreadable_missing")
                                  .with("shmid", id)
                                  .with("mode", id == unreadable ? "0000" : "0040");
    }
    std::vector<int> want{readable, unreadable, group_only};
    EXPECT_EQ(got, want) << msg("holes").with("want", join(want)).with("got", join(got));
}

// A key with the top bit set prints as 0x%08x of the unsigned value, sizes beyond 10 digits too.
TEST_F(MiniIpcsHidden, FormatsBigKeysAndSizes) {
    std::string row =
        format_row(ShmRow{static_cast<key_t>(0xfedcba98u), 7, 4242, 0666, 12345678901ull, 0});
    EXPECT_EQ(row.substr(0, 11), "0xfedcba98 ") << msg("big_key").with("row", row);
    EXPECT_NE(row.find(" 12345678901 "), std::string::npos) << msg("big_size").with("row", row);
    EXPECT_NE(row.find(" 666 "), std::string::npos) << msg("perms_not_octal").with("row", row);
}

// remove_id on an attached segment marks it (dest) and it stays listed until the detach.
TEST_F(MiniIpcsHidden, RemovingAnAttachedSegmentMarksIt) {
    int id = make_segment(key(1), 16, 0600);
    void* p = shmat(id, nullptr, 0);
    ASSERT_NE(p, reinterpret_cast<void*>(-1));
    ::remove_id(id);
    bool dest = false;
    for (const ShmRow& r : list_segments()) {
        if (r.shmid == id) dest = r.mode & SHM_DEST;
    }
    EXPECT_TRUE(dest) << msg("attached_not_marked").with("shmid", id);
    shmdt(p);
    EXPECT_TRUE(list_segments().empty()) << msg("listed_after_last_detach").with("shmid", id);
}

// Removing by key works for keys above 0x7fffffff (negative as a key_t).
TEST_F(MiniIpcsHidden, RemovesAKeyWithTheTopBitSet) {
    key_t k = parse_key("0xfedcba98");
    int id = shmget(k, 16, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_NE(id, -1);
    track(id);
    ::remove_key(k);
    EXPECT_EQ(segment_of(k), -1) << msg("remove_key_kept").with("key", "0xfedcba98");
}
