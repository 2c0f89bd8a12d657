// 06-semaphores — reference solution.
#include "sem_counter.hpp"

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <string>

#include "ipclab/error.hpp"

namespace {

// semctl(2): "the calling program must define this union". It is passed BY VALUE: passing &arg
// would hand the kernel an address as the value.
union semun {
    int val;
    struct semid_ds* buf;
    unsigned short* array;
};

// One attachment of a segment; the destructor detaches, so an exception between shmat and shmdt
// (a failing semop) cannot leave nattch raised. detach() reports a failing shmdt.
class Attachment {
public:
    explicit Attachment(int shmid) : addr_(shmat(shmid, nullptr, 0)) {
        // shmat reports failure with (void*)-1, never NULL.
        if (addr_ == reinterpret_cast<void*>(-1)) throw ipclab::SysError("shmat");
    }
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    ~Attachment() {
        if (addr_ != nullptr) shmdt(addr_);
    }

    std::uint64_t* counter() const { return static_cast<std::uint64_t*>(addr_); }

    void detach() {
        void* addr = addr_;
        addr_ = nullptr;
        if (shmdt(addr) == -1) throw ipclab::SysError("shmdt");
    }

private:
    void* addr_;
};

// A segment this process just created: removed again unless release() says it is kept, so a
// failed init leaves nothing behind.
class NewSegment {
public:
    explicit NewSegment(int shmid) : shmid_(shmid) {}
    NewSegment(const NewSegment&) = delete;
    NewSegment& operator=(const NewSegment&) = delete;
    ~NewSegment() {
        if (shmid_ != -1) shmctl(shmid_, IPC_RMID, nullptr);
    }
    void release() { shmid_ = -1; }

private:
    int shmid_;
};

void semop_retrying(int semid, short delta) {
    // SEM_UNDO: if this process dies between P and V, the kernel undoes its P and the mutex is
    // not lost for every other process.
    sembuf op{};
    op.sem_num = 0;
    op.sem_op = delta;
    op.sem_flg = SEM_UNDO;
    // A signal handler interrupts a blocked semop with EINTR; the wait is simply not over yet.
    while (semop(semid, &op, 1) == -1) {
        if (errno != EINTR) throw ipclab::SysError("semop");
    }
}

int existing_segment(key_t key) {
    int shmid = shmget(key, 0, 0);  // no IPC_CREAT: only init creates
    if (shmid == -1) throw ipclab::SysError("shmget");
    return shmid;
}

int existing_semaphore(key_t key) {
    int semid = semget(key, 0, 0);
    if (semid == -1) throw ipclab::SysError("semget");
    return semid;
}

// The segment must hold the counter: one init did not make (smaller than 8 bytes) is refused
// before anything is read, written or taken. A larger one is fine: the counter is its start.
void check_size(int shmid) {
    shmid_ds ds{};
    if (shmctl(shmid, IPC_STAT, &ds) == -1) throw ipclab::SysError("shmctl");
    if (ds.shm_segsz < sizeof(std::uint64_t)) {
        throw ipclab::Failure("sem_counter: corrupt segment: " + std::to_string(ds.shm_segsz) +
                              " bytes cannot hold the counter");
    }
}

}  // namespace

int create_semaphore(key_t key) {
    int semid = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (semid == -1) throw ipclab::SysError("semget");
    // A new semaphore's value is unspecified by POSIX: it is free only once SETVAL says so.
    semun arg{};
    arg.val = 1;
    if (semctl(semid, 0, SETVAL, arg) == -1) {
        ipclab::SysError error("semctl");  // keep semctl's errno before IPC_RMID changes it
        semctl(semid, 0, IPC_RMID);
        throw error;
    }
    return semid;
}

void sem_p(int semid) { semop_retrying(semid, -1); }

void sem_v(int semid) { semop_retrying(semid, +1); }

void init_counter(key_t key) {
    // IPC_EXCL: a second init must fail rather than reset a counter others are using.
    int shmid = shmget(key, sizeof(std::uint64_t), IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) throw ipclab::SysError("shmget");
    NewSegment segment(shmid);  // the kernel zero-fills it: the counter is already 0
    create_semaphore(key);
    segment.release();
}

void add_to_counter(key_t key, std::uint64_t n) {
    int shmid = existing_segment(key);
    int semid = existing_semaphore(key);
    check_size(shmid);
    Attachment seg(shmid);
    std::uint64_t* counter = seg.counter();
    for (std::uint64_t i = 0; i < n; ++i) {
        sem_p(semid);
        *counter += 1;  // read-modify-write: only safe between P and V
        sem_v(semid);
    }
    seg.detach();
}

std::uint64_t finish_counter(key_t key) {
    // Both found and the counter read before anything is removed: with half a counter (or a
    // corrupt one) finish fails and removes nothing.
    int shmid = existing_segment(key);
    int semid = existing_semaphore(key);
    check_size(shmid);
    Attachment seg(shmid);
    std::uint64_t value = *seg.counter();
    seg.detach();
    if (shmctl(shmid, IPC_RMID, nullptr) == -1) throw ipclab::SysError("shmctl");
    if (semctl(semid, 0, IPC_RMID) == -1) throw ipclab::SysError("semctl");
    return value;
}
