// shm_stat PATH PROJ_ID: prints the ten fields of the segment's struct shmid_ds. Lab-provided.
#include <cstdio>

#include "ipclab/program.hpp"
#include "shm_ctl.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "shm_stat PATH PROJ_ID", [](const ipclab::Args& args) {
        args.expect(2);
        SegmentInfo info = stat_segment(ipclab::key_of(args[0], args.proj_id(1)));
        std::printf("key=0x%08x\n", static_cast<unsigned>(info.key));
        std::printf("shmid=%d\n", info.shmid);
        std::printf("size=%zu\n", info.size);
        std::printf("perms=%04o\n", info.perms);
        std::printf("cpid=%ld\n", static_cast<long>(info.cpid));
        std::printf("lpid=%ld\n", static_cast<long>(info.lpid));
        std::printf("nattch=%lu\n", info.nattch);
        std::printf("atime=%lld\n", static_cast<long long>(info.atime));
        std::printf("dtime=%lld\n", static_cast<long long>(info.dtime));
        std::printf("ctime=%lld\n", static_cast<long long>(info.ctime));
        std::fflush(stdout);
    });
}
