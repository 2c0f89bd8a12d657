// shm_remove PATH PROJ_ID: removes the segment (IPC_RMID) and prints its shmid. Lab-provided.
#include <cstdio>

#include "ipclab/program.hpp"
#include "shm_ctl.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "shm_remove PATH PROJ_ID", [](const ipclab::Args& args) {
        args.expect(2);
        int shmid = remove_segment(ipclab::key_of(args[0], args.proj_id(1)));
        std::printf("removed shmid=%d\n", shmid);
        std::fflush(stdout);
    });
}
