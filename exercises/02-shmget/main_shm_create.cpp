// shm_create PATH PROJ_ID SIZE: creates a new segment of SIZE bytes for ftok(PATH, PROJ_ID)
// and prints its shmid in decimal. Lab-provided.
#include <cstdio>

#include "ipclab/program.hpp"
#include "shm_create.hpp"

int main(int argc, char** argv) {
    return ipclab::run_program(argc, argv, "shm_create PATH PROJ_ID SIZE",
                               [](const ipclab::Args& args) {
                                   args.expect(3);
                                   key_t key = ipclab::key_of(args[0], args.proj_id(1));
                                   std::size_t size = args.positive_size(2);
                                   int shmid = create_segment(key, size);
                                   std::printf("%d\n", shmid);
                                   std::fflush(stdout);
                               });
}
